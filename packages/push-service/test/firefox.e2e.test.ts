import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  generateVapidKeys,
  maxPayloadLength,
  type PushSubscriptionJSON,
  type SendOptions,
  sendNotification,
} from '@herald/webpush';
import { createUndiciTransport } from '@herald/webpush/node';
import { type Browser, launch, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PushService } from '../src/index.js';
import { selfSignedCertificate } from './helpers.js';

// Real Firefox ESR (Debian) against our push service: the strongest proof that the protocol
// side is right and that what @herald/webpush encrypts is what a browser decrypts.

interface Herald {
  herald: { subscribe(key: string): Promise<unknown>; unsubscribe(): Promise<boolean> };
}

interface Report {
  type: 'push' | 'pushsubscriptionchange';
  data?: string | null;
  notification?: string;
  old?: string | null;
}

let service: PushService;
let pages: Server;
let pageOrigin: string;
let browser: Browser;
let page: Page;
let vapid: SendOptions['vapid'];
let vapidPublicKey: string;
let subscription: PushSubscriptionJSON;
const reports: Report[] = [];
const reportWaiters: Array<(report: Report) => void> = [];

function nextReport(timeoutMs = 10_000): Promise<Report> {
  const queued = reports.shift();
  if (queued) return Promise.resolve(queued);
  return new Promise((resolve, reject) => {
    const waiter = (report: Report) => {
      clearTimeout(timer);
      resolve(report);
    };
    const timer = setTimeout(() => {
      reportWaiters.splice(reportWaiters.indexOf(waiter), 1);
      reject(new Error(`no report from the service worker within ${timeoutMs} ms`));
    }, timeoutMs);
    reportWaiters.push(waiter);
  });
}

/** Firefox ESR pointed at `target`, with the prefs of the field notes (debug output with PUSH_DEBUG=1). */
function launchFirefox(target: PushService, extra: { acceptInsecureCerts?: boolean } = {}): Promise<Browser> {
  const debug = Boolean(process.env.PUSH_DEBUG);
  return launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    ...extra,
    extraPrefsFirefox: {
      ...target.firefoxPrefs(),
      'dom.push.maxQuotaPerSubscription': 1000,
      'dom.push.loglevel': debug ? 'debug' : 'error',
      'devtools.console.stdout.chrome': debug,
      'devtools.console.stdout.content': debug,
    },
    dumpio: debug,
  });
}

beforeAll(async () => {
  service = await PushService.start({ port: 0 });
  const keys = await generateVapidKeys();
  vapidPublicKey = keys.publicKey;
  vapid = { subject: 'mailto:e2e@example.com', ...keys };
  const files: Record<string, [string, string]> = {
    '/': ['text/html', readFileSync(new URL('./fixtures/page.html', import.meta.url), 'utf8')],
    '/sw.js': ['text/javascript', readFileSync(new URL('./fixtures/sw.js', import.meta.url), 'utf8')],
  };
  pages = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/report') {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        const report = JSON.parse(body) as Report;
        const waiter = reportWaiters.shift();
        if (waiter) waiter(report);
        else reports.push(report);
        res.end('ok');
      });
      return;
    }
    const file = files[req.url ?? ''];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file[0] }).end(file[1]);
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;

  // Firefox connects to the push service at startup, before any subscription: wait for that
  // hello before subscribing (a subscribe() in the first seconds can hang for good).
  const hello = service.waitFor('ua:hello', () => true, 30_000);
  browser = await launchFirefox(service);
  await hello;
  page = await browser.newPage();
  await page.goto(pageOrigin);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await new Promise((resolve) => pages?.close(resolve));
});

function send(payload: string | null, options: SendOptions = {}) {
  return sendNotification(subscription, payload, { vapid, ttl: 600, allowHttp: true, ...options });
}

function subscribe(): Promise<PushSubscriptionJSON> {
  return page.evaluate(
    (key) => (globalThis as unknown as Herald).herald.subscribe(key),
    vapidPublicKey,
  ) as Promise<PushSubscriptionJSON>;
}

/** Sends, expects 201, and returns what the service worker reported for it. */
async function roundTrip(payload: string, options: SendOptions = {}): Promise<Report> {
  const result = await send(payload, options);
  expect(result).toMatchObject({ kind: 'delivered', status: 201 });
  return nextReport();
}

test('Firefox subscribes through the service and decrypts what @herald/webpush sends, byte for byte', async () => {
  subscription = await subscribe();
  expect(subscription.endpoint!.startsWith(`${service.origin}/wpush/v1/`)).toBe(true);
  const nearLimit = `${'x'.repeat(maxPayloadLength() - 10)}é✓`;
  for (const [contentEncoding, payload] of [
    ['aes128gcm', 'plain ascii'],
    ['aesgcm', 'legacy encoding, still accepted by browsers'],
    ['aes128gcm', 'non-ASCII: héllo wörld ✓ 日本語 🎉'],
    ['aes128gcm', nearLimit],
  ] as const) {
    const report = await roundTrip(payload, { contentEncoding });
    expect(report.type).toBe('push');
    expect(Buffer.from(report.data!, 'base64')).toEqual(Buffer.from(payload));
    // showNotification resolved inside the push event.
    expect(report.notification).toBe('ok');
  }
  expect(Buffer.byteLength(nearLimit)).toBe(maxPayloadLength() - 10 + 5);
}, 30_000);

test('messages sent while Firefox is disconnected arrive after it reconnects; a Topic keeps only the newer', async () => {
  // Keep Firefox away while the messages are sent, then let it back in.
  service.faults.refuseConnections = true;
  const [uaid] = service.connectedUserAgents();
  expect(service.disconnect()).toBe(1);
  expect(service.connectedUserAgents()).toEqual([]);
  expect(await send('old score', { topic: 'score' })).toMatchObject({ status: 201 });
  expect(await send('new score', { topic: 'score' })).toMatchObject({ status: 201 });
  expect(await send('no topic')).toMatchObject({ status: 201 });
  expect(service.status().messages).toBe(2);
  const back = service.waitFor('ua:hello', (u, reused) => u === uaid && reused, 20_000);
  service.faults.refuseConnections = false;
  await back;
  const reports = [await nextReport(), await nextReport()];
  // The service sends them in order; Firefox runs the two push events concurrently.
  expect(reports.map((r) => Buffer.from(r.data!, 'base64').toString()).sort()).toEqual([
    'new score',
    'no topic',
  ]);
  await expect(nextReport(500)).rejects.toThrow(/no report/);
}, 40_000);

test('a uaid reset makes Firefox drop its subscription and fire pushsubscriptionchange', async () => {
  const old = subscription.endpoint;
  const uaid = service.resetUserAgent({ endpoint: old! });
  await service.waitFor('ua:hello', (u, reused) => u !== uaid && !reused, 20_000);
  expect(await nextReport()).toEqual({ type: 'pushsubscriptionchange', old });
  expect(await send('to the dropped one')).toMatchObject({ kind: 'gone', status: 410 });
}, 30_000);

test('after unsubscribe() the next send is 410 Gone', async () => {
  subscription = await subscribe();
  expect(await roundTrip('once more')).toMatchObject({ type: 'push' });
  expect(await page.evaluate(() => (globalThis as unknown as Herald).herald.unsubscribe())).toBe(true);
  const result = await send('to nobody');
  expect(result).toMatchObject({ kind: 'gone', status: 410 });
}, 20_000);

test('over wss:// (TLS, as Firefox requires outside tests) subscribe and delivery work the same', async () => {
  const { dir, cert, key } = selfSignedCertificate('herald-push-e2e-tls-');
  const secure = await PushService.start({ port: 0, tls: { cert, key } });
  const transport = createUndiciTransport({ connect: { ca: cert } });
  // The remote agent's acceptInsecureCerts makes Firefox trust the test certificate, the way an
  // air-gapped site would install its own CA.
  const hello = secure.waitFor('ua:hello', () => true, 30_000);
  const tlsBrowser = await launchFirefox(secure, { acceptInsecureCerts: true });
  try {
    expect(secure.websocketUrl.startsWith('wss://')).toBe(true);
    await hello;
    const tlsPage = await tlsBrowser.newPage();
    await tlsPage.goto(pageOrigin);
    const tlsSubscription = (await tlsPage.evaluate(
      (key) => (globalThis as unknown as Herald).herald.subscribe(key),
      vapidPublicKey,
    )) as PushSubscriptionJSON;
    expect(tlsSubscription.endpoint!.startsWith(`${secure.origin}/wpush/v1/`)).toBe(true);
    const result = await sendNotification(tlsSubscription, 'über TLS', { vapid, ttl: 600, transport });
    expect(result).toMatchObject({ kind: 'delivered', status: 201 });
    const report = await nextReport();
    expect(Buffer.from(report.data!, 'base64').toString()).toBe('über TLS');
  } finally {
    await tlsBrowser.close();
    await transport.close();
    await secure.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
