import fc from 'fast-check';
import { expect, test } from 'vitest';
import { parseRetryAfter } from '../src/send/retry-after.js';

const now = Date.UTC(2026, 10, 27, 12, 0, 0);

test('delay-seconds become milliseconds', () => {
  expect(parseRetryAfter('120', now)).toBe(120_000);
  expect(parseRetryAfter(' 0 ', now)).toBe(0);
  expect(parseRetryAfter('99999999999999999999', now)).toBe(Number.MAX_SAFE_INTEGER);
});

test('the three HTTP date forms of RFC 9110 §5.6.7, all read as GMT', () => {
  expect(parseRetryAfter('Fri, 27 Nov 2026 12:01:30 GMT', now)).toBe(90_000);
  expect(parseRetryAfter('Friday, 27-Nov-26 12:00:05 GMT', now)).toBe(5_000);
  expect(parseRetryAfter('Fri Nov 27 12:00:10 2026', now)).toBe(10_000);
  expect(parseRetryAfter('Sun Nov  6 08:49:37 1994', now)).toBe(0);
});

test('a date in the past means now', () => {
  expect(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now)).toBe(0);
});

test('anything else is undefined, so the caller uses its own backoff', () => {
  for (const value of [
    undefined,
    null,
    '',
    'soon',
    '-5',
    '1.5',
    '2026-11-27T12:00:00Z',
    'Fri, 31 Feb 2026 12:00:00 GMT',
    'Fri, 27 Nov 2026 25:00:00 GMT',
    'Fri, 27 Nov 2026 12:00:00 PST',
    'Fri, 27 Nov 0026 12:00:00 GMT',
  ]) {
    expect(parseRetryAfter(value, now), String(value)).toBeUndefined();
  }
});

test('never throws and never returns a negative or non-finite delay', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
      ),
      (value) => {
        const delay = parseRetryAfter(value, now);
        if (delay !== undefined) {
          expect(Number.isFinite(delay)).toBe(true);
          expect(delay).toBeGreaterThanOrEqual(0);
        }
      },
    ),
    { numRuns: 2000 },
  );
});

test('IMF-fixdate agrees with toUTCString for any date', () => {
  fc.assert(
    fc.property(
      fc.date({
        min: new Date(Date.UTC(1970, 0, 1)),
        max: new Date(Date.UTC(9999, 0, 1)),
        noInvalidDate: true,
      }),
      (date) => {
        const whole = Math.floor(date.getTime() / 1000) * 1000;
        expect(parseRetryAfter(new Date(whole).toUTCString(), 0)).toBe(whole);
      },
    ),
  );
});
