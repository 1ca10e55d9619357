import { encodeBase64Url } from '../base64url.js';
import type { CryptoBackend, SigningKey } from '../crypto/backend.js';
import { defaultBackend } from '../crypto/default-backend.js';
import { WebPushError } from '../errors.js';
import { vapidAudience } from './audience.js';
import { vapidAuthorization, webPushAuthorization } from './header.js';
import { signJwt } from './jwt.js';
import { decodeVapidKeys } from './keys.js';
import { validateVapidSubject } from './subject.js';

/**
 * The longest VAPID JWT lifetime in seconds: RFC 8292 §2 puts `exp` at most 24 hours ahead.
 *
 * @example
 * ```ts
 * await VapidSigner.create({ subject, ...keys, expiresIn: maxVapidExpiresIn }); // 86,400 s
 * ```
 */
export const maxVapidExpiresIn = 24 * 60 * 60;
/**
 * The default VAPID JWT lifetime in seconds, 12 hours: well inside the 24-hour limit, leaving
 * room for clock skew at the push service.
 *
 * @example
 * ```ts
 * const refreshEvery = defaultVapidExpiresIn / 2; // a new JWT per push service every 6 h
 * ```
 */
export const defaultVapidExpiresIn = 12 * 60 * 60;
const minExpiresIn = 60;

/** The content encodings and the header form each uses. */
type Encoding = 'aes128gcm' | 'aesgcm';

/**
 * What VAPID adds to a push request.
 *
 * @example
 * ```ts
 * const headers: VapidHeaders = await signer.headers(endpoint, 'aesgcm');
 * request.headers.authorization = headers.authorization;            // 'WebPush eyJ...'
 * request.headers['crypto-key'] = `${dh};${headers.cryptoKey}`;       // 'dh=...;p256ecdsa=...'
 * ```
 */
export interface VapidHeaders {
  /** The `Authorization` value: `vapid t=<jwt>, k=<key>` (aes128gcm) or `WebPush <jwt>` (aesgcm). */
  readonly authorization: string;
  /**
   * aesgcm only: `p256ecdsa=<key>`, a parameter for the `Crypto-Key` header, joined with `;` to
   * the `dh=` parameter of the encryption. Undefined for aes128gcm.
   */
  readonly cryptoKey: string | undefined;
}

/**
 * A signed VAPID JWT and when it expires.
 *
 * @example
 * ```ts
 * const { token, audience, expiresAt } = await signer.token('https://fcm.googleapis.com/fcm/send/x');
 * ```
 */
export interface VapidToken {
  readonly token: string;
  /** The `aud` claim: the push service origin. */
  readonly audience: string;
  /** The `exp` claim, seconds since the epoch. */
  readonly expiresAt: number;
}

/**
 * Options of {@link VapidSigner.create}.
 *
 * @example
 * ```ts
 * const options: VapidSignerOptions = { subject: 'mailto:push@example.com', ...keys, expiresIn: 6 * 3600 };
 * ```
 */
export interface VapidSignerOptions {
  /** The `sub` claim: `mailto:` with a real domain, or an `https:` URL (see {@link validateVapidSubject}). */
  subject: string;
  /** base64url 65-byte public key. */
  publicKey: string;
  /** base64url 32-byte private key. */
  privateKey: string;
  /** JWT lifetime in seconds, 60 to 86,400 (24 h, RFC 8292 §2); default 43,200 (12 h). */
  expiresIn?: number;
  /** Milliseconds since the epoch; default `Date.now`. Tests inject a fake clock. */
  clock?: () => number;
  /** Push services to keep a JWT for; the oldest is dropped past this. Default 1,000. */
  maxAudiences?: number;
  backend?: CryptoBackend;
}

interface Entry extends VapidToken {
  /** When less than half of the lifetime remains, in clock milliseconds. */
  refreshAt: number;
  vapid: VapidHeaders;
  webpush: VapidHeaders;
}

function checkEncoding(encoding: string): void {
  if (encoding !== 'aes128gcm' && encoding !== 'aesgcm') {
    throw new WebPushError(
      'ERR_INVALID_ARGUMENT',
      `content encoding must be "aes128gcm" or "aesgcm", got ${JSON.stringify(encoding)}`,
    );
  }
}

/**
 * Signs VAPID JWTs (RFC 8292) with one imported key and keeps one JWT per audience (push service
 * origin). A JWT is reused until less than half of its lifetime remains (6 h with the default
 * 12 h), so a push service sees a new one at most every `expiresIn / 2` seconds, well under
 * Apple's "at most once an hour" with the defaults. Producing headers from a cached JWT costs no
 * cryptography and allocates nothing but the lookup key: the header objects are built once per
 * JWT.
 *
 * @example
 * ```ts
 * const signer = await VapidSigner.create({ subject: 'mailto:push@example.com', ...keys });
 * const { authorization } = signer.cachedHeaders(endpoint) ?? (await signer.headers(endpoint));
 * ```
 */
export class VapidSigner {
  /** The `sub` claim. */
  readonly subject: string;
  /** The base64url public key, `k` in the header. */
  readonly publicKey: string;
  /** JWT lifetime in seconds. */
  readonly expiresIn: number;
  private readonly key: SigningKey;
  private readonly backend: CryptoBackend;
  private readonly clock: () => number;
  private readonly maxAudiences: number;
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();

  private constructor(
    options: VapidSignerOptions,
    publicKey: string,
    key: SigningKey,
    backend: CryptoBackend,
  ) {
    this.subject = options.subject;
    this.publicKey = publicKey;
    this.expiresIn = options.expiresIn ?? defaultVapidExpiresIn;
    this.clock = options.clock ?? Date.now;
    this.maxAudiences = options.maxAudiences ?? 1000;
    this.key = key;
    this.backend = backend;
  }

  /**
   * Checks the options and imports the key: the subject ({@link validateVapidSubject},
   * `ERR_VAPID_SUBJECT`), the lifetime (`ERR_VAPID_EXPIRATION` past 24 h), the keys
   * (`ERR_INVALID_KEY`) and that the private key belongs to the public key
   * (`ERR_KEY_PAIR_MISMATCH`).
   *
   * @example
   * ```ts
   * const signer = await VapidSigner.create({
   *   subject: 'https://example.com/contact',
   *   publicKey: process.env.VAPID_PUBLIC_KEY!,
   *   privateKey: process.env.VAPID_PRIVATE_KEY!,
   * });
   * ```
   */
  static async create(options: VapidSignerOptions): Promise<VapidSigner> {
    if (typeof options !== 'object' || options === null) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `VAPID signer options must be an object, got ${typeof options}`,
      );
    }
    validateVapidSubject(options.subject);
    const expiresIn = options.expiresIn ?? defaultVapidExpiresIn;
    if (!Number.isInteger(expiresIn) || expiresIn < minExpiresIn || expiresIn > maxVapidExpiresIn) {
      throw new WebPushError(
        'ERR_VAPID_EXPIRATION',
        `VAPID expiresIn must be a whole number of seconds from ${minExpiresIn} to ${maxVapidExpiresIn} ` +
          `(RFC 8292 §2: exp at most 24 hours ahead), got ${String(expiresIn)}`,
      );
    }
    const maxAudiences = options.maxAudiences ?? 1000;
    if (!Number.isInteger(maxAudiences) || maxAudiences < 1) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `maxAudiences must be a positive integer, got ${maxAudiences}`,
      );
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new WebPushError('ERR_INVALID_ARGUMENT', `clock must be a function, got ${typeof options.clock}`);
    }
    const backend = options.backend ?? defaultBackend;
    const pair = await decodeVapidKeys(options, backend);
    const key = await backend.importSigningKey(pair);
    return new VapidSigner(options, encodeBase64Url(pair.publicKey), key, backend);
  }

  /**
   * The headers for `endpoint` (a push endpoint URL or its origin) from a JWT that needs no
   * refresh, or undefined when one must be signed first: the synchronous fast path, no promise.
   *
   * @example
   * ```ts
   * const headers = signer.cachedHeaders(endpoint, 'aes128gcm') ?? (await signer.headers(endpoint, 'aes128gcm'));
   * ```
   */
  cachedHeaders(endpoint: string, contentEncoding: Encoding = 'aes128gcm'): VapidHeaders | undefined {
    const entry = this.entries.get(vapidAudience(endpoint));
    if (entry === undefined || this.clock() >= entry.refreshAt) return undefined;
    if (contentEncoding === 'aes128gcm') return entry.vapid;
    if (contentEncoding === 'aesgcm') return entry.webpush;
    return checkEncoding(contentEncoding) as never;
  }

  /**
   * The headers for `endpoint` and a content encoding: `aes128gcm` (default) gives
   * `Authorization: vapid t=<jwt>, k=<key>`, `aesgcm` gives `Authorization: WebPush <jwt>` and
   * `cryptoKey: 'p256ecdsa=<key>'`. Signs a JWT only when the cached one is past its refresh
   * point; concurrent callers share one signature.
   *
   * @example
   * ```ts
   * const { authorization } = await signer.headers('https://updates.push.services.mozilla.com/wpush/v2/gAAA');
   * ```
   */
  async headers(endpoint: string, contentEncoding: Encoding = 'aes128gcm'): Promise<VapidHeaders> {
    checkEncoding(contentEncoding);
    const entry = await this.entry(vapidAudience(endpoint));
    return contentEncoding === 'aesgcm' ? entry.webpush : entry.vapid;
  }

  /**
   * The current JWT for `endpoint`'s audience, signing one if needed (same cache as
   * {@link VapidSigner.headers}).
   *
   * @example
   * ```ts
   * const { token, expiresAt } = await signer.token('https://web.push.apple.com/QGuQ...');
   * ```
   */
  async token(endpoint: string): Promise<VapidToken> {
    const { token, audience, expiresAt } = await this.entry(vapidAudience(endpoint));
    return { token, audience, expiresAt };
  }

  private entry(audience: string): Promise<Entry> | Entry {
    const entry = this.entries.get(audience);
    if (entry !== undefined && this.clock() < entry.refreshAt) return entry;
    let pending = this.pending.get(audience);
    if (pending === undefined) {
      pending = this.sign(audience).finally(() => this.pending.delete(audience));
      this.pending.set(audience, pending);
    }
    return pending;
  }

  private async sign(audience: string): Promise<Entry> {
    const now = this.clock();
    const expiresAt = Math.floor(now / 1000) + this.expiresIn;
    const token = await signJwt({ aud: audience, exp: expiresAt, sub: this.subject }, this.key, this.backend);
    const entry: Entry = {
      token,
      audience,
      expiresAt,
      refreshAt: now + (this.expiresIn * 1000) / 2,
      vapid: Object.freeze({
        authorization: vapidAuthorization(token, this.publicKey),
        cryptoKey: undefined,
      }),
      webpush: Object.freeze({
        authorization: webPushAuthorization(token),
        cryptoKey: `p256ecdsa=${this.publicKey}`,
      }),
    };
    this.entries.delete(audience);
    if (this.entries.size >= this.maxAudiences) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(audience, entry);
    return entry;
  }
}
