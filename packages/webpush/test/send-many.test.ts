import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { WebPushError } from '../src/errors.js';
import { type SendManyItem, sendMany } from '../src/send/send-many.js';
import type { Transport } from '../src/send/transport.js';
import type { PushSubscriptionJSON } from '../src/subscription.js';
import { startServer, type TestServer } from './helpers/http-server.js';
import { subscriber } from './helpers/subscriber.js';
import { transportFactories } from './helpers/transports.js';

interface Item extends SendManyItem {
  id: number;
}

describe.each(transportFactories)('sendMany over the %s transport', (_name, makeTransport) => {
  let server: TestServer;
  let transport: Transport;
  let subscription: PushSubscriptionJSON;
  let inFlight = 0;
  let maxInFlight = 0;
  let answered = 0;
  const held: ServerResponse[] = [];

  beforeAll(async () => {
    // Answers every request after 15 ms, counting how many are open at once.
    server = await startServer((request, response) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      if (request.url === '/hold') {
        held.push(response);
        return;
      }
      setTimeout(() => {
        inFlight--;
        answered++;
        response.writeHead(request.url === '/gone' ? 410 : 201);
        response.end();
      }, 15);
    });
    transport = makeTransport();
    subscription = (await subscriber(`${server.url}/ok`)).json;
  });
  afterAll(async () => {
    await transport.close();
    await server.close();
  });

  function reset() {
    inFlight = 0;
    maxInFlight = 0;
    answered = 0;
  }

  test('respects the concurrency bound and delivers every result', async () => {
    reset();
    const items: Item[] = Array.from({ length: 40 }, (_, id) => ({ id, subscription, payload: `m${id}` }));
    const seen = new Set<number>();
    for await (const { item, result } of sendMany(items, { concurrency: 6, transport, allowHttp: true })) {
      expect(result.kind).toBe('delivered');
      seen.add(item.id);
    }
    expect(seen.size).toBe(40);
    expect(maxInFlight).toBe(6);
  });

  test('refills freed slots in batches of an eighth of the concurrency', async () => {
    const hold = { ...subscription, endpoint: `${server.url}/hold` };
    let pulled = 0;
    function* items(): Generator<Item> {
      for (let id = 0; id < 24; id++) {
        pulled++;
        yield { id, subscription: hold, payload: null };
      }
    }
    const release = () => held.shift()!.writeHead(201).end();
    let results = 0;
    const run = (async () => {
      for await (const _ of sendMany(items(), { concurrency: 16, transport, allowHttp: true })) results++;
    })();
    while (held.length < 16) await sleep(5);
    expect(pulled).toBe(16);
    // One free slot of 16 is not yet a batch (16 / 8 = 2): nothing more is pulled.
    release();
    while (results < 1) await sleep(5);
    await sleep(30);
    expect(pulled).toBe(16);
    // The second one is: two more are pulled at once.
    release();
    while (held.length < 16) await sleep(5);
    expect(pulled).toBe(18);
    while (results < 24) {
      while (held.length > 0) release();
      await sleep(5);
    }
    await run;
  });

  test('pulls the input lazily: only when a slot frees', async () => {
    reset();
    let pulled = 0;
    let maxAhead = 0;
    async function* items(): AsyncGenerator<Item> {
      for (let id = 0; id < 30; id++) {
        pulled++;
        // Items pulled but not yet answered can never exceed the concurrency.
        maxAhead = Math.max(maxAhead, pulled - answered);
        yield { id, subscription, payload: null };
      }
    }
    let results = 0;
    for await (const _ of sendMany(items(), { concurrency: 4, transport, allowHttp: true })) results++;
    expect(results).toBe(30);
    expect(pulled).toBe(30);
    expect(maxAhead).toBeLessThanOrEqual(4);
  });

  test('an endless input can be stopped: the rest is never pulled and the input is closed', async () => {
    reset();
    let pulled = 0;
    let closed = false;
    function* endless(): Generator<Item> {
      try {
        for (let id = 0; ; id++) {
          pulled++;
          yield { id, subscription };
        }
      } finally {
        closed = true;
      }
    }
    let results = 0;
    for await (const _ of sendMany(endless(), { concurrency: 3, transport, allowHttp: true })) {
      if (++results === 10) break;
    }
    expect(closed).toBe(true);
    expect(pulled).toBeLessThanOrEqual(10 + 3);
  });

  test('invalid items yield kind "invalid" and the others still go', async () => {
    const items = [
      { id: 1, subscription },
      { id: 2, subscription: { endpoint: 'nope', keys: { p256dh: '', auth: '' } } },
      { id: 3, subscription, payload: 'x'.repeat(5000) },
      { id: 4, subscription, options: { ttl: -1 } },
      { id: 5, subscription: { ...subscription, endpoint: `${server.url}/gone` } },
    ] as Item[];
    const byId = new Map<number, string>();
    for await (const { item, result } of sendMany(items, { transport, allowHttp: true })) {
      byId.set(item.id, result.kind === 'invalid' ? result.error.code : result.kind);
    }
    expect(Object.fromEntries(byId)).toEqual({
      1: 'delivered',
      2: 'ERR_INVALID_SUBSCRIPTION',
      3: 'ERR_PAYLOAD_TOO_LARGE',
      4: 'ERR_INVALID_ARGUMENT',
      5: 'gone',
    });
  });

  test("the input's error ends the iteration with that error", async () => {
    const boom = new Error('cursor failed');
    async function* failing(): AsyncGenerator<Item> {
      yield { id: 0, subscription };
      throw boom;
    }
    const run = async () => {
      for await (const _ of sendMany(failing(), { transport, allowHttp: true }));
    };
    await expect(run()).rejects.toBe(boom);
  });

  test("the caller's abort stops the sends in flight and ends the iteration with its reason", async () => {
    const controller = new AbortController();
    const reason = new Error('deploy');
    const hold = { ...subscription, endpoint: `${server.url}/hold` };
    // More sends than share one abort controller inside sendMany: every one must be aborted.
    const items = Array.from({ length: 20 }, (_, id) => ({ id, subscription: hold }));
    const run = async () => {
      const options = { concurrency: 20, transport, allowHttp: true, signal: controller.signal };
      for await (const _ of sendMany(items, options));
    };
    const pending = run();
    while (held.length < 20) await sleep(5);
    const closed = held.map((response) => new Promise((resolve) => response.once('close', resolve)));
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    // The client gave up on each request: the server sees all 20 connections close.
    await Promise.all(closed);
    held.splice(0);
  });

  test('no signal collects a listener per send (regression: MaxListenersExceededWarning above 10 in flight)', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const controller = new AbortController();
      const items = Array.from({ length: 30 }, (_, id) => ({ id, subscription }));
      let results = 0;
      const options = { concurrency: 20, transport, allowHttp: true, signal: controller.signal };
      for await (const _ of sendMany(items, options)) results++;
      expect(results).toBe(30);
      await sleep(20);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((w) => w.name)).not.toContain('MaxListenersExceededWarning');
  });

  test('shared options are checked before anything is sent', async () => {
    const run = async () => {
      for await (const _ of sendMany([{ subscription }], { concurrency: 0, transport }));
    };
    await expect(run()).rejects.toBeInstanceOf(WebPushError);
  });
});

test('sendMany closes the transport it created', async () => {
  const server = await startServer((_request, response) => {
    response.writeHead(201);
    response.end();
  });
  try {
    const { json } = await subscriber(`${server.url}/x`);
    const kinds: string[] = [];
    for await (const { result } of sendMany([{ subscription: json }, { subscription: json }], {
      allowHttp: true,
    })) {
      kinds.push(result.kind);
    }
    expect(kinds).toEqual(['delivered', 'delivered']);
    // Every connection the owned transport opened is closed once the iteration ends.
    const deadline = Date.now() + 2000;
    while (server.closedSockets() < server.openedSockets() && Date.now() < deadline) await sleep(10);
    expect(server.closedSockets()).toBe(server.openedSockets());
  } finally {
    await server.close();
  }
});
