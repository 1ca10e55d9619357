/**
 * The parallel backend runs its agreements on worker threads, and a worker thread runs
 * JavaScript, not TypeScript: this suite loads the built package (`dist/`, brought up to date
 * first) rather than `src/`, and sends through the built `sendMany` too, so that one copy of
 * `WebPushError` is in play.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type * as Package from '../src/index.js';
import type * as NodeEntry from '../src/node/index.js';
import { backend as nodeBackend } from '../src/node/node-backend.js';
import { startServer, type TestServer } from './helpers/http-server.js';
import { offCurvePoint, subscriber } from './helpers/subscriber.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = fileURLToPath(new URL('../../..', import.meta.url));
const distNode = new URL('../dist/node/index.js', import.meta.url).href;
const distIndex = new URL('../dist/index.js', import.meta.url).href;

let built: typeof NodeEntry;
let webpush: typeof Package;

beforeAll(async () => {
  await run(`${rootDir}node_modules/.bin/tsc`, ['-b', `${packageDir}tsconfig.node.json`], { cwd: rootDir });
  built = await import(/* @vite-ignore */ distNode);
  webpush = await import(/* @vite-ignore */ distIndex);
});

describe('createParallelBackend', () => {
  test('every caller gets its own agreement, computed on a worker, matching the receiver side', async () => {
    const backend = built.createParallelBackend({ threads: 2, batchSize: 8 });
    try {
      expect(backend.threads).toBe(2);
      expect(backend.name).toBe('node');
      const receivers = await Promise.all(Array.from({ length: 60 }, () => nodeBackend.generateKeyPair()));
      // All requested in one turn: several batches, spread over both workers.
      const agreements = await Promise.all(receivers.map((r) => backend.ephemeralAgreement(r.publicKey)));
      for (const [i, receiver] of receivers.entries()) {
        const { publicKey, secret } = agreements[i]!;
        expect(secret).toHaveLength(32);
        const key = await nodeBackend.importEcdhPrivateKey(receiver);
        expect(await nodeBackend.agree(key, publicKey)).toEqual(secret);
      }
      const publicKeys = new Set(agreements.map((a) => Buffer.from(a.publicKey).toString('hex')));
      expect(publicKeys.size).toBe(receivers.length);
    } finally {
      await backend.close();
    }
  });

  test('a point off the curve fails alone with ERR_INVALID_KEY; its batch mates succeed', async () => {
    const backend = built.createParallelBackend({ threads: 1 });
    try {
      const good = await nodeBackend.generateKeyPair();
      const outcomes = await Promise.allSettled([
        backend.ephemeralAgreement(good.publicKey),
        backend.ephemeralAgreement(offCurvePoint()),
        backend.ephemeralAgreement(good.publicKey),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      const error = (outcomes[1] as PromiseRejectedResult).reason;
      expect(error).toBeInstanceOf(webpush.WebPushError);
      expect(error.code).toBe('ERR_INVALID_KEY');
      // The shape is checked before any message to a worker.
      await expect(backend.ephemeralAgreement(new Uint8Array(33))).rejects.toMatchObject({
        code: 'ERR_INVALID_KEY',
      });
    } finally {
      await backend.close();
    }
  });

  test('close waits for agreements in flight, then refuses new ones with ERR_BACKEND_CLOSED', async () => {
    const backend = built.createParallelBackend({ threads: 1 });
    const receiver = await nodeBackend.generateKeyPair();
    const inFlight = Array.from({ length: 20 }, () => backend.ephemeralAgreement(receiver.publicKey));
    await backend.close();
    expect(await Promise.all(inFlight)).toHaveLength(20);
    await expect(backend.ephemeralAgreement(receiver.publicKey)).rejects.toMatchObject({
      code: 'ERR_BACKEND_CLOSED',
    });
    // The other primitives do not need the threads.
    expect(await backend.isValidPublicKey(receiver.publicKey)).toBe(true);
  });

  test('threads and batchSize must be positive integers', () => {
    for (const options of [{ threads: 0 }, { threads: 1.5 }, { batchSize: 0 }, { batchSize: Number.NaN }]) {
      expect(() => built.createParallelBackend(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  test('idle workers do not keep the process alive when close() is forgotten', async () => {
    const script = `
      const { createParallelBackend } = await import(${JSON.stringify(distNode)});
      const { backend } = await import(${JSON.stringify(new URL('../dist/node/node-backend.js', import.meta.url).href)});
      const parallel = createParallelBackend({ threads: 2 });
      const { publicKey } = await backend.generateKeyPair();
      await parallel.ephemeralAgreement(publicKey);
      console.log('agreed');`;
    const dir = await mkdtemp(join(tmpdir(), 'herald-parallel-'));
    try {
      await writeFile(join(dir, 'forgetful.mjs'), script);
      const { stdout } = await run(process.execPath, [join(dir, 'forgetful.mjs')], { timeout: 10_000 });
      expect(stdout.trim()).toBe('agreed');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('sendMany with the parallel backend', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer((_request, response) => {
      response.writeHead(201);
      response.end();
    });
  });
  afterAll(() => server.close());

  test('delivers every message, and each body decrypts with its own subscriber keys', async () => {
    const subscribers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => subscriber(`${server.url}/push/${i}`)),
    );
    const backend = built.createParallelBackend({ threads: 2 });
    const transport = webpush.createTransport();
    try {
      const items = subscribers.map((s, id) => ({ id, subscription: s.json, payload: `message ${id}` }));
      const kinds = [];
      for await (const { result } of webpush.sendMany(items, { backend, transport, allowHttp: true })) {
        kinds.push(result.kind);
      }
      expect(kinds).toEqual(items.map(() => 'delivered'));
    } finally {
      await transport.close();
      await backend.close();
    }
    expect(server.requests).toHaveLength(subscribers.length);
    for (const request of server.requests) {
      const id = Number(request.url.split('/').at(-1));
      const { keyPair, auth } = subscribers[id]!;
      const plaintext = await webpush.decrypt(
        new Uint8Array(request.body),
        { keyPair, auth },
        { contentEncoding: 'aes128gcm' },
      );
      expect(new TextDecoder().decode(plaintext)).toBe(`message ${id}`);
    }
  });
});
