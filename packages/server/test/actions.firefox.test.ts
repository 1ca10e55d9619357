/**
 * Action buttons, pressed for real in headless Firefox ESR. Firefox's own alert window (the
 * chain suite's) has no action buttons, so this suite gives Firefox its system backend
 * (`alerts.useSystemBackend`): libnotify over a private D-Bus session bus, where a test
 * notification server stands in for the desktop's (`helpers/notification-daemon.ts`). Firefox
 * sends it the notification with its buttons (`Notify`, actions `shoes-moz`/`Shoes`); the test
 * then emits `ActionInvoked` for the button, which is exactly what a desktop notification daemon
 * sends when the user presses it. From that signal on everything is Firefox's and Herald's:
 * libnotify's callback, `notificationclick` with `event.action` in @herald/sw, the tab opened
 * on the action's own URL, and the `clicked` receipt counted by the server.
 */
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchFirefox } from './helpers/firefox.js';
import { NotificationDaemon } from './helpers/notification-daemon.js';
import { type Stack, startStack } from './helpers/stack.js';

let stack: Stack;
let daemon: NotificationDaemon;
let browser: Browser;
let page: Page;

const counts = async (id: string) =>
  (await stack.admin<{ counts: Record<string, number> }>('GET', `/messages/${id}`)).counts;
const tabs = async () => (await browser.pages()).map((p) => p.url());

async function send(title: string): Promise<string> {
  const { id } = await stack.admin<{ id: string }>('POST', '/messages', {
    to: { all: true },
    notification: {
      title,
      body: 'Two buttons',
      url: `${stack.url}/demo/?from=body`,
      actions: [
        { action: 'shoes', title: 'Shoes', url: `${stack.url}/demo/?from=shoes` },
        { action: 'hats', title: 'Hats', url: `${stack.url}/demo/?from=hats` },
      ],
    },
    ttl: 60,
  });
  return id;
}

beforeAll(async () => {
  daemon = await NotificationDaemon.start();
  stack = await startStack();
  browser = await launchFirefox(stack, {
    env: { DBUS_SESSION_BUS_ADDRESS: daemon.address },
    prefs: { 'alerts.useSystemBackend': true },
  });
  page = await browser.newPage();
  await page.goto(`${stack.url}/demo/`);
  await page.waitForFunction(() => document.body.dataset.state === 'unsubscribed', { timeout: 15_000 });
  await page.click('#subscribe');
  await page.waitForFunction(() => document.body.dataset.state === 'subscribed', { timeout: 20_000 });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.dispose();
  await daemon?.close();
});

test('pressing an action button opens the action’s own URL and counts the click', async () => {
  const id = await send('Pick one');
  const shown = await daemon.waitFor((n) => n.summary === 'Pick one');
  // Firefox hands both buttons to the notification server, after its default (body) action.
  expect(shown.actions).toEqual(['default', 'Activate', 'shoes-moz', 'Shoes', 'hats-moz', 'Hats']);
  await expect.poll(() => counts(id), { timeout: 15_000 }).toMatchObject({ delivered: 1, clicked: 0 });

  daemon.invokeAction(shown.id, 'shoes-moz');
  await expect.poll(tabs, { timeout: 15_000 }).toContain(`${stack.url}/demo/?from=shoes`);
  await expect.poll(() => counts(id), { timeout: 15_000 }).toMatchObject({ delivered: 1, clicked: 1 });
  const open = await tabs();
  expect(open).not.toContain(`${stack.url}/demo/?from=body`);
  expect(open).not.toContain(`${stack.url}/demo/?from=hats`);
  // @herald/sw closes the notification it handled.
  await expect.poll(() => daemon.closed, { timeout: 15_000 }).toContain(shown.id);
}, 60_000);

test('pressing the notification itself (its default action) opens the notification’s URL', async () => {
  const id = await send('Or the body');
  const shown = await daemon.waitFor((n) => n.summary === 'Or the body');
  await expect.poll(() => counts(id), { timeout: 15_000 }).toMatchObject({ delivered: 1 });
  daemon.invokeAction(shown.id, 'default');
  await expect.poll(tabs, { timeout: 15_000 }).toContain(`${stack.url}/demo/?from=body`);
  await expect.poll(() => counts(id), { timeout: 15_000 }).toMatchObject({ delivered: 1, clicked: 1 });
}, 60_000);
