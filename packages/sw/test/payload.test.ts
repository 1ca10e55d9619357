import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { parsePush } from '../src/payload.js';

const site = 'https://shop.example/';
const herald = { message: 'msg_1', subscription: 'sub_1', receipt: 'tok' };

describe('parsePush reads Declarative Web Push', () => {
  test('every notification member and the actions with their own URLs', () => {
    const push = parsePush(
      JSON.stringify({
        web_push: 8030,
        notification: {
          title: 'Sale',
          navigate: 'https://shop.example/sale',
          body: 'All 20% off',
          icon: 'https://shop.example/i.png',
          image: 'https://shop.example/b.jpg',
          badge: 'https://shop.example/badge.png',
          tag: 'sale',
          renotify: true,
          requireInteraction: true,
          silent: false,
          timestamp: 1795795200000,
          actions: [
            { action: 'shoes', title: 'Shoes', navigate: '/shoes', icon: 'https://shop.example/s.png' },
            { action: 'bags', title: 'Bags' },
          ],
          data: { sku: 42 },
        },
        mutable: true,
        herald,
      }),
      site,
    );
    expect(push.delivery).toEqual(herald);
    expect(push.notification).toEqual({
      title: 'Sale',
      options: {
        body: 'All 20% off',
        icon: 'https://shop.example/i.png',
        image: 'https://shop.example/b.jpg',
        badge: 'https://shop.example/badge.png',
        tag: 'sale',
        renotify: true,
        requireInteraction: true,
        silent: false,
        timestamp: 1795795200000,
        actions: [
          { action: 'shoes', title: 'Shoes', icon: 'https://shop.example/s.png' },
          { action: 'bags', title: 'Bags' },
        ],
        data: {
          url: 'https://shop.example/sale',
          actions: { shoes: 'https://shop.example/shoes', bags: 'https://shop.example/sale' },
          herald,
          data: { sku: 42 },
        },
      },
    });
  });

  test('renotify without a tag is dropped (showNotification would throw a TypeError)', () => {
    const push = parsePush(
      JSON.stringify({ notification: { title: 'x', navigate: site, renotify: true } }),
      site,
    );
    expect(push.notification.options).not.toHaveProperty('renotify');
  });

  test('members of the wrong type, and non-web URLs, are ignored, not passed on', () => {
    const push = parsePush(
      JSON.stringify({
        notification: {
          title: 'x',
          navigate: 'javascript:alert(1)x:',
          body: 7,
          silent: 'yes',
          timestamp: 'now',
        },
        herald: { message: 1 },
      }),
      site,
    );
    expect(push.notification.options).toEqual({
      data: { url: site, actions: {}, data: undefined },
    });
    expect(push.delivery).toBeUndefined();
  });

  test('a bare { title, body } from an older sender is shown as such', () => {
    const push = parsePush('{"title":"Old style","body":"still works"}', site);
    expect(push.notification.title).toBe('Old style');
    expect(push.notification.options.body).toBe('still works');
    expect(push.notification.options.data.url).toBe(site);
  });
});

describe('anything else still shows a notification', () => {
  test('an empty push', () => {
    expect(parsePush(undefined, site).notification).toEqual({
      title: 'shop.example',
      options: { body: 'You have a new notification.', data: { url: site, actions: {} } },
    });
  });

  test('short plain text is shown as the body', () => {
    expect(parsePush('Your order shipped', site).notification.options.body).toBe('Your order shipped');
  });

  test('JSON without a title, binary and long text fall back to a generic body', () => {
    for (const text of ['{"notification":{"body":"no title"}}', '[1,2]', '\u0001\u0002', 'x'.repeat(201)]) {
      const push = parsePush(text, site);
      expect(push.notification.title).toBe('shop.example');
      expect(push.notification.options.body).toBe('You have a new notification.');
      expect(push.delivery).toBeUndefined();
    }
  });

  test('hostile input never throws and always yields a non-empty title and a URL', () => {
    const notification = fc.record(
      {
        title: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        navigate: fc.oneof(fc.string(), fc.webUrl(), fc.constant({})),
        actions: fc.oneof(fc.array(fc.anything()), fc.anything()),
        body: fc.anything(),
      },
      { requiredKeys: [] },
    );
    const text = fc.oneof(
      fc.string(),
      fc.json(),
      notification.map((n) => JSON.stringify({ web_push: 8030, notification: n, herald: {} })),
    );
    fc.assert(
      fc.property(text, (input) => {
        const push = parsePush(input, site);
        expect(push.notification.title.length).toBeGreaterThan(0);
        expect(new URL(push.notification.options.data.url).protocol).toMatch(/^https?:$/);
      }),
    );
  });
});
