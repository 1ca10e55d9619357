import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Browser, launch, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PushService } from '../src/index.js';
import { push, vapidKeys } from './helpers.js';

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
let keys: Awaited<ReturnType<typeof vapidKeys>>;
const reports: Report[] = [];
const reportWaiters: Array<(report: Report) => void> = [];

function nextReport(timeoutMs = 10_000): Promise<Report> {
  const queued = reports.shift();
  if (queued) return Promise.resolve(queued);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no report from the service worker within ${timeoutMs} ms`)),
      timeoutMs,
    );
    reportWaiters.push((report) => {
      clearTimeout(timer);
      resolve(report);
    });
  });
}

beforeAll(async () => {
  service = await PushService.start({ port: 0 });
  keys = await vapidKeys();
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
  browser = await launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    extraPrefsFirefox: { ...service.firefoxPrefs(), 'dom.push.maxQuotaPerSubscription': 1000 },
  });
  await hello;
  page = await browser.newPage();
  await page.goto(pageOrigin);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await service?.close();
  await new Promise((resolve) => pages?.close(resolve));
});

test('Firefox subscribes through the service and decrypts what @herald/webpush sends', async () => {
  const subscription = (await page.evaluate(
    (key) => (globalThis as unknown as Herald).herald.subscribe(key),
    keys.publicKeyText,
  )) as { endpoint: string; keys: { p256dh: string; auth: string } };
  expect(subscription.endpoint.startsWith(`${service.origin}/wpush/v1/`)).toBe(true);

  for (const [encoding, payload] of [
    ['aes128gcm', 'plain ascii'],
    ['aesgcm', 'legacy encoding'],
    ['aes128gcm', 'non-ASCII: héllo wörld ✓ 日本語 🎉'],
  ] as const) {
    const response = await push(subscription, payload, { vapid: keys, encoding });
    expect(response.status).toBe(201);
    const report = await nextReport();
    expect(report.type).toBe('push');
    expect(Buffer.from(report.data!, 'base64').toString()).toBe(payload);
    expect(report.notification).toBe('ok');
  }
}, 60_000);
