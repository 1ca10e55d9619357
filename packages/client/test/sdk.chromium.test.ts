/**
 * The SDK's state machine in headless Chromium against a real HTTP server standing in for the
 * Herald server's public API (docs/payload.md). Chromium cannot reach a push service offline, so
 * most tests install `fixtures/fake-push-manager.js` in the page; the timeout test uses
 * Chromium's real push manager, which never answers here, exactly the case the timeout is for.
 */
import { createECDH } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  bundle,
  launchChromium,
  type RecordedRequest,
  startTestServer,
  type TestServer,
  workerScript,
} from '../../sw/test/helpers/browser.js';

const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url));
// Real P-256 public keys: Chromium's own pushManager.subscribe checks the point.
const newKey = () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return ecdh.getPublicKey().toString('base64url');
};
const key1 = newKey();
const key2 = newKey();

let server: TestServer;
let context: BrowserContext;
let page: Page;
let fakePush: string;
let serverKey = key1;
let ids = 0;

type Outcome = {
  ok?: unknown;
  error?: { code: string; message: string; status?: number; serverCode?: string };
};

const calls = () =>
  server.requests.filter((r) => r.path !== '/api/v1/vapid-public-key').map((r) => [r.method, r.path, r.body]);

async function open(path = '/', options: { fake?: boolean } = {}) {
  page = await context.newPage();
  if (options.fake ?? true) await page.addInitScript(fakePush);
  await page.goto(`${server.origin}${path}`);
  await page.waitForFunction(() => 'loaded' in window);
  await page.evaluate(() => (window as unknown as { herald: { ready: Promise<void> } }).herald.ready);
  return page;
}

function run(code: string): Promise<Outcome> {
  return page.evaluate(
    (code) =>
      (window as unknown as { attempt(f: () => Promise<unknown>): Promise<Outcome> }).attempt(
        // biome-ignore lint/security/noGlobalEval: the test drives the SDK with code strings.
        () => eval(code),
      ),
    code,
  );
}

const state = () => run('herald.getState()');
const storedRegistration = () =>
  page.evaluate(
    () =>
      new Promise((resolve) => {
        const request = indexedDB.open('herald', 1);
        request.onupgradeneeded = () => request.result.createObjectStore('kv');
        request.onsuccess = () => {
          const get = request.result.transaction('kv').objectStore('kv').get('registration');
          get.onsuccess = () => resolve(get.result);
        };
      }),
  );

async function clickSubscribe(): Promise<Outcome> {
  await page.click('#subscribe');
  return page.evaluate(() => (window as unknown as { clicked: Promise<Outcome> }).clicked);
}

beforeAll(async () => {
  fakePush = await readFile(fixture('fake-push-manager.js'), 'utf8');
  server = await startTestServer();
  server.files.set('/', { type: 'text/html', body: await readFile(fixture('page.html'), 'utf8') });
  server.files.set('/client.js', {
    type: 'text/javascript',
    body: await bundle(fileURLToPath(new URL('../src/index.ts', import.meta.url)), { format: 'esm' }),
  });
  server.files.set('/herald-sw.js', { type: 'text/javascript', body: await workerScript() });
  server.files.set('/sw.js', { type: 'text/javascript', body: "importScripts('/herald-sw.js');" });
  server.api = (request: RecordedRequest) => {
    if (request.path === '/api/v1/vapid-public-key') return { status: 200, body: { publicKey: serverKey } };
    if (request.method === 'POST' && request.path === '/api/v1/subscriptions') {
      return { status: 201, body: { id: `sub_${++ids}` } };
    }
    const id = request.path.split('/')[4];
    if (request.method === 'PUT' && request.path.endsWith('/topics')) return { status: 200, body: { id } };
    if (request.method === 'POST' && request.path.endsWith('/link'))
      return { status: 200, body: { id, userId: 'u1' } };
    if (request.method === 'POST' && request.path.endsWith('/unsubscribe')) return { status: 204 };
    return { status: 404, body: { error: { code: 'ERR_NOT_FOUND', message: 'no route' } } };
  };
  context = await launchChromium();
});

afterAll(async () => {
  await context?.close();
  await server?.close();
});

test('a browser without the Push API is unsupported, and subscribe says so', async () => {
  page = await context.newPage();
  await page.addInitScript('delete window.PushManager');
  await page.goto(`${server.origin}/`);
  await page.waitForFunction(() => 'loaded' in window);
  expect(await state()).toEqual({ ok: 'unsupported' });
  expect((await run('herald.subscribe()')).error?.code).toBe('ERR_NOT_SUPPORTED');
  await page.close();
});

describe('permission', () => {
  test('before asking the state is prompt, and subscribe needs a user gesture', async () => {
    // The page calls subscribe() as it loads, with no click: no user activation. (Playwright's
    // evaluate counts as a gesture, hence the page does it itself.)
    await open('/?auto=1');
    expect(await state()).toEqual({ ok: 'prompt' });
    expect(
      (await page.evaluate(() => (window as unknown as { auto: Promise<Outcome> }).auto)).error,
    ).toMatchObject({
      code: 'ERR_USER_GESTURE_REQUIRED',
      message: expect.stringContaining('without a user gesture'),
    });
    expect(server.requests).toEqual([]);
  });

  test('a click asks; a prompt answered Block (as headless Chromium answers) is a permission error', async () => {
    expect((await clickSubscribe()).error).toMatchObject({ code: 'ERR_PERMISSION_DENIED' });
    expect(await state()).toEqual({ ok: 'denied' });
  });

  test('blocked notifications are the denied state and refuse subscribe without asking', async () => {
    const cdp = await context.newCDPSession(page);
    const set = (setting: 'prompt' | 'denied') =>
      cdp.send('Browser.setPermission', {
        permission: { name: 'notifications' },
        setting,
        origin: server.origin,
      });
    await set('prompt');
    expect(await state()).toEqual({ ok: 'prompt' });
    await set('denied');
    expect(await state()).toEqual({ ok: 'denied' });
    expect((await clickSubscribe()).error).toMatchObject({
      code: 'ERR_PERMISSION_DENIED',
      message: "notification permission is 'denied'",
    });
    await context.clearPermissions();
    await page.close();
  });
});

describe('subscribed life cycle', () => {
  test('subscribe registers the subscription with its key and topics, and stores it', async () => {
    await context.grantPermissions(['notifications'], { origin: server.origin });
    await open();
    expect(await state()).toEqual({ ok: 'unsubscribed' });
    server.requests.length = 0;
    expect(await clickSubscribe()).toEqual({ ok: 'https://fcm.googleapis.com/fcm/send/fake-1' });
    expect(server.requests.map((r) => [r.method, r.path])).toEqual([
      ['GET', '/api/v1/vapid-public-key'],
      ['POST', '/api/v1/subscriptions'],
    ]);
    expect(calls()).toEqual([
      [
        'POST',
        '/api/v1/subscriptions',
        {
          subscription: {
            endpoint: 'https://fcm.googleapis.com/fcm/send/fake-1',
            expirationTime: null,
            keys: { p256dh: 'BP1', auth: 'auth-1' },
          },
          applicationServerKey: key1,
          topics: ['news'],
        },
      ],
    ]);
    expect(await state()).toEqual({ ok: 'subscribed' });
    expect(await storedRegistration()).toEqual({
      server: server.origin,
      id: 'sub_1',
      endpoint: 'https://fcm.googleapis.com/fcm/send/fake-1',
      auth: 'auth-1',
      applicationServerKey: key1,
      topics: ['news'],
    });
  });

  test('topics and the user link change with proof of possession (the auth secret)', async () => {
    server.requests.length = 0;
    expect(await run("herald.setTopics(['news', 'sport'])")).toEqual({});
    expect(await run("herald.linkUser('signed-token')")).toEqual({});
    expect(calls()).toEqual([
      ['PUT', '/api/v1/subscriptions/sub_1/topics', { auth: 'auth-1', topics: ['news', 'sport'] }],
      ['POST', '/api/v1/subscriptions/sub_1/link', { auth: 'auth-1', token: 'signed-token' }],
    ]);
    expect(await storedRegistration()).toMatchObject({ topics: ['news', 'sport'] });
  });

  test('a page load with nothing changed registers nothing', async () => {
    await page.close();
    server.requests.length = 0;
    await open();
    expect(calls()).toEqual([]);
    expect(await state()).toEqual({ ok: 'subscribed' });
  });

  test('a page load after the browser replaced the subscription registers the new one in place of the old', async () => {
    // What Chrome does silently: the push service hands the browser a new endpoint.
    await page.evaluate(() => {
      const record = JSON.parse(localStorage.getItem('fake-push')!);
      localStorage.setItem(
        'fake-push',
        JSON.stringify({ ...record, endpoint: `${record.endpoint}-renewed`, auth: 'auth-renewed' }),
      );
    });
    expect(await state()).toEqual({ ok: 'unsubscribed' });
    await page.close();
    server.requests.length = 0;
    await open();
    expect(calls()).toEqual([
      [
        'POST',
        '/api/v1/subscriptions',
        {
          subscription: {
            endpoint: 'https://fcm.googleapis.com/fcm/send/fake-1-renewed',
            expirationTime: null,
            keys: { p256dh: 'BP1', auth: 'auth-renewed' },
          },
          applicationServerKey: key1,
          // No topics: the server carries the replaced subscription's topics and user link over.
          replaces: { id: 'sub_1', auth: 'auth-1' },
        },
      ],
    ]);
    expect(await state()).toEqual({ ok: 'subscribed' });
  });

  test('after a VAPID key rotation subscribe re-subscribes with the new key, replacing the old', async () => {
    serverKey = key2;
    server.requests.length = 0;
    expect(await clickSubscribe()).toEqual({ ok: 'https://fcm.googleapis.com/fcm/send/fake-2' });
    expect(calls()).toEqual([
      [
        'POST',
        '/api/v1/subscriptions',
        {
          subscription: {
            endpoint: 'https://fcm.googleapis.com/fcm/send/fake-2',
            expirationTime: null,
            keys: { p256dh: 'BP2', auth: 'auth-2' },
          },
          applicationServerKey: key2,
          topics: ['news'],
          replaces: { id: 'sub_2', auth: 'auth-renewed' },
        },
      ],
    ]);
    expect(await storedRegistration()).toMatchObject({ id: 'sub_3', applicationServerKey: key2 });
  });

  test('a page load after a key rotation moves the subscription to the new key quietly', async () => {
    serverKey = key1;
    await page.close();
    server.requests.length = 0;
    await open();
    expect(calls()).toEqual([
      [
        'POST',
        '/api/v1/subscriptions',
        expect.objectContaining({ applicationServerKey: key1, replaces: { id: 'sub_3', auth: 'auth-2' } }),
      ],
    ]);
    expect(await storedRegistration()).toMatchObject({
      id: 'sub_4',
      endpoint: 'https://fcm.googleapis.com/fcm/send/fake-3',
    });
  });

  test('a replaced subscription the server no longer has (pruned after a 410) is registered afresh', async () => {
    const api = server.api;
    server.api = (request) =>
      (request.body as { replaces?: unknown } | undefined)?.replaces
        ? {
            status: 404,
            body: { error: { code: 'ERR_NOT_FOUND', message: 'no subscription with id "sub_4"' } },
          }
        : api(request);
    try {
      await page.evaluate(() => {
        const record = JSON.parse(localStorage.getItem('fake-push')!);
        localStorage.setItem(
          'fake-push',
          JSON.stringify({ ...record, endpoint: `${record.endpoint}-b`, auth: 'auth-b' }),
        );
      });
      await page.close();
      server.requests.length = 0;
      await open();
      expect(calls().map(([, , body]) => body)).toEqual([
        expect.objectContaining({ replaces: { id: 'sub_4', auth: 'auth-3' } }),
        expect.objectContaining({ topics: ['news'] }),
      ]);
      expect(await storedRegistration()).toMatchObject({ id: 'sub_5', auth: 'auth-b', topics: ['news'] });
    } finally {
      server.api = api;
    }
  });

  test('subscribe with a user token links the subscription after registering it', async () => {
    server.requests.length = 0;
    expect(await run("herald.subscribe({ userToken: 'signed' }).then((s) => s.endpoint)")).toEqual({
      ok: 'https://fcm.googleapis.com/fcm/send/fake-3-b',
    });
    expect(calls()).toEqual([
      ['POST', '/api/v1/subscriptions', expect.objectContaining({ topics: ['news'] })],
      ['POST', '/api/v1/subscriptions/sub_6/link', { auth: 'auth-b', token: 'signed' }],
    ]);
  });

  test('a refusal from the server is ERR_SERVER_REFUSED with its status and code', async () => {
    const api = server.api;
    server.api = () => ({
      status: 400,
      body: { error: { code: 'ERR_INVALID_TOPIC', message: 'topic too long' } },
    });
    try {
      expect((await run("herald.setTopics(['x'.repeat(300)])")).error).toMatchObject({
        code: 'ERR_SERVER_REFUSED',
        status: 400,
        serverCode: 'ERR_INVALID_TOPIC',
        message:
          'PUT /subscriptions/sub_6/topics: expected a 2xx answer, the Herald server answered 400 ERR_INVALID_TOPIC: topic too long',
      });
    } finally {
      server.api = api;
    }
  });

  test('unsubscribe tells the server with proof, then the state is unsubscribed', async () => {
    server.requests.length = 0;
    expect(await run('herald.unsubscribe()')).toEqual({});
    expect(calls()).toEqual([['POST', '/api/v1/subscriptions/sub_6/unsubscribe', { auth: 'auth-b' }]]);
    expect(await state()).toEqual({ ok: 'unsubscribed' });
    expect((await run("herald.setTopics(['news'])")).error?.code).toBe('ERR_NOT_SUBSCRIBED');
    await page.close();
  });
});

describe('failures on the way', () => {
  test('an unreachable Herald server is ERR_SERVER_UNREACHABLE', async () => {
    await open('/?server=http://127.0.0.1:9');
    expect((await clickSubscribe()).error).toMatchObject({
      code: 'ERR_SERVER_UNREACHABLE',
      message: 'GET /vapid-public-key: could not reach the Herald server at http://127.0.0.1:9',
    });
    await page.close();
  });

  test("a push service that never answers (Chromium's real one, offline) times out", async () => {
    await context.grantPermissions(['notifications'], { origin: server.origin });
    await open('/?timeout=1500', { fake: false });
    const started = Date.now();
    const outcome = await clickSubscribe();
    const elapsed = Date.now() - started;
    expect(outcome.error).toMatchObject({ code: 'ERR_PUSH_SERVICE_UNREACHABLE' });
    expect(elapsed).toBeLessThan(5000);
    console.log(`real Chromium subscribe: ${outcome.error?.message} after ${elapsed} ms`);
    await page.close();
  });
});
