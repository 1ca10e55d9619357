import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HeadlessUserAgent, PushService } from '../src/index.js';
import { ProtocolViolation, parseClientMessage } from '../src/protocol.js';
import { RawClient, vapidJwt, vapidKeys } from './helpers.js';

// Hostile input on either side gets the protocol's answer and never crashes the service or
// disturbs another client.

let service: PushService;
let bystander: HeadlessUserAgent;

beforeAll(async () => {
  service = await PushService.start({ port: 0 });
  bystander = await HeadlessUserAgent.connect(service.websocketUrl);
});
afterAll(async () => {
  bystander.close();
  await service.close();
});

const messageTypes = [
  'hello',
  'register',
  'unregister',
  'ack',
  'nack',
  'ping',
  'broadcast_subscribe',
  'other',
];
const anyValue = fc.oneof(
  fc.string(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.uuid(),
  fc.object(),
  fc.array(fc.anything()),
);
// Any code point (non-ASCII text in close reasons once broke the 123-byte limit).
const unicode = fc.string({ unit: 'binary', maxLength: 120 });
const frame = fc.oneof(
  fc.string(),
  unicode,
  fc.json(),
  fc
    .record(
      {
        messageType: fc.oneof(fc.constantFrom(...messageTypes), anyValue, unicode),
        uaid: anyValue,
        channelID: fc.oneof(fc.uuid(), anyValue),
        key: anyValue,
        version: anyValue,
        code: anyValue,
        updates: fc.oneof(
          fc.array(fc.record({ channelID: fc.oneof(fc.uuid(), anyValue), version: anyValue })),
          anyValue,
        ),
      },
      { requiredKeys: [] },
    )
    .map((value) => JSON.stringify(value)),
);

test('parseClientMessage returns a message or a ProtocolViolation for any text, never throws', () => {
  fc.assert(
    fc.property(frame, (text) => {
      const parsed = parseClientMessage(text);
      expect(parsed instanceof ProtocolViolation || typeof parsed.messageType === 'string').toBe(true);
    }),
    { numRuns: 2000 },
  );
});

test('random frames after hello never crash the service nor reach another client', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(frame, { minLength: 1, maxLength: 5 }), async (frames) => {
      const client = await RawClient.open(service.websocketUrl);
      await client.request({ messageType: 'hello' });
      for (const text of frames) client.send(text);
      client.send('{}');
      // Either the connection answered the final ping (frames were valid) or it was closed
      // with a protocol close code.
      const outcome = await Promise.race([
        (async () => {
          for (;;) if ((await client.next(3000)) === '{}') return 'alive';
        })().catch(() => 'closed'),
        client.closed.then((closed) => closed.code),
      ]);
      expect(['alive', 'closed', 1002, 1003, 1005, 1006]).toContain(outcome);
      client.close();
    }),
    { numRuns: 60 },
  );
  expect(bystander.connected).toBe(true);
  const subscription = await bystander.subscribe();
  expect((await fetch(subscription.endpoint, { method: 'POST', headers: { ttl: '5' } })).status).toBe(201);
  expect((await bystander.waitForMessage()).data).toBeNull();
});

test('random push headers get 201 or an autopush refusal, never a 5xx', async () => {
  const keys = await vapidKeys();
  const subscription = await bystander.subscribe({ applicationServerKey: keys.publicKeyText });
  const goodJwt = await vapidJwt(keys, service.origin);
  const headerValue = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.constantFrom('', '0', '-1', '60', 'aesgcm', 'aes128gcm', 'salt=', 'dh='),
  );
  const printable = (value: string) => value.replace(/[^\x20-\x7e]/g, '');
  await fc.assert(
    fc.asyncProperty(
      fc.record(
        {
          ttl: headerValue,
          topic: headerValue,
          urgency: headerValue,
          'content-encoding': headerValue,
          encryption: headerValue,
          'crypto-key': headerValue,
          authorization: fc.oneof(headerValue, fc.constant(`vapid t=${goodJwt}, k=${keys.publicKeyText}`)),
        },
        { requiredKeys: [] },
      ),
      fc.uint8Array({ maxLength: 5000 }),
      async (headers, body) => {
        const clean = Object.fromEntries(
          Object.entries(headers).map(([name, value]) => [name, printable(value)]),
        );
        const response = await fetch(subscription.endpoint, { method: 'POST', headers: clean, body });
        expect([201, 400, 401, 413]).toContain(response.status);
        if (response.status !== 201)
          expect(await response.json()).toMatchObject({ code: response.status, errno: expect.any(Number) });
        else await response.arrayBuffer();
      },
    ),
    { numRuns: 150 },
  );
});
