/**
 * The service worker in headless Chromium. Pushes are fed with the DevTools command
 * `ServiceWorker.deliverPushMessage` (Chromium cannot subscribe offline: field notes), so the
 * worker's real `push` listener runs with a real `PushEvent`. Chromium only lets a worker open or
 * focus a window while a real notification click is being handled, and offers no way to click a
 * notification in headless mode: the click tests call the worker's click handler with a real
 * shown `Notification` and record `clients.openWindow` / `WindowClient.focus` instead of letting
 * Chromium refuse them. The Firefox end-to-end suite covers the rest of the chain.
 *
 * Why the test waits for the worker's word before reading notifications: Chromium's
 * `getNotifications()` also prunes its notification database of entries the platform does not
 * display (PlatformNotificationContextImpl: entries created before the call that are missing
 * from the displayed set are deleted). A notification written to the database but not yet
 * displayed when such a call samples the displayed set is deleted for good: `showNotification`
 * still resolves and the notification is on screen, but `getNotifications()` never lists it
 * again. Polling `getNotifications()` while a push was being shown hit that window (more often
 * under load), which looked like a push dispatched over 10 s late; the worker logs showed the
 * push event and `showNotification` done within milliseconds. So the site's worker below tells
 * the page when `showNotification` has resolved, and only then does the test read the list.
 */
import { join } from 'node:path';
import type { BrowserContext, CDPSession, Page, Worker } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import {
  artifactsDir,
  launchChromium,
  type RecordedRequest,
  startTestServer,
  type TestServer,
  workerScript,
} from './helpers/browser.js';

// Generous for a loaded 2-core machine; a worker that never shows anything fails in push().
vi.setConfig({ testTimeout: 60_000 });

let server: TestServer;
let context: BrowserContext;
let page: Page;
let cdp: CDPSession;
let worker: Worker;
let registrationId: string;

// The site's worker: Herald's script, a data-push hook, and (test instrumentation only) a word to
// the page each time showNotification resolves (see the file comment).
const siteWorker = `
const show = ServiceWorkerRegistration.prototype.showNotification;
ServiceWorkerRegistration.prototype.showNotification = async function (title, options) {
  await show.call(this, title, options);
  for (const client of await clients.matchAll({ type: 'window', includeUncontrolled: true })) client.postMessage({ shown: title });
};
importScripts('/herald-sw.js');
herald.options.onPush = (push) => {
  if (push.json && push.json.kind === 'data') return { title: 'Data: ' + push.json.value, options: { body: 'from the hook', data: push.notification.options.data } };
  if (push.json && push.json.kind === 'throw') throw new Error('hook failed');
};`;

const receipts = () =>
  server.requests
    .filter((r) => r.path === '/api/v1/receipts')
    .map((r) => (r.body as { receipts: { message: string; event: string; receipt: string }[] }).receipts);

/** Delivers a push and returns the notification it showed (the only one: others are closed first). */
async function push(data: string) {
  await closeAll();
  const before = await page.evaluate(
    () => (window as unknown as { shownTitles: string[] }).shownTitles.length,
  );
  await cdp.send('ServiceWorker.deliverPushMessage', { origin: server.origin, registrationId, data });
  // The worker's word that showNotification resolved; only then is reading the list safe.
  await page
    .waitForFunction(
      (before) => (window as unknown as { shownTitles: string[] }).shownTitles.length > before,
      before,
      { timeout: 30_000, polling: 50 },
    )
    .catch(() => {
      throw new Error(`the worker showed no notification within 30 s of a push (${data.slice(0, 60)})`);
    });
  const list = await shown();
  expect(list).toHaveLength(1);
  const notification = list[0]!;
  // The push event ends with the delivered receipt: wait for it so that tests do not overlap.
  const message = (notification.data as { herald?: { message: string } }).herald?.message;
  if (message)
    await until(() =>
      receipts()
        .flat()
        .some((r) => r.message === message && r.event === 'delivered'),
    );
  return notification;
}

function stored(key: string) {
  return page.evaluate(
    (key) =>
      new Promise((resolve, reject) => {
        const open = indexedDB.open('herald', 1);
        open.onsuccess = () => {
          const request = open.result.transaction('kv').objectStore('kv').get(key);
          request.onsuccess = () => {
            open.result.close();
            resolve(request.result);
          };
          request.onerror = () => reject(request.error);
        };
      }),
    key,
  );
}

async function closeAll() {
  await page.evaluate(async () => {
    for (const n of await (await navigator.serviceWorker.ready).getNotifications()) n.close();
  });
  // Closing is asynchronous in Chromium: wait until the list is really empty.
  await page.waitForFunction(
    async () => (await (await navigator.serviceWorker.ready).getNotifications()).length === 0,
    undefined,
    { polling: 50 },
  );
}

function shown() {
  return page.evaluate(async () =>
    (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      requireInteraction: n.requireInteraction,
      actions: (n as Notification & { actions: unknown }).actions,
      data: n.data,
    })),
  );
}

async function until(check: () => boolean) {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(check()).toBe(true);
}

beforeAll(async () => {
  server = await startTestServer();
  server.files.set('/herald-sw.js', { type: 'text/javascript', body: await workerScript() });
  server.files.set('/sw.js', { type: 'text/javascript', body: siteWorker });
  server.files.set('/', { type: 'text/html', body: '<!doctype html><title>Site</title><h1>Site</h1>' });
  server.files.set('/sale', { type: 'text/html', body: '<!doctype html><title>Sale</title><h1>Sale</h1>' });
  context = await launchChromium();
  await context.grantPermissions(['notifications'], { origin: server.origin });
  page = context.pages()[0] ?? (await context.newPage());
  cdp = await context.newCDPSession(page);
  const registered = new Promise<string>((resolve) =>
    cdp.on('ServiceWorker.workerRegistrationUpdated', ({ registrations }) => {
      const live = registrations.find((r) => !r.isDeleted);
      if (live) resolve(live.registrationId);
    }),
  );
  await cdp.send('ServiceWorker.enable');
  await page.goto(`${server.origin}/`);
  await page.evaluate(() => {
    const titles: string[] = [];
    (window as unknown as { shownTitles: string[] }).shownTitles = titles;
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (typeof event.data?.shown === 'string') titles.push(event.data.shown);
    });
    navigator.serviceWorker.startMessages();
  });
  const workerStarted = context.waitForEvent('serviceworker');
  await page.evaluate(async () => {
    await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
  });
  worker = context.serviceWorkers()[0] ?? (await workerStarted);
  registrationId = await registered;
  // What @herald/client leaves after registering: the worker reads the server from it.
  await page.evaluate(
    (origin) =>
      new Promise<void>((resolve, reject) => {
        const open = indexedDB.open('herald', 1);
        open.onupgradeneeded = () => open.result.createObjectStore('kv');
        open.onsuccess = () => {
          const tx = open.result.transaction('kv', 'readwrite');
          tx.objectStore('kv').put(
            {
              server: origin,
              id: 'sub_1',
              endpoint: 'https://push.example/old',
              auth: 'old-auth',
              applicationServerKey: 'BKey',
              topics: ['news'],
            },
            'registration',
          );
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        };
      }),
    server.origin,
  );
});

afterAll(async () => {
  await context?.close();
  await server?.close();
});

beforeEach(async () => {
  server.requests.length = 0;
  server.api = () => ({ status: 202, body: { accepted: 1 } });
});

/** The parts of the worker's global scope the tests touch (tests compile with the DOM library). */
interface WorkerScope {
  registration: ServiceWorkerRegistration;
  clients: { openWindow(url: string): Promise<unknown> };
  WindowClient: { prototype: { focus(this: { url: string }): Promise<unknown> } };
  herald: {
    click(notification: Notification, action: string): Promise<void>;
    resubscribe(oldSubscription: PushSubscription, newSubscription: null): Promise<unknown>;
  };
}

const herald = { message: 'msg_1', subscription: 'sub_1', receipt: 'tok_1' };
const payload = (notification: Record<string, unknown>, extra: Record<string, unknown> = { herald }) =>
  JSON.stringify({ web_push: 8030, notification, mutable: true, ...extra });

describe('push', () => {
  test('a Herald payload is shown with its actions and data, then reported delivered', async () => {
    const notification = await push(
      payload({
        title: 'Sale starts now',
        body: 'Everything 20% off',
        navigate: `${server.origin}/sale`,
        tag: 'sale',
        requireInteraction: true,
        actions: [{ action: 'shoes', title: 'Shoes', navigate: `${server.origin}/shoes` }],
        data: { sku: 42 },
      }),
    );
    expect(notification).toEqual({
      title: 'Sale starts now',
      body: 'Everything 20% off',
      tag: 'sale',
      requireInteraction: true,
      actions: [{ action: 'shoes', title: 'Shoes', icon: '', placeholder: null, type: 'button' }],
      data: {
        url: `${server.origin}/sale`,
        actions: { shoes: `${server.origin}/shoes` },
        herald,
        data: { sku: 42 },
      },
    });
    await until(() => receipts().length === 1);
    expect(receipts()).toEqual([[{ ...herald, event: 'delivered' }]]);
    await page.screenshot({ path: join(artifactsDir, 'sw-push.png') });
  });

  test('malformed and empty payloads still show a notification, and send no receipt', async () => {
    const host = new URL(server.origin).host;
    expect(await push('{"web_push":8030,"notification":{"body":"no title"')).toMatchObject({
      title: host,
      body: 'You have a new notification.',
    });
    expect(await push('Your order shipped')).toMatchObject({ title: host, body: 'Your order shipped' });
    expect(await push('')).toMatchObject({ title: host, body: 'You have a new notification.' });
    expect(receipts()).toEqual([]);
  });

  test('the onPush hook replaces the notification of a data push; a failing hook falls back', async () => {
    expect(await push(JSON.stringify({ kind: 'data', value: 7 }))).toMatchObject({
      title: 'Data: 7',
      body: 'from the hook',
    });
    expect(
      await push(payload({ title: 'Shown anyway', navigate: server.origin }, { kind: 'throw' })),
    ).toMatchObject({
      title: 'Shown anyway',
    });
  });

  test('receipts the server could not take wait in IndexedDB and go with the next batch', async () => {
    server.api = () => ({ status: 503, body: { error: { code: 'ERR_UNAVAILABLE', message: 'down' } } });
    await push(payload({ title: 'One', navigate: server.origin }, { herald: { ...herald, message: 'm1' } }));
    const pending = async () =>
      ((await stored('receipts')) as { message: string }[] | undefined)?.map((r) => r.message);
    await expect.poll(pending, { timeout: 10_000 }).toEqual(['m1']);
    server.api = () => ({ status: 202, body: { accepted: 2 } });
    await push(payload({ title: 'Two', navigate: server.origin }, { herald: { ...herald, message: 'm2' } }));
    const batchWith = (message: string) =>
      receipts().find((batch) => batch.some((r) => r.message === message));
    expect(batchWith('m2')!.map((r) => r.message)).toEqual(['m1', 'm2']);
    // Flushed: the next receipt goes alone.
    await expect.poll(() => stored('receipts'), { timeout: 10_000 }).toBeUndefined();
    await push(
      payload({ title: 'Three', navigate: server.origin }, { herald: { ...herald, message: 'm3' } }),
    );
    expect(batchWith('m3')).toEqual([{ ...herald, message: 'm3', event: 'delivered' }]);
  });
});

describe('click (handler called with a real shown notification; see the file comment)', () => {
  async function click(action: string) {
    return worker.evaluate(async (action) => {
      const calls: string[] = [];
      const scope = self as unknown as WorkerScope;
      scope.clients.openWindow = async (url) => {
        calls.push(`open ${url}`);
        return null;
      };
      scope.WindowClient.prototype.focus = async function (this: { url: string }) {
        calls.push(`focus ${this.url}`);
        return this;
      };
      const [notification] = await scope.registration.getNotifications();
      await scope.herald.click(notification!, action);
      return { calls, left: (await scope.registration.getNotifications()).length };
    }, action);
  }

  test('opens the URL when no tab shows it, closes the notification and reports the click', async () => {
    await push(
      payload({
        title: 'Sale',
        navigate: `${server.origin}/elsewhere`,
        actions: [{ action: 'shoes', title: 'Shoes', navigate: `${server.origin}/shoes` }],
      }),
    );
    server.requests.length = 0;
    expect(await click('')).toEqual({ calls: [`open ${server.origin}/elsewhere`], left: 0 });
    await until(() => receipts().length === 1);
    expect(receipts()).toEqual([[{ ...herald, event: 'clicked' }]]);
  });

  test('an action button opens its own URL', async () => {
    await push(
      payload({
        title: 'Sale',
        navigate: `${server.origin}/elsewhere`,
        actions: [{ action: 'shoes', title: 'Shoes', navigate: `${server.origin}/shoes` }],
      }),
    );
    expect((await click('shoes')).calls).toEqual([`open ${server.origin}/shoes`]);
  });

  test('focuses a tab already showing the URL instead of opening a second one', async () => {
    // The push first, while the test page is in front: `shown()` reads through that page.
    await push(payload({ title: 'Sale', navigate: `${server.origin}/sale` }));
    const tab = await context.newPage();
    await tab.goto(`${server.origin}/sale#details`);
    try {
      expect((await click('')).calls).toEqual([`focus ${server.origin}/sale#details`]);
    } finally {
      await tab.close();
    }
  });
});

describe('pushsubscriptionchange', () => {
  const resubscribe = () =>
    worker.evaluate(async () => {
      const key = Uint8Array.from({ length: 65 }, (_, i) => i + 1);
      const fake = (endpoint: string) =>
        ({
          endpoint,
          options: { applicationServerKey: key.buffer, userVisibleOnly: true },
          toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: 'BNew', auth: 'new-auth' } }),
        }) as unknown as PushSubscription;
      // Chromium cannot reach a push service here: the subscribe call is recorded and answered.
      const scope = self as unknown as WorkerScope;
      const pushManager = scope.registration.pushManager;
      const subscribed: unknown[] = [];
      pushManager.getSubscription = async () => null;
      pushManager.subscribe = async (options?: PushSubscriptionOptionsInit) => {
        subscribed.push(new Uint8Array(options!.applicationServerKey as ArrayBuffer).length);
        return fake('https://push.example/new');
      };
      return { stored: await scope.herald.resubscribe(fake('https://push.example/old'), null), subscribed };
    });

  test('re-subscribes with the old key and registers the new subscription in place of the old', async () => {
    server.api = () => ({ status: 201, body: { id: 'sub_2' } });
    const result = await resubscribe();
    const key = Buffer.from(Array.from({ length: 65 }, (_, i) => i + 1)).toString('base64url');
    expect(result.subscribed).toEqual([65]);
    const subscription = {
      endpoint: 'https://push.example/new',
      expirationTime: null,
      keys: { p256dh: 'BNew', auth: 'new-auth' },
    };
    expect(server.requests.map((r: RecordedRequest) => [r.method, r.path, r.body])).toEqual([
      [
        'POST',
        '/api/v1/subscriptions',
        // No topics: the server carries over the old subscription's topics and user link.
        { subscription, applicationServerKey: key, replaces: { id: 'sub_1', auth: 'old-auth' } },
      ],
    ]);
    expect(result.stored).toEqual({
      server: server.origin,
      id: 'sub_2',
      endpoint: 'https://push.example/new',
      auth: 'new-auth',
      applicationServerKey: key,
      topics: ['news'],
    });
  });

  test('when the server no longer has the old subscription, the new one is registered afresh', async () => {
    // The previous test stored sub_2; the server answers that it does not know it.
    server.api = (request) =>
      request.body && (request.body as { replaces?: unknown }).replaces
        ? {
            status: 404,
            body: { error: { code: 'ERR_NOT_FOUND', message: 'no subscription with id "sub_2"' } },
          }
        : { status: 201, body: { id: 'sub_3' } };
    const result = await resubscribe();
    expect(server.requests.map((r) => r.body as { replaces?: unknown; topics?: unknown })).toEqual([
      expect.objectContaining({ replaces: { id: 'sub_2', auth: 'new-auth' } }),
      expect.objectContaining({ topics: ['news'] }),
    ]);
    expect(result.stored).toMatchObject({ id: 'sub_3', topics: ['news'] });
  });
});
