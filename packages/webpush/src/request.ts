import type { CryptoBackend } from './crypto/backend.js';
import { describeValue } from './describe-value.js';
import { type ContentEncoding, encrypt } from './ece/encrypt.js';
import { WebPushError } from './errors.js';
import type { PushRequest } from './push-request.js';
import {
  type KeylessSubscription,
  type PushSubscriptionJSON,
  type PushTarget,
  parseKeylessTarget,
  parseSubscription,
  type ValidSubscription,
} from './subscription.js';
import { VapidSigner } from './vapid/signer.js';
import { getVapidSigner, type VapidDetails } from './vapid/signer-cache.js';

/**
 * RFC 8030 §5.3 urgency: how soon the user agent should wake to receive the message.
 *
 * @example
 * ```ts
 * const urgency: Urgency = 'high';
 * ```
 */
export type Urgency = 'very-low' | 'low' | 'normal' | 'high';

/**
 * The longest TTL sent, and the default: 4 weeks (2,419,200 s). Every push service accepts it
 * (Mozilla caps at 30 days; FCM at 4 weeks).
 *
 * @example
 * ```ts
 * await buildPushRequest(subscription, null, { ttl: maxTtl });
 * ```
 */
export const maxTtl = 2_419_200;

/**
 * Options of {@link buildPushRequest}, and of the send functions that build requests.
 *
 * @example
 * ```ts
 * const options: PushRequestOptions = { ttl: 3600, urgency: 'high', topic: 'inbox' };
 * ```
 */
export interface PushRequestOptions {
  /**
   * RFC 8030 §5.2: seconds the push service keeps the message for an offline user agent, an
   * integer from 0 to {@link maxTtl}. Always sent (Mozilla answers 400 without it). Default
   * {@link maxTtl}. On WNS (`*.notify.windows.com`), TTL 0 also sends
   * `X-WNS-Cache-Policy: no-cache`, without which WNS rejects TTL 0.
   */
  ttl?: number;
  /** RFC 8030 §5.3 urgency; not sent when absent (push services then assume `normal`). */
  urgency?: Urgency;
  /**
   * RFC 8030 §5.4: a newer message with the same topic replaces an undelivered older one. At
   * most 32 characters of the base64url alphabet.
   */
  topic?: string;
  /** `aes128gcm` (RFC 8291, default) or the legacy `aesgcm`. */
  contentEncoding?: ContentEncoding;
  /**
   * VAPID (RFC 8292): a {@link VapidSigner} (fastest: its JWT per push service is cached and
   * reused synchronously) or plain {@link VapidDetails} (served by a shared signer). Adds
   * `Authorization: vapid t=<jwt>, k=<key>`, or for `aesgcm` `Authorization: WebPush <jwt>`
   * and `p256ecdsa=<key>` in `Crypto-Key`. Without it no `Authorization` is sent.
   */
  vapid?: VapidSigner | VapidDetails;
  /**
   * Extra request headers. They may not set a header this function computes (`ttl`,
   * `urgency`, `topic`, `content-*`, `encryption`, `crypto-key`, and `authorization` when
   * `vapid` is given): use the options instead.
   */
  headers?: Readonly<Record<string, string>>;
  /** Padding bytes added to hide the payload's length (see `encrypt`). Default 0. */
  padding?: number;
  /** The record size written in an `aes128gcm` header (see `encrypt`). Default 4096. */
  recordSize?: number;
  /** The largest encrypted body allowed (see `encrypt`). Default 4096. */
  maxBodySize?: number;
  /** Accept `http:` endpoints (tests, local push services). Default `false`. */
  allowHttp?: boolean;
  /** Crypto backend for the encryption. Default: the runtime's. */
  backend?: CryptoBackend;
}

const defaultTtlText = String(maxTtl);
const urgencies: ReadonlySet<string> = new Set<Urgency>(['very-low', 'low', 'normal', 'high']);
const topicPattern = /^[A-Za-z0-9_-]{1,32}$/;
// RFC 9110 §5.1 token and §5.5 field value (no CR, LF or NUL: they would split the request).
const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerValuePattern = /^[\t\x20-\x7e\x80-\xff]*$/;
const computedHeaders: ReadonlySet<string> = new Set([
  'ttl',
  'urgency',
  'topic',
  'content-encoding',
  'content-type',
  'content-length',
  'encryption',
  'crypto-key',
  'host',
  'transfer-encoding',
  'connection',
]);
const wnsHost = '.notify.windows.com';

function invalidOption(message: string): WebPushError {
  return new WebPushError('ERR_INVALID_ARGUMENT', message);
}

function ttlText(ttl: unknown): string {
  if (ttl === undefined) return defaultTtlText;
  if (typeof ttl !== 'number' || !Number.isInteger(ttl) || ttl < 0 || ttl > maxTtl) {
    throw invalidOption(
      `ttl must be an integer number of seconds from 0 to ${maxTtl}, got ${describeValue(ttl)}`,
    );
  }
  return String(ttl);
}

function addExtraHeaders(headers: Record<string, string>, extra: unknown): void {
  if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) {
    throw invalidOption(
      `headers must be an object of header names to string values, got ${describeValue(extra)}`,
    );
  }
  for (const name of Object.keys(extra)) {
    const value = (extra as Record<string, unknown>)[name];
    if (!headerNamePattern.test(name))
      throw invalidOption(`headers: ${describeValue(name)} is not a valid header name`);
    const lower = name.toLowerCase();
    if (lower === '__proto__') throw invalidOption('headers: "__proto__" is not a usable header name');
    if (computedHeaders.has(lower) || Object.hasOwn(headers, lower)) {
      throw invalidOption(
        `headers: ${describeValue(name)} is set by buildPushRequest itself; use its option instead of an extra header`,
      );
    }
    if (typeof value !== 'string' || !headerValuePattern.test(value)) {
      throw invalidOption(
        `headers: the value of ${describeValue(name)} must be a string without CR, LF or NUL, got ${describeValue(value)}`,
      );
    }
    headers[lower] = value;
  }
}

/**
 * Builds the HTTP request that delivers one push message (RFC 8030 §5), without sending it:
 * the counterpart of web-push's `generateRequestDetails`. The subscription is validated (a
 * {@link ValidSubscription} is taken as is), the payload encrypted with a new ephemeral key and
 * salt (RFC 8291), and these headers set, all with lower-case names:
 *
 * - `ttl` always; `urgency` and `topic` when given;
 * - with a payload: `content-encoding`, `content-type: application/octet-stream`,
 *   `content-length`, and for `aesgcm` also `encryption` and `crypto-key: dh=...`;
 *   without one (`null` or `undefined`): no body and `content-length: 0`;
 * - with `vapid`: `authorization` (`vapid t=, k=`; for `aesgcm` `WebPush <jwt>` and
 *   `p256ecdsa=` joined to `crypto-key`);
 * - `x-wns-cache-policy: no-cache` for TTL 0 on WNS, which rejects TTL 0 otherwise;
 * - the extra `headers`.
 *
 * An empty string or array is a payload (an encrypted empty message), unlike in web-push.
 * Without a payload the subscription may come without `keys` (as web-push allows).
 *
 * @throws WebPushError `ERR_INVALID_SUBSCRIPTION`, `ERR_INVALID_ARGUMENT` (options) or
 * `ERR_PAYLOAD_TOO_LARGE`, before anything is sent.
 * @example
 * ```ts
 * const vapid = await VapidSigner.create({ subject: 'mailto:push@example.com', publicKey, privateKey });
 * const request = await buildPushRequest(subscription, JSON.stringify({ title: 'Hi' }), { ttl: 60, vapid });
 * const response = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body });
 * ```
 */
export async function buildPushRequest(
  subscription: PushSubscriptionJSON | ValidSubscription | KeylessSubscription,
  payload?: string | Uint8Array | null,
  options?: PushRequestOptions,
): Promise<PushRequest> {
  const withoutPayload = payload === null || payload === undefined;
  const target: PushTarget =
    (withoutPayload ? parseKeylessTarget(subscription, options) : undefined) ??
    parseSubscription(subscription, options);
  const ttl = ttlText(options?.ttl);
  const headers: Record<string, string> = { ttl };
  const urgency = options?.urgency;
  if (urgency !== undefined) {
    if (!urgencies.has(urgency)) {
      throw invalidOption(
        `urgency must be one of very-low, low, normal, high, got ${describeValue(urgency)}`,
      );
    }
    headers.urgency = urgency;
  }
  const topic = options?.topic;
  if (topic !== undefined) {
    if (typeof topic !== 'string' || !topicPattern.test(topic)) {
      throw invalidOption(
        `topic must be 1 to 32 characters of the base64url alphabet (A-Z a-z 0-9 - _), got ${describeValue(topic)}`,
      );
    }
    headers.topic = topic;
  }
  const encoding = options?.contentEncoding;
  if (encoding !== undefined && encoding !== 'aes128gcm' && encoding !== 'aesgcm') {
    throw invalidOption(`contentEncoding must be 'aes128gcm' or 'aesgcm', got ${describeValue(encoding)}`);
  }
  // WNS rejects TTL 0 unless told not to cache the notification, which is what TTL 0 means.
  if (ttl === '0' && target.hostname.endsWith(wnsHost)) headers['x-wns-cache-policy'] = 'no-cache';
  let vapidCryptoKey: string | undefined;
  if (options?.vapid !== undefined) {
    const vapid = await vapidHeadersFor(
      target.origin,
      options.vapid,
      encoding ?? 'aes128gcm',
      options.backend,
    );
    headers.authorization = vapid.authorization;
    vapidCryptoKey = vapid.cryptoKey;
  }
  if (options?.headers !== undefined) addExtraHeaders(headers, options.headers);

  let body: Uint8Array | null = null;
  if (withoutPayload) {
    headers['content-length'] = '0';
    if (vapidCryptoKey !== undefined) headers['crypto-key'] = vapidCryptoKey;
  } else {
    // With a payload, target came from parseSubscription: the keys are there.
    const encrypted = await encryptFor(target as ValidSubscription, payload, options);
    body = encrypted.body;
    headers['content-encoding'] = encrypted.contentEncoding;
    headers['content-type'] = 'application/octet-stream';
    headers['content-length'] = String(body.length);
    for (const name in encrypted.headers) headers[name] = encrypted.headers[name]!;
    // draft-ietf-webpush-encryption-04 §4 / RFC 8292 §4 (aesgcm era): one Crypto-Key header
    // carries both parameters, `dh=...;p256ecdsa=...`.
    if (vapidCryptoKey !== undefined) {
      const dh = headers['crypto-key'];
      headers['crypto-key'] = dh === undefined ? vapidCryptoKey : `${dh};${vapidCryptoKey}`;
    }
  }
  return { url: target.endpoint, origin: target.origin, method: 'POST', headers, body };
}

// Signers for plain details objects, so that a details object reused for every send costs a
// WeakMap lookup rather than getVapidSigner's key string. The fields are compared in case the
// object was changed between sends.
const signersByDetails = new WeakMap<VapidDetails, { details: VapidDetails; signer: Promise<VapidSigner> }>();

function signerFor(
  vapid: VapidSigner | VapidDetails,
  backend: CryptoBackend | undefined,
): VapidSigner | Promise<VapidSigner> {
  if (vapid instanceof VapidSigner) return vapid;
  if (typeof vapid !== 'object' || vapid === null) {
    throw invalidOption(
      `vapid must be a VapidSigner or {subject, publicKey, privateKey}, got ${describeValue(vapid)}`,
    );
  }
  const known = signersByDetails.get(vapid);
  const d = known?.details;
  if (
    d !== undefined &&
    d.subject === vapid.subject &&
    d.publicKey === vapid.publicKey &&
    d.privateKey === vapid.privateKey &&
    d.expiresIn === vapid.expiresIn &&
    backend === undefined
  ) {
    return known!.signer;
  }
  const signer = getVapidSigner(vapid, backend);
  if (backend === undefined) signersByDetails.set(vapid, { details: { ...vapid }, signer });
  return signer;
}

async function vapidHeadersFor(
  origin: string,
  vapid: VapidSigner | VapidDetails,
  encoding: ContentEncoding,
  backend: CryptoBackend | undefined,
) {
  const pending = signerFor(vapid, backend);
  const signer = pending instanceof VapidSigner ? pending : await pending;
  return signer.cachedHeaders(origin, encoding) ?? (await signer.headers(origin, encoding));
}

async function encryptFor(
  target: ValidSubscription,
  payload: string | Uint8Array,
  options: PushRequestOptions | undefined,
) {
  try {
    return await encrypt(payload, target.keys, options);
  } catch (error) {
    // The shapes were checked by parseSubscription; what is left is the curve check of the ECDH.
    if (error instanceof WebPushError && error.code === 'ERR_INVALID_KEY') {
      throw new WebPushError(
        'ERR_INVALID_SUBSCRIPTION',
        'keys.p256dh must be a point on the P-256 curve, got 65 bytes that are not one',
        { cause: error },
      );
    }
    throw error;
  }
}
