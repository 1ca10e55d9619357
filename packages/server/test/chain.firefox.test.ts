/**
 * The whole chain in headless Firefox ESR, whose push client is pointed at @herald/push-service:
 * the demo page (served by Herald at /demo/) subscribes through @herald/client, a message sent
 * through the admin API reaches @herald/sw and is shown, the worker's `delivered` receipt reaches
 * the server, a click on the notification opens its URL (or focuses the tab already showing it)
 * and the `clicked` count rises, after a VAPID key rotation the SDK re-subscribes with the
 * new key and pushes still arrive, and when the push service resets the browser's uaid the worker
 * re-subscribes on `pushsubscriptionchange` (no page is loaded meanwhile) and pushes arrive.
 *
 * The clicks: headless Firefox shows notifications in its own alert window
 * (`alerts.useSystemBackend` = false). With `--remote-allow-system-access`, WebDriver BiDi can run
 * privileged script in that window; the test dispatches a click event on the alert's title there.
 * That event is the only simulated step (it is not OS-level input): from it on, everything is
 * Firefox's own — the alert's click handler, `notificationclick` in the worker with the user
 * activation that lets it open or focus windows, and the receipt. That window has no action
 * buttons: actions.firefox.test.ts presses those through Firefox's system backend.
 */
import { join } from 'node:path';
import { PushService } from '@herald/push-service';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { artifactsDir } from '../../sw/test/helpers/browser.js';
import { launchFirefox } from './helpers/firefox.js';
import { type Stack, startStack } from './helpers/stack.js';

let stack: Stack;
let browser: Browser;
let page: Page;

interface Message {
  id: string;
  status: string;
  counts: Record<string, number>;
}
interface Subscription {
  id: string;
  endpoint: string;
  vapidKeyId: string;
  topics: string[];
}

const subscriptions = async () =>
  (await stack.admin<{ items: Subscription[] }>('GET', '/subscriptions')).items;
const state = () => page.evaluate(() => document.body.dataset.state);
const shown = () =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration('/demo/');
    return (await registration!.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      data: n.data,
    }));
  });
const closeAll = () =>
  page.evaluate(async () => {
    const registration = await navigator.serviceWorker.getRegistration('/demo/');
    for (const n of await registration!.getNotifications()) n.close();
  });

async function send(title: string): Promise<string> {
  const { id } = await stack.admin<{ id: string }>('POST', '/messages', {
    to: { all: true },
    notification: { title, body: 'through the whole chain', url: `${stack.url}/demo/?from=push` },
    ttl: 60,
  });
  return id;
}

interface BidiConnection {
  send(method: string, params: object): Promise<unknown>;
}

/**
 * Clicks Firefox's own alert window showing `title` (see the file comment): its body, or its
 * close button.
 */
async function clickNotification(title: string, part: 'body' | 'close' = 'body'): Promise<string> {
  // puppeteer-core's BiDi browser exposes its raw connection; these two commands have no API.
  const connection = (browser as unknown as { connection: BidiConnection }).connection;
  const tree = (await connection.send('browsingContext.getTree', { 'moz:scope': 'chrome' })) as {
    result: { contexts: { context: string; url: string }[] };
  };
  const chrome = tree.result.contexts.find((c) => c.url.endsWith('/browser.xhtml'))!.context;
  const evaluated = await connection.send('script.evaluate', {
    expression: `(() => {
      for (const w of Services.wm.getEnumerator('alert:alert')) {
        const label = w.document.getElementById('alertTitleLabel');
        if (label.value !== ${JSON.stringify(title)}) continue;
        if (${JSON.stringify(part)} === 'close') w.document.getElementById('alert-close').doCommand();
        else label.dispatchEvent(new w.MouseEvent('click', { bubbles: true, view: w }));
        return 'clicked';
      }
      return 'no alert window titled ' + ${JSON.stringify(title)};
    })()`,
    target: { context: chrome },
    awaitPromise: false,
  });
  return (evaluated as { result: { result: { value: string } } }).result.result.value;
}

const messageCounts = async (id: string) => (await stack.admin<Message>('GET', `/messages/${id}`)).counts;

async function openDemo(): Promise<void> {
  await page.goto(`${stack.url}/demo/`);
  await page.waitForFunction(() => document.body.dataset.state !== undefined, { timeout: 15_000 });
}

beforeAll(async () => {
  stack = await startStack();
  browser = await launchFirefox(stack, {
    args: ['--remote-allow-system-access'],
    prefs: { 'dom.push.maxQuotaPerSubscription': 1000 },
  });
  page = await browser.newPage();
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
});

test('the demo page subscribes through @herald/client with a real click', async () => {
  await openDemo();
  // permissions.default.desktop-notification = 1: granted without a prompt, not yet subscribed.
  expect(await state()).toBe('unsubscribed');
  await page.click('#subscribe');
  await page.waitForFunction(() => document.body.dataset.state === 'subscribed', { timeout: 20_000 });
  const [subscription, ...others] = await subscriptions();
  expect(others).toEqual([]);
  expect(subscription!.endpoint.startsWith(`${stack.push.origin}/`)).toBe(true);
  expect(subscription!.topics).toEqual(['news']);
  await page.screenshot({ path: join(artifactsDir, 'firefox-demo-subscribed.png') });
}, 30_000);

test('a message sent through the API is shown by @herald/sw and reported delivered', async () => {
  const id = await send('Hello from the chain');
  await expect.poll(shown, { timeout: 15_000 }).toEqual([
    {
      title: 'Hello from the chain',
      body: 'through the whole chain',
      data: expect.objectContaining({ url: `${stack.url}/demo/?from=push` }),
    },
  ]);
  await expect
    .poll(() => messageCounts(id), { timeout: 15_000 })
    .toMatchObject({ targeted: 1, sent: 1, delivered: 1 });

  // No tab shows the notification's URL: the click opens one.
  const opened = new Promise<string>((resolve) =>
    browser.once('targetcreated', (target) => resolve(target.url())),
  );
  expect(await clickNotification('Hello from the chain')).toBe('clicked');
  await expect
    .poll(async () => (await browser.pages()).map((p) => p.url()), { timeout: 15_000 })
    .toContain(`${stack.url}/demo/?from=push`);
  await opened;
  await expect.poll(() => messageCounts(id), { timeout: 15_000 }).toMatchObject({ delivered: 1, clicked: 1 });
  expect(await shown()).toEqual([]);
}, 40_000);

test('a click on a notification whose page is open focuses that tab instead of opening another', async () => {
  const tabs = (await browser.pages()).length;
  const { id } = await stack.admin<{ id: string }>('POST', '/messages', {
    to: { all: true },
    notification: { title: 'Back to the demo', url: `${stack.url}/demo/` },
    ttl: 60,
  });
  await expect
    .poll(async () => (await shown()).map((n) => n.title), { timeout: 15_000 })
    .toEqual(['Back to the demo']);
  expect(await clickNotification('Back to the demo')).toBe('clicked');
  await expect.poll(() => messageCounts(id), { timeout: 15_000 }).toMatchObject({ delivered: 1, clicked: 1 });
  expect((await browser.pages()).length).toBe(tabs);
}, 40_000);

test('closing the notification with its close button reports it closed', async () => {
  const id = await send('Close me');
  await expect
    .poll(async () => (await shown()).map((n) => n.title), { timeout: 15_000 })
    .toEqual(['Close me']);
  expect(await clickNotification('Close me', 'close')).toBe('clicked');
  await expect
    .poll(() => messageCounts(id), { timeout: 15_000 })
    .toMatchObject({ delivered: 1, clicked: 0, closed: 1 });
}, 40_000);

test('after a VAPID key rotation the SDK re-subscribes with the new key and pushes still arrive', async () => {
  const [before] = await subscriptions();
  const rotated = await stack.admin<{ id: string }>('POST', '/vapid-keys/rotate');
  // The next page load reconciles quietly: the subscription was made with the retired key.
  await openDemo();
  await expect
    .poll(async () => (await subscriptions()).map((s) => s.vapidKeyId), { timeout: 20_000 })
    .toEqual([rotated.id]);
  const [after] = await subscriptions();
  expect(after!.endpoint).not.toBe(before!.endpoint);
  // `replaces` carried the topics over and retired the old subscription.
  expect(after!.topics).toEqual(['news']);
  expect(await state()).toBe('subscribed');

  const id = await send('After the rotation');
  await expect
    .poll(async () => (await shown()).map((n) => n.title), { timeout: 15_000 })
    .toEqual(['After the rotation']);
  await expect
    .poll(() => messageCounts(id), { timeout: 15_000 })
    .toMatchObject({ targeted: 1, sent: 1, delivered: 1 });
  await closeAll();
}, 60_000);

test('when the push service resets the uaid, the worker re-subscribes on pushsubscriptionchange and pushes arrive', async () => {
  const [before] = await subscriptions();
  const [uaid] = stack.push.connectedUserAgents();
  // The service forgets this browser and restarts on the same port with the same store (a
  // restart drops the socket without the close handshake, so Firefox reconnects at once). Its
  // hello names the forgotten uaid, gets a new one, drops its subscriptions and fires
  // pushsubscriptionchange in the worker (field notes).
  const { port, store } = stack.push;
  store.dropClient(uaid!);
  await stack.push.close();
  stack.push = await PushService.start({ port, store });
  await stack.push.waitFor('ua:hello', (_uaid: string, reused: boolean) => !reused, 30_000);
  await expect
    .poll(async () => (await subscriptions()).map((s) => s.endpoint === before!.endpoint), {
      timeout: 30_000,
    })
    .toEqual([false]);
  const [after] = await subscriptions();
  // `replaces` with the old id and auth secret from IndexedDB: topics carried over, old one gone.
  expect(after!.topics).toEqual(['news']);
  expect(after!.vapidKeyId).toBe(before!.vapidKeyId);

  const id = await send('After the uaid reset');
  await expect
    .poll(async () => (await shown()).map((n) => n.title), { timeout: 15_000 })
    .toEqual(['After the uaid reset']);
  await expect
    .poll(() => messageCounts(id), { timeout: 15_000 })
    .toMatchObject({ targeted: 1, sent: 1, delivered: 1 });
}, 90_000);
