// Request/reply over a child process's IPC channel: each request carries an id, the child answers
// with the same id. Used by run.mjs to drive the service, agents and sender processes.

/** Wraps a forked child: `call(type, payload)` resolves with the child's reply. */
export function client(child) {
  let next = 0;
  const waiting = new Map();
  child.on('message', (message) => {
    const resolve = waiting.get(message.id);
    if (resolve) {
      waiting.delete(message.id);
      resolve(message);
    }
  });
  return (type, payload = {}) =>
    new Promise((resolve, reject) => {
      const id = ++next;
      waiting.set(id, (message) =>
        message.error ? reject(new Error(`${type}: ${message.error}`)) : resolve(message.value),
      );
      child.send({ id, type, ...payload });
    });
}

/** In a child: answers requests with `handlers[type](request)`. */
export function serve(handlers) {
  process.on('message', async (request) => {
    try {
      const value = await handlers[request.type](request);
      process.send({ id: request.id, value });
    } catch (error) {
      process.send({ id: request.id, error: error.stack ?? String(error) });
    }
  });
  process.send({ id: 0, value: 'ready' });
}

/** Resolves when a forked child says it is ready. */
export function ready(child) {
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.id === 0) {
        child.off('message', onMessage);
        resolve();
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

/** A full garbage collection (the process must run with --expose-gc), then memoryUsage(). */
export async function settledMemory() {
  for (let i = 0; i < 3; i++) {
    globalThis.gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return process.memoryUsage();
}
