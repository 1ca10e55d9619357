/**
 * The dashboard's flows in headless Chromium against a real Herald (SQLite) that sends through
 * @herald/push-service to headless user agents: sign in, the overview's numbers, compose and
 * send with the live preview, the funnel moving as deliveries and receipts come in, cancelling a
 * scheduled message (and the refusal when a worker started it first), the
 * subscriptions filter, key management, and the subscriber history after a deletion. Receipts are posted by the test with the tokens the
 * agents decrypted, exactly as @herald/sw posts them (the Firefox suite has the real worker).
 * Screenshots go to test-artifacts/dashboard-*.png.
 */
import { join } from 'node:path';
import { type HeadlessSubscription, HeadlessUserAgent } from '@herald/push-service';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { artifactsDir, launchChromium } from '../../sw/test/helpers/browser.js';
import { type Stack, startStack } from './helpers/stack.js';

let stack: Stack;
let context: BrowserContext;
let page: Page;
const agents: { agent: HeadlessUserAgent; subscription: HeadlessSubscription; id: string }[] = [];

const shot = (name: string) =>
  page.screenshot({ path: join(artifactsDir, `dashboard-${name}.png`), fullPage: true });

beforeAll(async () => {
  stack = await startStack();
  const { publicKey } = (await (await fetch(`${stack.url}/api/v1/vapid-public-key`)).json()) as {
    publicKey: string;
  };
  for (const topics of [['news'], ['news', 'sport'], ['sport']]) {
    const agent = await HeadlessUserAgent.connect(stack.push.websocketUrl);
    const subscription = await agent.subscribe({ applicationServerKey: publicKey });
    const response = await fetch(`${stack.url}/api/v1/subscriptions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subscription: subscription.toJSON(), topics, applicationServerKey: publicKey }),
    });
    expect(response.status).toBe(201);
    agents.push({ agent, subscription, id: ((await response.json()) as { id: string }).id });
  }
  context = await launchChromium();
  page = context.pages()[0] ?? (await context.newPage());
}, 60_000);

afterAll(async () => {
  await context?.close();
  for (const { agent } of agents) agent.close();
  await stack?.dispose();
});

test('sign in refuses a wrong key and lands on the overview with the right one', async () => {
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${stack.url}/`);
  await page.fill('input[name=apiKey]', 'hk_wrong_key');
  await page.click('button[type=submit]');
  await expect.poll(() => page.textContent('.signin .error')).toBe('That API key is not valid.');
  await shot('signin');
  await page.fill('input[name=apiKey]', stack.apiKey);
  await page.click('button[type=submit]');
  await page.waitForSelector('.stats');
  expect(await page.textContent('.stat:first-child strong')).toBe('3');
  expect(await page.textContent('svg.bars')).toContain('self-hosted');
  await shot('overview');
  expect(errors).toEqual([]);
});

test('compose shows a live preview, sends to a topic, and the funnel moves with deliveries and receipts', async () => {
  await page.click('a[href="#/compose"]');
  await page.fill('input[name=title]', 'Flash sale: 2 hours left');
  await page.fill('textarea[name=body]', 'Everything 20% off until midnight.');
  await page.fill('input[name=url]', `${stack.url}/sale`);
  await page.fill('input[placeholder="Button label"] >> nth=0', 'Shop now');
  expect(await page.textContent('.notification strong')).toBe('Flash sale: 2 hours left');
  expect(await page.textContent('.notification-actions')).toBe('Shop now');
  await page.selectOption('select[name=audience]', 'topic');
  await page.fill('input[name=audienceValue]', 'news');
  await page.selectOption('select[name=urgency]', 'high');
  await shot('compose');
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/messages\/msg_/);
  const id = page.url().split('/').at(-1)!;
  expect(await page.getAttribute('.message.highlight', 'data-id')).toBe(id);

  // Both "news" subscribers receive it through the push service, decrypted.
  const received = await Promise.all(
    agents
      .slice(0, 2)
      .map(({ agent, subscription }) => agent.waitForMessage({ subscription, timeoutMs: 10_000 })),
  );
  const payloads = received.map(
    (m) => m.json() as { notification: { title: string }; herald: Record<string, string> },
  );
  expect(payloads.map((p) => p.notification.title)).toEqual([
    'Flash sale: 2 hours left',
    'Flash sale: 2 hours left',
  ]);
  const stage = (label: string) =>
    page.textContent(`.message.highlight .stage[title^="${label}:"] .stage-value`);
  await expect.poll(() => stage('Sent'), { timeout: 10_000 }).toBe('2');

  const receipts = [
    ...payloads.map((p) => ({ ...p.herald, event: 'delivered' })),
    { ...payloads[0]!.herald, event: 'clicked' },
  ];
  const answer = await fetch(`${stack.url}/api/v1/receipts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ receipts }),
  });
  expect(await answer.json()).toEqual({ accepted: 3, counted: 3 });
  await expect.poll(() => stage('Delivered'), { timeout: 10_000 }).toBe('2');
  await expect.poll(() => stage('Clicked'), { timeout: 10_000 }).toBe('1');
  expect(await stage('Targeted')).toBe('2');
  expect(await page.textContent('.message.highlight .badge')).toBe('completed');
  await shot('messages');
});

test('a scheduled message is cancelled from the list; one a worker starts meanwhile is refused, then stopped', async () => {
  await page.click('a[href="#/compose"]');
  await page.fill('input[name=title]', 'Tomorrow: the big launch');
  await page.selectOption('select[name=audience]', 'topic');
  await page.fill('input[name=audienceValue]', 'news');
  await page.selectOption('select[name=when]', 'at');
  // datetime-local takes the browser's local time: let the page format an hour from now.
  const inAnHour = await page.evaluate(() => {
    const t = new Date(Date.now() + 3_600_000);
    t.setMinutes(t.getMinutes() - t.getTimezoneOffset());
    return t.toISOString().slice(0, 16);
  });
  await page.fill('input[name=at]', inAnHour);
  await page.click('button[type=submit]');
  await page.waitForURL(/#\/messages\/msg_/);
  const id = page.url().split('/').at(-1)!;
  const card = page.locator(`.message[data-id="${id}"]`);
  expect(await card.locator('.badge').textContent()).toBe('scheduled');
  await shot('scheduled');
  await card.getByRole('button', { name: 'Cancel' }).click();
  await expect.poll(() => card.locator('.badge').textContent()).toBe('cancelled');
  expect(await card.getByRole('button').count()).toBe(0);
  const stored = await stack.admin<{ status: string; counts: { targeted: number } }>(
    'GET',
    `/messages/${id}`,
  );
  expect(stored).toMatchObject({ status: 'cancelled', counts: { targeted: 0 } });

  // The race the guard is for: a worker claims the message while the operator's cancel is on its
  // way. The test lets the real request through to the real server only after claiming it.
  const { id: raced } = await stack.admin<{ id: string }>('POST', '/messages', {
    to: { topics: ['news'] },
    notification: { title: 'Raced by a worker' },
    sendAt: new Date(Date.now() + 3_600_000).toISOString(),
  });
  await page.reload();
  const racedCard = page.locator(`.message[data-id="${raced}"]`);
  expect(await racedCard.locator('.badge').textContent()).toBe('scheduled');
  await page.route(`**/api/v1/messages/${raced}/cancel*`, async (route) => {
    const claimed = await stack.herald.storage.claimChunk('test-worker', Date.now() + 7_200_000, 60_000, 10);
    expect(claimed?.message.id).toBe(raced);
    await route.continue();
  });
  await racedCard.getByRole('button', { name: 'Cancel' }).click();
  await expect
    .poll(() => racedCard.locator('.cancel-error').textContent())
    .toContain('it started sending first');
  expect(await racedCard.locator('.badge').textContent()).toBe('sending');
  await shot('cancel-refused');
  await page.unroute(`**/api/v1/messages/${raced}/cancel*`);
  await racedCard.getByRole('button', { name: 'Stop sending' }).click();
  await expect.poll(() => racedCard.locator('.badge').textContent()).toBe('cancelled');
  expect(await racedCard.locator('.cancel-error').count()).toBe(0);
});

test('the subscriptions list filters by topic', async () => {
  await page.click('a[href="#/subscriptions"]');
  await page.waitForSelector('tbody tr');
  expect(await page.locator('tbody tr').count()).toBe(3);
  await page.fill('input[name=topic]', 'sport');
  await page.click('.filters button');
  await expect.poll(() => page.locator('tbody tr').count()).toBe(2);
  expect(await page.textContent('tbody')).toContain(agents[2]!.id);
  await shot('subscriptions');
});

test('keys: rotate the VAPID key, create an API key (shown once) and revoke it', async () => {
  page.on('dialog', (dialog) => dialog.accept());
  await page.click('a[href="#/keys"]');
  await page.getByRole('button', { name: 'Rotate key' }).click();
  await expect.poll(() => page.locator('tbody').first().locator('tr').count()).toBe(2);
  const vapid = await stack.admin<{ items: { active: boolean }[] }>('GET', '/vapid-keys');
  expect(vapid.items.filter((k) => k.active)).toHaveLength(1);

  await page.fill('input[placeholder^="Name"]', 'ci-deploy');
  await page.getByRole('button', { name: 'Create', exact: true }).click();
  await page.waitForSelector('.new-key');
  const key = (await page.textContent('.new-key'))!;
  expect(key).toMatch(/^hk_/);
  // The new key works on the admin API.
  expect(
    (await fetch(`${stack.url}/api/v1/vapid-keys`, { headers: { authorization: `Bearer ${key}` } })).status,
  ).toBe(200);
  await shot('keys');
  await page.locator('tr', { hasText: 'ci-deploy' }).getByRole('button', { name: 'Revoke' }).click();
  await expect.poll(() => page.locator('tr', { hasText: 'ci-deploy' }).textContent()).toContain('revoked');
  expect(
    (await fetch(`${stack.url}/api/v1/vapid-keys`, { headers: { authorization: `Bearer ${key}` } })).status,
  ).toBe(401);
});

test('the demo site is served at /demo/ and shows the SDK state', async () => {
  await page.goto(`${stack.url}/demo/`);
  await page.waitForSelector('body[data-state]');
  // Chromium cannot reach a push service offline: the page stays at "prompt" until asked.
  expect(await page.getAttribute('body', 'data-state')).toBe('prompt');
  expect(await page.textContent('#states .current')).toBe('prompt');
  await shot('demo');
});

test('the overview chart keeps a deleted subscriber in its history', async () => {
  await stack.admin('DELETE', `/subscriptions/${agents[2]!.id}`);
  await page.goto(`${stack.url}/#/`);
  await page.waitForSelector('.stats');
  expect(await page.textContent('.stat:first-child strong')).toBe('2');
  const today = new Date().toISOString().slice(0, 10);
  const point = page.locator(`svg.chart circle.day[data-day="${today}"]`);
  expect(await point.getAttribute('data-total')).toBe('2');
  // Three subscribed today and one left: the chart says both rather than forgetting the third.
  expect(await point.locator('title').textContent()).toBe(`${today}: 2 subscribers (+3, −1)`);
  expect(await page.textContent('.stat:nth-child(2) small')).toBe('3 new, 1 gone in the last 7 days');
  await shot('overview-history');
});
