import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The `herald` binary (`bin/herald.js`, which runs the build): these tests run real processes. */
const bin = fileURLToPath(new URL('../../bin/herald.js', import.meta.url));

/** A `herald serve` child process and what it printed. */
export interface HeraldProcess {
  child: ChildProcess;
  output: string[];
  /** Resolves with the first printed line matching `pattern`. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL: no shutdown, no lease given back. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
}

/** Starts `herald serve` with `env` (on top of a minimal environment) and `args`. */
export function startHerald(env: Record<string, string>, args: string[] = []): HeraldProcess {
  const child = spawn(process.execPath, [bin, 'serve', ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HERALD_RATE_LIMIT: '0',
      HERALD_HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const listeners = new Set<() => void>();
  const collect = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
    for (const listener of listeners) listener();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output,
    waitForLine(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const line = output.find((l) => pattern.test(l));
          if (line === undefined) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve(line);
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`no line matching ${pattern} in ${timeoutMs} ms; output:\n${output.join('\n')}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
