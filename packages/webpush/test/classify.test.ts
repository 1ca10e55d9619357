import fc from 'fast-check';
import { expect, test } from 'vitest';
import { WebPushError } from '../src/errors.js';
import { classifyFailure, classifyResponse, maxSnippetLength } from '../src/send/classify.js';

const request = { url: 'https://push.example/m/1', origin: 'https://push.example' };
const wns = { url: 'https://db5p.notify.windows.com/w/?token=x', origin: 'https://db5p.notify.windows.com' };
const answer = (status: number, body = '', headers: Record<string, string> = {}) => ({
  status,
  headers,
  body,
});

test.each([
  [200, 'delivered', false],
  [201, 'delivered', false],
  [202, 'delivered', false],
  [404, 'gone', false],
  [410, 'gone', false],
  [413, 'payload-too-large', false],
  [429, 'throttled', true],
  [503, 'throttled', true],
  [400, 'bad-request', false],
  [401, 'unauthorized', false],
  [403, 'unauthorized', false],
  [406, 'push-service-error', false],
  [301, 'push-service-error', false],
  [307, 'push-service-error', false],
  [405, 'push-service-error', false],
  [500, 'push-service-error', true],
  [502, 'push-service-error', true],
  [0, 'push-service-error', false],
])('status %i is %s (retryable: %s)', (status, kind, retryable) => {
  const result = classifyResponse(request, answer(status));
  expect(result).toMatchObject({ kind, retryable, status, ok: kind === 'delivered', endpoint: request.url });
});

test('201 keeps the Location of the message (RFC 8030 §5)', () => {
  expect(classifyResponse(request, answer(201, '', { location: 'https://push.example/m/abc' }))).toEqual({
    kind: 'delivered',
    ok: true,
    retryable: false,
    endpoint: request.url,
    status: 201,
    location: 'https://push.example/m/abc',
  });
});

test('WNS answers 406 when it throttles', () => {
  expect(classifyResponse(wns, answer(406)).kind).toBe('throttled');
});

test('Retry-After in seconds or as an HTTP date gives retryAfterMs', () => {
  const now = Date.UTC(2026, 0, 1);
  expect(classifyResponse(request, answer(429, '', { 'retry-after': '30' }), now)).toMatchObject({
    kind: 'throttled',
    retryAfterMs: 30_000,
  });
  expect(
    classifyResponse(request, answer(503, '', { 'retry-after': 'Thu, 01 Jan 2026 00:02:00 GMT' }), now),
  ).toMatchObject({ kind: 'throttled', retryAfterMs: 120_000 });
  expect(classifyResponse(request, answer(429), now)).toMatchObject({ retryAfterMs: undefined });
});

test("reasons from Mozilla's JSON, Apple's JSON and FCM's text", () => {
  const mozilla = JSON.stringify({
    code: 401,
    errno: 109,
    error: 'Unauthorized',
    message: 'Request did not validate Invalid Authorization Header',
    more_info: 'http://autopush.readthedocs.io/en/latest/http.html#error-codes',
  });
  expect(classifyResponse(request, answer(401, mozilla))).toMatchObject({
    kind: 'unauthorized',
    errno: 109,
    reason: 'Request did not validate Invalid Authorization Header',
    body: mozilla,
  });
  expect(classifyResponse(request, answer(403, '{"reason":"BadJwtToken"}'))).toMatchObject({
    kind: 'unauthorized',
    reason: 'BadJwtToken',
    errno: undefined,
  });
  const fcm =
    'the key in the authorization header does not correspond to the sender ID used to subscribe this user.\nPlease ensure...';
  expect(classifyResponse(request, answer(403, fcm))).toMatchObject({
    reason:
      'the key in the authorization header does not correspond to the sender ID used to subscribe this user.',
  });
  expect(classifyResponse(request, answer(410, '{"errno": 106}'))).toMatchObject({
    kind: 'gone',
    errno: 106,
  });
});

test('bodies are cut to a snippet and reasons to one short line', () => {
  const result = classifyResponse(request, answer(500, `${'x'.repeat(5000)}\nmore`));
  expect(result).toMatchObject({ kind: 'push-service-error' });
  if (result.kind !== 'push-service-error') throw new Error('unreachable');
  expect(result.body).toHaveLength(maxSnippetLength);
  expect(result.reason).toHaveLength(201);
});

test('failures: ERR_TIMEOUT is a timeout, everything else a network error', () => {
  const timeout = new WebPushError('ERR_TIMEOUT', 'slow');
  expect(classifyFailure(request, timeout)).toEqual({
    kind: 'timeout',
    ok: false,
    retryable: true,
    endpoint: request.url,
    status: undefined,
    error: timeout,
  });
  const reset = classifyFailure(request, new Error('socket hang up'));
  expect(reset).toMatchObject({ kind: 'network-error', retryable: true });
  expect(reset.error).toMatchObject({
    code: 'ERR_NETWORK',
    message: 'request to https://push.example failed: socket hang up',
  });
});

test('hostile answers classify without throwing', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: -5, max: 1000 }),
      fc.oneof(
        fc.string(),
        fc.json(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
      ),
      fc.dictionary(fc.constantFrom('retry-after', 'location', 'x'), fc.string()),
      (status, body, headers) => {
        const result = classifyResponse(request, { status, headers, body });
        expect(typeof result.kind).toBe('string');
        expect(typeof result.retryable).toBe('boolean');
      },
    ),
    { numRuns: 1000 },
  );
});
