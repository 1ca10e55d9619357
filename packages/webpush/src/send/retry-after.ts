/**
 * Parses a `Retry-After` header (RFC 9110 §10.2.3) into a delay in milliseconds: either a
 * non-negative whole number of seconds, or an HTTP date in any of the three forms RFC 9110
 * §5.6.7 says recipients must accept (IMF-fixdate, RFC 850, asctime). A date in the past gives
 * `0`. An absent or malformed header gives `undefined`: the caller picks its own backoff.
 *
 * The dates are parsed here rather than by `Date.parse`, which accepts far more than HTTP dates
 * (`'1'`, ISO strings), reads asctime as local time, and differs between JavaScript engines.
 *
 * @param now - the current time in ms since the epoch; tests pass a fixed one.
 * @example
 * ```ts
 * parseRetryAfter('120'); // 120000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 27)); // 60000
 * parseRetryAfter('soon'); // undefined
 * ```
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0) return undefined;
  if (isDigits(text)) {
    // Far-future delays lose meaning beyond 2^53 ms; clamp rather than return Infinity.
    return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  }
  const at = parseHttpDate(text, now);
  return at === undefined ? undefined : Math.max(0, at - now);
}

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const month = months.join('|');
const time = '(\\d{2}):(\\d{2}):(\\d{2})';
// RFC 9110 §5.6.7: IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
const imfFixdate = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) (${month}) (\\d{4}) ${time} GMT$`);
// RFC 850 (obsolete), e.g. "Sunday, 06-Nov-94 08:49:37 GMT".
const rfc850 = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-(${month})-(\\d{2}) ${time} GMT$`,
);
// asctime (obsolete), e.g. "Sun Nov  6 08:49:37 1994", always UTC.
const asctime = new RegExp(`^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (${month}) ([ \\d]\\d) ${time} (\\d{4})$`);

/** An HTTP date as ms since the epoch, or `undefined` when `text` is not one. */
function parseHttpDate(text: string, now: number = Date.now()): number | undefined {
  let m = imfFixdate.exec(text);
  if (m) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = rfc850.exec(text);
  if (m) {
    // RFC 9110 §5.6.7: a two-digit year more than 50 years in the future is in the past century.
    const nowYear = new Date(now).getUTCFullYear();
    let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = asctime.exec(text);
  if (m) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return undefined;
}

function utc(
  year: number,
  monthName: string,
  day: number,
  h: string,
  min: string,
  s: string,
): number | undefined {
  const monthIndex = months.indexOf(monthName);
  const hours = Number(h);
  const minutes = Number(min);
  const seconds = Number(s);
  // A leap second (60) is allowed by the grammar; Date.UTC folds it into the next minute.
  // Date.UTC reads years 0-99 as 1900-1999; no Retry-After date is that old anyway.
  if (hours > 23 || minutes > 59 || seconds > 60 || day < 1 || year < 100) return undefined;
  // Date.UTC rolls 31 Feb over into March: reject days the month does not have.
  if (new Date(Date.UTC(year, monthIndex, day)).getUTCDate() !== day) return undefined;
  return Date.UTC(year, monthIndex, day, hours, minutes, seconds);
}
