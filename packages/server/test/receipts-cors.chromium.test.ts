/**
 * Cross-origin receipts in headless Chromium: the site (its page and @herald/sw) is served from
 * one origin (`http://127.0.0.1:<port>`), Herald from another (`http://localhost:<port>`), both
 * real HTTP servers on port 0. Herald sends a real message through @herald/push-service to a
 * headless user agent; the payload it decrypted (message id, subscription id, receipt token) is
 * fed to the site's worker with `ServiceWorker.deliverPushMessage`. The worker's receipt is a
 * cross-origin JSON POST, so the browser sends a CORS preflight first: Herald must answer it for
 * the allowed origin (HERALD_CORS_ORIGINS) and refuse it for another, where the receipt stays
 * pending in the site's IndexedDB and nothing is counted.
 */
import type { IncomingMessage } from 'node:http';
import { type HeadlessSubscription, HeadlessUserAgent } from '@herald/push-service';
import type { BrowserContext, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  launchChromium,
  startTestServer,
  type TestServer,
  workerScript,
} from '../../sw/test/helpers/browser.js';
import { type Stack, startStack } from './helpers/stack.js';

let allowed: TestServer;
let other: TestServer;
let stack: Stack;
let heraldOrigin: string;
let context: BrowserContext;
let agent: HeadlessUserAgent;
let subscription: HeadlessSubscription;
let subscriptionId: string;
const seen: { method: string; path: string; headers: IncomingMessage['headers'] }[] = [];

/** A site: a page and a worker that imports Herald's ready-made script. */
async function site(): Promise<TestServer> {
  const server = await startTestServer();
  server.files.set('/', { type: 'text/html', body: '<!doctype html><title>Site</title><h1>Site</h1>' });
  server.files.set('/sw.js', { type: 'text/javascript', body: "importScripts('/herald-sw.js');" });
  server.files.set('/herald-sw.js', { type: 'text/javascript', body: await workerScript() });
  return server;
}

/** Opens the site, registers its worker, stores what @herald/client leaves (the Herald server's URL). */
async function openSite(
  server: TestServer,
): Promise<{ page: Page; cdp: CDPSession; registrationId: string }> {
  await context.grantPermissions(['notifications'], { origin: server.origin });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  const registered = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const live = registrations.find((r) => !r.isDeleted && r.scopeURL.startsWith(server.origin));
      if (live) resolve(live.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  await page.goto(`${server.origin}/`);
  await page.evaluate(async (heraldOrigin) => {
    await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
    await new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('herald', 1);
      open.onupgradeneeded = () => open.result.createObjectStore('kv');
      open.onsuccess = () => {
        const tx = open.result.transaction('kv', 'readwrite');
        tx.objectStore('kv').put(
          { server: heraldOrigin, id: 'sub', endpoint: 'e', auth: 'a', topics: [] },
          'registration',
        );
        tx.oncomplete = () => {
          open.result.close();
          resolve();
        };
        tx.onerror = () => reject(tx.error);
      };
    });
  }, heraldOrigin);
  return { page, cdp, registrationId: await registered };
}

/** Sends a message through Herald and the push service; returns the payload the browser would get. */
async function sendThroughHerald(title: string): Promise<{ id: string; payload: string }> {
  const { id } = await stack.admin<{ id: string }>('POST', '/messages', {
    to: { subscriptionIds: [subscriptionId] },
    notification: { title, url: `${allowed.origin}/` },
  });
  const message = await agent.waitForMessage({ subscription, timeoutMs: 10_000 });
  return { id, payload: message.text() };
}

const delivered = async (id: string) =>
  (await stack.admin<{ counts: { delivered: number } }>('GET', `/messages/${id}`)).counts.delivered;

const pendingReceipts = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<unknown>((resolve, reject) => {
        const open = indexedDB.open('herald', 1);
        open.onsuccess = () => {
          const request = open.result.transaction('kv').objectStore('kv').get('receipts');
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result);
          };
          request.onerror = () => reject(request.error);
        };
      }),
  );

beforeAll(async () => {
  [allowed, other] = await Promise.all([site(), site()]);
  stack = await startStack({ HERALD_CORS_ORIGINS: allowed.origin });
  // Another origin for the same server: the page's 127.0.0.1 and Herald's localhost differ.
  heraldOrigin = stack.url.replace('127.0.0.1', 'localhost');
  stack.herald.app.server.on('request', (request: IncomingMessage) => {
    if (request.url?.startsWith('/api/v1/receipts'))
      seen.push({ method: request.method ?? '', path: request.url, headers: request.headers });
  });
  const { publicKey } = await stack.admin<{ publicKey: string }>('GET', '/vapid-public-key');
  agent = await HeadlessUserAgent.connect(stack.push.websocketUrl);
  subscription = await agent.subscribe({ applicationServerKey: publicKey });
  const response = await fetch(`${stack.url}/api/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subscription: subscription.toJSON(), applicationServerKey: publicKey }),
  });
  expect(response.status).toBe(201);
  subscriptionId = ((await response.json()) as { id: string }).id;
  context = await launchChromium();
}, 60_000);

afterAll(async () => {
  await context?.close();
  agent?.close();
  await stack?.dispose();
  await Promise.all([allowed?.close(), other?.close()]);
});

test('the worker on the site origin posts its receipt to Herald on another origin, after a preflight', async () => {
  expect(new URL(heraldOrigin).origin).not.toBe(allowed.origin);
  const { page, cdp, registrationId } = await openSite(allowed);
  const { id, payload } = await sendThroughHerald('Cross-origin');
  seen.length = 0;
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin: allowed.origin,
    registrationId,
    data: payload,
  });
  await expect.poll(() => delivered(id), { timeout: 15_000 }).toBe(1);

  const preflight = seen.find((r) => r.method === 'OPTIONS');
  expect(preflight?.headers).toMatchObject({
    origin: allowed.origin,
    'access-control-request-method': 'POST',
    'access-control-request-headers': 'content-type',
  });
  const post = seen.find((r) => r.method === 'POST');
  expect(post?.headers.origin).toBe(allowed.origin);
  expect(seen.indexOf(preflight!)).toBeLessThan(seen.indexOf(post!));
  expect(await pendingReceipts(page)).toBeUndefined();
  await page.close();
});

test('a site origin Herald does not allow gets no CORS answer: nothing is counted, the receipt waits', async () => {
  const { page, cdp, registrationId } = await openSite(other);
  const { id, payload } = await sendThroughHerald('Not allowed');
  seen.length = 0;
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: other.origin, registrationId, data: payload });
  // The worker keeps the receipt it could not send (the browser refused the answer).
  await expect
    .poll(() => pendingReceipts(page), { timeout: 15_000 })
    .toEqual([expect.objectContaining({ message: id, event: 'delivered' })]);
  expect(seen.map((r) => [r.method, r.headers.origin])).toEqual([['OPTIONS', other.origin]]);
  expect(await delivered(id)).toBe(0);
  await page.close();
});
