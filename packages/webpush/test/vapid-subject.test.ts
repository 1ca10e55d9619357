import { expect, test } from 'vitest';
import { validateVapidSubject, WebPushError } from '../src/index.js';

test.each([
  'mailto:push@example.com',
  'mailto:Push.Team+web@mail.example.co.uk',
  'MAILTO:admin@example.org',
  'mailto:admin@example.com?subject=push',
  'mailto:admin@bücher.example.de',
  'https://example.com',
  'https://example.com/contact',
  'https://www.example.com:8443/about?x=1',
])('accepts %s', (subject) => {
  expect(validateVapidSubject(subject)).toBe(subject);
});

test.each([
  ['mailto:admin@localhost', /no dot/],
  ['mailto:admin@push.localhost', /special-use/],
  ['mailto:admin@printer.local', /special-use/],
  ['mailto:admin@herald.test', /special-use/],
  ['mailto:admin@intranet', /no dot/],
  ['mailto:admin@127.0.0.1', /IP address/],
  ['mailto:admin@[::1]', /not a valid domain|IP address/],
  ['mailto:admin@example..com', /not a valid domain/],
  ['mailto:admin@-example.com', /not a valid domain/],
  ['mailto:admin@example.123', /not a valid domain/],
  ['mailto:', /no address/],
  ['mailto:@example.com', /no address/],
  ['mailto:example.com', /no address/],
  ['mailto:a@example.com,b@example.com', /exactly one address/],
  ['mailto:a b@example.com', /spaces/],
  ['admin@example.com', /bare address; prefix it with mailto:/],
  ['http://example.com', /http: URL; it must be https:/],
  ['https://localhost', /no dot/],
  ['https://localhost:8443/contact', /no dot/],
  ['https://app.localhost', /special-use/],
  ['https://10.0.0.1/', /IP address/],
  ['https://user:pw@example.com/', /credentials/],
  ['https://', /not a valid URL/],
  ['ftp://example.com', /neither a mailto: nor an https: URI/],
  ['example.com', /neither/],
  ['', /empty/],
  [' mailto:admin@example.com', /whitespace/],
  [`mailto:${'a'.repeat(1100)}@example.com`, /characters long/],
])('rejects %s', (subject, why) => {
  let error: unknown;
  try {
    validateVapidSubject(subject);
  } catch (caught) {
    error = caught;
  }
  expect(error).toBeInstanceOf(WebPushError);
  expect((error as WebPushError).code).toBe('ERR_VAPID_SUBJECT');
  expect((error as WebPushError).message).toMatch(why);
  expect((error as WebPushError).message).toContain('403 BadJwtToken');
});

test('a subject that is not a string is ERR_VAPID_SUBJECT', () => {
  expect(() => validateVapidSubject(undefined as never)).toThrow(
    expect.objectContaining({ code: 'ERR_VAPID_SUBJECT', message: expect.stringContaining('undefined') }),
  );
});
