import { decodeBase64Url } from './base64url.js';
import type { CryptoBackend } from './crypto/backend.js';
import { defaultBackend } from './crypto/default-backend.js';
import { WebPushError } from './errors.js';

/**
 * A push subscription as the browser's `PushSubscription.toJSON()` gives it and as sites store
 * it: the endpoint to POST to and the receiver's keys, base64url encoded.
 *
 * @example
 * ```ts
 * const json: PushSubscriptionJSON = await registration.pushManager
 *   .subscribe({ userVisibleOnly: true, applicationServerKey })
 *   .then((s) => s.toJSON() as PushSubscriptionJSON);
 * ```
 */
export interface PushSubscriptionJSON {
  /** The push service URL that accepts messages for this subscription. */
  endpoint: string;
  /** When the subscription expires (ms since the epoch), or `null` when it does not. */
  expirationTime?: number | null;
  keys: {
    /** The user agent's ECDH public key: a 65-byte uncompressed P-256 point, base64url. */
    p256dh: string;
    /** The 16-byte authentication secret, base64url. */
    auth: string;
  };
}

/**
 * A subscription that passed {@link validateSubscription}: the endpoint checked and
 * normalised, the keys decoded into the bytes that encryption takes directly.
 *
 * @example
 * ```ts
 * const subscription = await validateSubscription(json);
 * subscription.origin; // 'https://fcm.googleapis.com', the VAPID audience and the pool key
 * subscription.keys.auth.length; // 16
 * ```
 */
export interface ValidSubscription {
  /** The endpoint URL, normalised by the URL parser; the query string is kept. */
  readonly endpoint: string;
  /** The endpoint's origin (`scheme://host[:port]`). */
  readonly origin: string;
  /** The endpoint's host name, lower case, without the port. */
  readonly hostname: string;
  /** When the subscription expires (ms since the epoch), or `null`. */
  readonly expirationTime: number | null;
  /** The decoded receiver keys. */
  readonly keys: {
    /** 65-byte uncompressed P-256 point. */
    readonly p256dh: Uint8Array;
    /** 16-byte authentication secret. */
    readonly auth: Uint8Array;
  };
}

/**
 * Options of {@link validateSubscription}.
 *
 * @example
 * ```ts
 * await validateSubscription(json, { allowHttp: true, maxEndpointLength: 1024 });
 * ```
 */
export interface SubscriptionValidationOptions {
  /**
   * Accept `http:` endpoints as well as `https:`: for tests, the CLI and local push services.
   * Default `false` (RFC 8030 §8: push messages must travel over TLS).
   */
  allowHttp?: boolean;
  /** Longest endpoint accepted, in characters. Default {@link defaultMaxEndpointLength}. */
  maxEndpointLength?: number;
  /** Crypto backend that checks that `p256dh` is a point on P-256. Default: `defaultBackend`. */
  backend?: CryptoBackend;
}

/**
 * The default longest endpoint accepted. Real endpoints are 150-500 characters (WNS ones,
 * with their `?token=`, are the longest); the bound stops a hostile client from storing
 * megabyte "URLs".
 *
 * @example
 * ```ts
 * endpoint.length <= defaultMaxEndpointLength;
 * ```
 */
export const defaultMaxEndpointLength = 2048;

/** Objects built by {@link parseSubscription}: such input needs no second check. */
const validated = new WeakSet<object>();

function invalid(message: string, cause?: unknown): WebPushError {
  return new WebPushError('ERR_INVALID_SUBSCRIPTION', message, cause === undefined ? undefined : { cause });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return typeof value;
}

function decodeKey(value: unknown, field: string, expectedLength: number, expectation: string): Uint8Array {
  if (typeof value !== 'string') {
    throw invalid(`${field} must be a base64url string (${expectation}), got ${describe(value)}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Url(value, field);
  } catch (cause) {
    throw invalid((cause as Error).message, cause);
  }
  if (bytes.length !== expectedLength) {
    throw invalid(`${field} must be ${expectation}, got ${bytes.length} bytes`);
  }
  return bytes;
}

function parseEndpoint(
  value: unknown,
  allowHttp: boolean,
  maxLength: number,
): { endpoint: string; origin: string; hostname: string } {
  if (typeof value !== 'string')
    throw invalid(`endpoint must be an absolute URL string, got ${describe(value)}`);
  if (value.length === 0) throw invalid('endpoint must be an absolute URL, got an empty string');
  if (value.length > maxLength) {
    throw invalid(`endpoint must be at most ${maxLength} characters, got ${value.length}`);
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw invalid(`endpoint must be an absolute URL, got ${JSON.stringify(value.slice(0, 80))}`, cause);
  }
  const scheme = url.protocol;
  if (scheme !== 'https:' && !(allowHttp && scheme === 'http:')) {
    throw invalid(
      `endpoint must be an ${allowHttp ? 'https: or http:' : 'https:'} URL, got ${JSON.stringify(scheme)}` +
        (scheme === 'http:' ? ' (pass allowHttp: true for local push services)' : ''),
    );
  }
  // fetch() refuses URLs with credentials, and a push endpoint never carries any.
  if (url.username !== '' || url.password !== '') {
    throw invalid('endpoint must not contain credentials (user:password@)');
  }
  if (url.hash !== '') throw invalid(`endpoint must not contain a fragment, got ${JSON.stringify(url.hash)}`);
  return { endpoint: url.href, origin: url.origin, hostname: url.hostname };
}

/**
 * A subscription given without keys, which can only receive messages without payload (as
 * web-push allows: its CLI's `--key` and `--auth` are optional).
 *
 * @example
 * ```ts
 * await sendNotification({ endpoint }, null, { vapid }); // a tickle: no payload, no keys needed
 * ```
 */
export interface KeylessSubscription {
  endpoint: string;
  expirationTime?: number | null;
  keys?: undefined;
}

/** Where a request goes: the checked endpoint of any subscription, with or without keys. */
export interface PushTarget {
  readonly endpoint: string;
  readonly origin: string;
  readonly hostname: string;
}

/**
 * The endpoint of a subscription that has no `keys` at all, or `undefined` when it has some
 * (then {@link parseSubscription} must check them).
 *
 * @internal
 */
export function parseKeylessTarget(
  input: unknown,
  options?: SubscriptionValidationOptions,
): PushTarget | undefined {
  if (typeof input !== 'object' || input === null || validated.has(input)) return undefined;
  const json = input as Record<string, unknown>;
  if (json.keys !== undefined) return undefined;
  return parseEndpoint(
    json.endpoint,
    options?.allowHttp === true,
    options?.maxEndpointLength ?? defaultMaxEndpointLength,
  );
}

/**
 * The synchronous part of validation: shapes, lengths, the URL. `p256dh` is checked to be
 * 65 bytes starting with 0x04 but not to lie on the curve; the ECDH of every encryption
 * checks that anyway, and a separate curve check would cost as much as the ECDH itself on
 * Node (OpenSSL 3 key import, ~110 µs).
 *
 * @internal
 */
export function parseSubscription(
  input: unknown,
  options?: SubscriptionValidationOptions,
): ValidSubscription {
  if (typeof input === 'object' && input !== null && validated.has(input)) return input as ValidSubscription;
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalid(`subscription must be an object {endpoint, keys: {p256dh, auth}}, got ${describe(input)}`);
  }
  const json = input as Record<string, unknown>;
  const { endpoint, origin, hostname } = parseEndpoint(
    json.endpoint,
    options?.allowHttp === true,
    options?.maxEndpointLength ?? defaultMaxEndpointLength,
  );
  const expiration = json.expirationTime;
  if (
    expiration !== undefined &&
    expiration !== null &&
    !(typeof expiration === 'number' && Number.isFinite(expiration) && expiration >= 0)
  ) {
    throw invalid(
      `expirationTime must be null or a non-negative number of milliseconds, got ${describe(expiration)}`,
    );
  }
  const keys = json.keys;
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw invalid(`keys must be an object {p256dh, auth}, got ${describe(keys)}`);
  }
  const { p256dh, auth } = keys as Record<string, unknown>;
  const publicKey = decodeKey(p256dh, 'keys.p256dh', 65, 'a 65-byte uncompressed P-256 point');
  if (publicKey[0] !== 0x04) {
    throw invalid(
      `keys.p256dh must be a 65-byte uncompressed P-256 point starting with 0x04, got a first byte of 0x${publicKey[0]!.toString(16).padStart(2, '0')}`,
    );
  }
  const subscription: ValidSubscription = Object.freeze({
    endpoint,
    origin,
    hostname,
    expirationTime: (expiration as number | null | undefined) ?? null,
    keys: Object.freeze({ p256dh: publicKey, auth: decodeKey(auth, 'keys.auth', 16, '16 bytes') }),
  });
  validated.add(subscription);
  return subscription;
}

/**
 * Validates a `PushSubscription` JSON (`{endpoint, expirationTime?, keys: {p256dh, auth}}`) and
 * decodes its keys. The endpoint must be an absolute `https:` URL (`http:` with `allowHttp`)
 * of at most {@link defaultMaxEndpointLength} characters, without credentials or fragment; its
 * query string is kept (WNS endpoints carry `?token=`). `keys.p256dh` must be a 65-byte
 * uncompressed point on P-256 and `keys.auth` 16 bytes, both base64url (Firefox's `=` padding
 * accepted). Validate once when a subscription arrives; the result can be sent to directly.
 *
 * @throws WebPushError `ERR_INVALID_SUBSCRIPTION`, naming the field, what was expected and what
 * was received (`keys.p256dh must be a 65-byte uncompressed P-256 point, got 33 bytes`).
 * @example
 * ```ts
 * const subscription = await validateSubscription(JSON.parse(body));
 * await sendNotification(subscription, 'hello', { vapid });
 * ```
 */
export async function validateSubscription(
  input: unknown,
  options?: SubscriptionValidationOptions,
): Promise<ValidSubscription> {
  const subscription = parseSubscription(input, options);
  const backend = options?.backend ?? defaultBackend;
  if (!(await backend.isValidPublicKey(subscription.keys.p256dh))) {
    throw invalid('keys.p256dh must be a point on the P-256 curve, got 65 bytes that are not one');
  }
  return subscription;
}
