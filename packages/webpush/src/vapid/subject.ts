import { WebPushError } from '../errors.js';

/**
 * RFC 8292 §2.1: the `sub` claim is a contact for the application server, a `mailto:` or an
 * `https:` URI. Apple's push service goes further and answers 403 `BadJwtToken` when it is not a
 * reachable contact (`mailto:` at `localhost`, a bare address, an `http:` URL), so the sender
 * rejects those before anything is signed.
 */

const apple = "Apple's push service answers 403 BadJwtToken for such a subject";
// RFC 6761 §6 and RFC 6762: special-use names that never reach anyone on the public internet.
const specialUse = ['localhost', 'local', 'test', 'invalid', 'example', 'internal', 'home.arpa'];
const label = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

function reject(subject: string, why: string): never {
  throw new WebPushError(
    'ERR_VAPID_SUBJECT',
    `VAPID subject ${JSON.stringify(subject)} is not usable: ${why}; ${apple}. ` +
      'Use a mailto: address with a real domain (mailto:admin@example.com) or an https: URL of your site.',
  );
}

/** Why `host` (already lower-case ASCII) is not a public domain name, or undefined when it is. */
function domainProblem(host: string): string | undefined {
  if (host === '') return 'the domain is empty';
  if (host.startsWith('[') || /^[0-9.]+$/.test(host)) return `${host} is an IP address, not a domain`;
  const labels = host.split('.');
  if (labels.length < 2) return `the domain ${host} has no dot, so it is not a public domain`;
  if (!labels.every((l) => label.test(l))) return `${host} is not a valid domain name`;
  for (const name of specialUse) {
    if (host === name || host.endsWith(`.${name}`))
      return `${host} is a special-use domain that no one outside can reach`;
  }
  return undefined;
}

/** The host as the URL parser normalises it (lower case, IDN to punycode), or undefined. */
function normaliseHost(host: string): string | undefined {
  if (/[\s/\\?#@:%]/.test(host)) return undefined;
  try {
    return new URL(`https://${host}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Checks a VAPID subject (the JWT `sub`, RFC 8292 §2.1): a `mailto:` URI with one address at a
 * real, public domain, or an `https:` URL whose host is a public domain. Rejects `localhost`,
 * other special-use domains, IP addresses, domains without a dot, bare addresses without
 * `mailto:` and `http:` URLs, with `ERR_VAPID_SUBJECT` and a message that says why. Returns the
 * subject unchanged.
 *
 * @example
 * ```ts
 * validateVapidSubject('mailto:push@example.com'); // ok
 * validateVapidSubject('https://example.com/contact'); // ok
 * validateVapidSubject('mailto:me@localhost'); // throws ERR_VAPID_SUBJECT
 * ```
 */
export function validateVapidSubject(subject: string): string {
  if (typeof subject !== 'string') {
    throw new WebPushError('ERR_VAPID_SUBJECT', `VAPID subject must be a string, got ${typeof subject}`);
  }
  if (subject.length === 0) reject(subject, 'it is empty');
  if (subject.length > 1024) reject(subject.slice(0, 40), `it is ${subject.length} characters long`);
  if (subject.trim() !== subject) reject(subject, 'it has leading or trailing whitespace');
  const lower = subject.toLowerCase();
  if (lower.startsWith('mailto:')) {
    const address = subject.slice(7).split('?')[0]!;
    const at = address.lastIndexOf('@');
    if (at <= 0) reject(subject, 'the mailto: URI has no address of the form name@domain');
    if (address.includes(',') || address.indexOf('@') !== at) {
      reject(subject, 'the mailto: URI must hold exactly one address');
    }
    if (/[\s<>"]/.test(address))
      reject(subject, 'the address contains spaces or characters not allowed in it');
    const host = normaliseHost(address.slice(at + 1));
    if (host === undefined) reject(subject, `${address.slice(at + 1)} is not a valid domain name`);
    const problem = domainProblem(host);
    if (problem) reject(subject, problem);
    return subject;
  }
  if (lower.startsWith('https:')) {
    let url: URL;
    try {
      url = new URL(subject);
    } catch {
      reject(subject, 'it is not a valid URL');
    }
    if (url.username || url.password) reject(subject, 'the URL carries credentials');
    const problem = domainProblem(url.hostname);
    if (problem) reject(subject, problem);
    return subject;
  }
  if (lower.startsWith('http:')) reject(subject, 'it is an http: URL; it must be https:');
  if (/^[^\s:@/]+@[^\s@]+$/.test(subject)) reject(subject, 'it is a bare address; prefix it with mailto:');
  reject(subject, 'it is neither a mailto: nor an https: URI');
}
