import type { CryptoBackend, VerifyingKey } from '../crypto/backend.js';
import { defaultBackend } from '../crypto/default-backend.js';
import { WebPushError } from '../errors.js';
import { decodeCanonicalBase64Url } from './canonical-base64url.js';
import { parseVapidAuthorization } from './header.js';
import { parseJwt } from './jwt.js';
import { maxVapidExpiresIn } from './signer.js';
import { validateVapidSubject } from './subject.js';

/**
 * Options of {@link VapidVerifier}.
 *
 * @example
 * ```ts
 * const options: VapidVerifierOptions = { audience: 'https://push.example.net' };
 * ```
 */
export interface VapidVerifierOptions {
  /** This push service's origin (or any URL on it): the `aud` every JWT must carry. */
  audience: string;
  /** Milliseconds since the epoch; default `Date.now`. */
  clock?: () => number;
  /** Seconds of clock skew forgiven on `exp` in both directions; default 0. */
  clockTolerance?: number;
  /** Also apply the sender-side subject rules ({@link validateVapidSubject}); default false. */
  strictSubject?: boolean;
  /** Verified tokens to remember; the oldest is dropped past this. Default 10,000. */
  maxCacheEntries?: number;
  backend?: CryptoBackend;
}

/**
 * The VAPID headers of one incoming request.
 *
 * @example
 * ```ts
 * const request: VapidVerifyRequest = {
 *   authorization: req.headers.authorization,
 *   cryptoKey: req.headers['crypto-key'],
 *   expectedPublicKey: subscription.vapidKey,
 * };
 * ```
 */
export interface VapidVerifyRequest {
  /** The `Authorization` header. */
  authorization: string | null | undefined;
  /** The `Crypto-Key` header (carries `p256ecdsa=` in the legacy `WebPush` form). */
  cryptoKey?: string | null | undefined;
  /**
   * The key the subscription was created with (base64url, padding allowed). When given, the
   * request's key must be this one (`ERR_VAPID_KEY_MISMATCH`).
   */
  expectedPublicKey?: string | undefined;
}

/**
 * A request's VAPID identity after verification.
 *
 * @example
 * ```ts
 * const { publicKey, subject } = await verifier.verify(request);
 * ```
 */
export interface VerifiedVapid {
  readonly scheme: 'vapid' | 'webpush';
  /** The verified public key, unpadded base64url. */
  readonly publicKey: string;
  /** The `sub` claim. */
  readonly subject: string;
  /** The `aud` claim (this push service's origin). */
  readonly audience: string;
  /** The `exp` claim, seconds since the epoch. */
  readonly expiresAt: number;
  /** The JWT. */
  readonly token: string;
}

interface CacheEntry {
  result: VerifiedVapid;
  /** When the token stops being accepted, in clock milliseconds. */
  expiresAtMs: number;
}

const maxKeys = 1024;

function stripPadding(key: string): string {
  let end = key.length;
  while (end > 0 && key.charCodeAt(end - 1) === 61 /* = */) end--;
  return end === key.length ? key : key.slice(0, end);
}

/**
 * Verifies VAPID (RFC 8292) on a push service: parses `Authorization` in either form, checks the
 * ES256 signature against the request's key (which must be the subscription's key when one is
 * given), that `aud` is this push service's origin, that `exp` is present, not past and at most
 * 24 hours ahead, and that `sub` is present. Every failure is a `WebPushError` with an
 * `ERR_VAPID_*` code (map them all to 401, Mozilla errno 109). A token that verified once is
 * remembered until it expires, so the next request with it costs no signature check.
 *
 * @example
 * ```ts
 * const verifier = new VapidVerifier({ audience: 'https://push.example.net' });
 * try {
 *   const { publicKey } = await verifier.verify({ authorization, cryptoKey, expectedPublicKey });
 * } catch (error) {
 *   if (error instanceof WebPushError && error.code.startsWith('ERR_VAPID_')) reply(401, { errno: 109 });
 *   else throw error;
 * }
 * ```
 */
export class VapidVerifier {
  /** The origin every `aud` must equal. */
  readonly audience: string;
  private readonly clock: () => number;
  private readonly tolerance: number;
  private readonly strictSubject: boolean;
  private readonly maxCacheEntries: number;
  private readonly backend: CryptoBackend;
  private readonly verified = new Map<string, CacheEntry>();
  private readonly keys = new Map<string, Promise<VerifyingKey>>();

  constructor(options: VapidVerifierOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `verifier options must be an object, got ${typeof options}`,
      );
    }
    let url: URL;
    try {
      url = new URL(options.audience);
    } catch (cause) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `audience must be the push service's URL, got ${options.audience}`,
        {
          cause,
        },
      );
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new WebPushError('ERR_INVALID_ARGUMENT', `audience must be an http(s) URL, got ${url.protocol}`);
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') {
      throw new WebPushError('ERR_INVALID_ARGUMENT', `clock must be a function, got ${typeof options.clock}`);
    }
    const tolerance = options.clockTolerance ?? 0;
    if (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 3600) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `clockTolerance must be 0 to 3600 seconds, got ${tolerance}`,
      );
    }
    const maxCacheEntries = options.maxCacheEntries ?? 10_000;
    if (!Number.isInteger(maxCacheEntries) || maxCacheEntries < 0) {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `maxCacheEntries must be an integer >= 0, got ${maxCacheEntries}`,
      );
    }
    this.audience = url.origin;
    this.clock = options.clock ?? Date.now;
    this.tolerance = tolerance;
    this.strictSubject = options.strictSubject ?? false;
    this.maxCacheEntries = maxCacheEntries;
    this.backend = options.backend ?? defaultBackend;
  }

  /** How many verified tokens are remembered. */
  get cacheSize(): number {
    return this.verified.size;
  }

  /**
   * Verifies the VAPID headers of one request and returns who signed it.
   *
   * @example
   * ```ts
   * const result = await verifier.verify({
   *   authorization: 'vapid t=eyJ0eXAi..., k=BN3f...',
   *   expectedPublicKey: 'BN3f...',
   * });
   * ```
   */
  async verify(request: VapidVerifyRequest): Promise<VerifiedVapid> {
    if (typeof request !== 'object' || request === null) {
      throw new WebPushError('ERR_VAPID_MISSING', 'no request headers were given to verify');
    }
    const parsed = parseVapidAuthorization(request.authorization, request.cryptoKey);
    const expected = request.expectedPublicKey;
    if (expected !== undefined && typeof expected !== 'string') {
      throw new WebPushError(
        'ERR_INVALID_ARGUMENT',
        `expectedPublicKey must be a string, got ${typeof expected}`,
      );
    }
    const expectedKey = expected === undefined ? undefined : stripPadding(expected);
    let publicKey: string;
    if (parsed.publicKey !== undefined) publicKey = stripPadding(parsed.publicKey);
    else if (expectedKey !== undefined) publicKey = expectedKey;
    else {
      throw new WebPushError(
        'ERR_VAPID_MALFORMED',
        'the WebPush Authorization form needs the public key in "Crypto-Key: p256ecdsa=<key>"',
      );
    }
    if (expectedKey !== undefined && publicKey !== expectedKey) {
      throw new WebPushError(
        'ERR_VAPID_KEY_MISMATCH',
        `the request is signed for the VAPID key ${publicKey.slice(0, 16)}..., ` +
          `but the subscription was created with ${expectedKey.slice(0, 16)}...`,
      );
    }
    const nowMs = this.clock();
    const cached = this.verified.get(parsed.token);
    if (
      cached !== undefined &&
      cached.result.publicKey === publicKey &&
      cached.result.scheme === parsed.scheme
    ) {
      if (nowMs < cached.expiresAtMs) return cached.result;
      this.verified.delete(parsed.token);
      throw this.expired(cached.result.expiresAt, nowMs);
    }
    const jwt = parseJwt(parsed.token);
    const key = await this.verifyingKey(publicKey);
    if (!(await this.backend.verify(key, jwt.signingInput, jwt.signature))) {
      throw new WebPushError(
        'ERR_VAPID_BAD_SIGNATURE',
        `the VAPID JWT signature does not verify with the key ${publicKey.slice(0, 16)}...`,
      );
    }
    const result = this.checkClaims(jwt.claims, nowMs, parsed.scheme, publicKey, parsed.token);
    this.remember(result);
    return result;
  }

  private checkClaims(
    claims: Record<string, unknown>,
    nowMs: number,
    scheme: 'vapid' | 'webpush',
    publicKey: string,
    token: string,
  ): VerifiedVapid {
    const { aud, exp, sub } = claims;
    if (aud !== this.audience) {
      throw new WebPushError(
        'ERR_VAPID_AUDIENCE',
        `the VAPID JWT "aud" must be this push service's origin ${JSON.stringify(this.audience)}, ` +
          `got ${JSON.stringify(aud) ?? 'nothing'} (RFC 8292 §2)`,
      );
    }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) {
      throw new WebPushError(
        'ERR_VAPID_EXPIRATION',
        `the VAPID JWT "exp" must be a number of seconds, got ${JSON.stringify(exp) ?? 'nothing'} (RFC 8292 §2)`,
      );
    }
    const now = nowMs / 1000;
    if (exp <= now - this.tolerance) throw this.expired(exp, nowMs);
    if (exp > now + maxVapidExpiresIn + this.tolerance) {
      throw new WebPushError(
        'ERR_VAPID_EXPIRATION',
        `the VAPID JWT "exp" is ${Math.round(exp - now)} s ahead; RFC 8292 §2 allows at most ${maxVapidExpiresIn} s (24 h)`,
      );
    }
    if (typeof sub !== 'string' || sub === '') {
      throw new WebPushError(
        'ERR_VAPID_SUBJECT',
        `the VAPID JWT "sub" must be a mailto: or https: contact, got ${JSON.stringify(sub) ?? 'nothing'}`,
      );
    }
    if (this.strictSubject) validateVapidSubject(sub);
    // Frozen: the same object is handed to every request that presents this token again.
    return Object.freeze({ scheme, publicKey, subject: sub, audience: aud, expiresAt: exp, token });
  }

  private expired(exp: number, nowMs: number): WebPushError {
    return new WebPushError(
      'ERR_VAPID_EXPIRED',
      `the VAPID JWT expired ${Math.max(0, Math.round(nowMs / 1000 - exp))} s ago (exp ${exp})`,
    );
  }

  private remember(result: VerifiedVapid): void {
    if (this.maxCacheEntries === 0) return;
    this.verified.delete(result.token);
    while (this.verified.size >= this.maxCacheEntries)
      this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(result.token, { result, expiresAtMs: (result.expiresAt + this.tolerance) * 1000 });
  }

  private verifyingKey(publicKey: string): Promise<VerifyingKey> {
    let key = this.keys.get(publicKey);
    if (key === undefined) {
      key = this.importKey(publicKey);
      if (this.keys.size >= maxKeys) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(publicKey, key);
      key.catch(() => this.keys.delete(publicKey));
    }
    return key;
  }

  private async importKey(publicKey: string): Promise<VerifyingKey> {
    const raw = decodeCanonicalBase64Url(publicKey, 'VAPID public key', 'ERR_VAPID_MALFORMED');
    try {
      return await this.backend.importVerifyingKey(raw);
    } catch (cause) {
      throw new WebPushError('ERR_VAPID_MALFORMED', 'the VAPID public key is not a 65-byte P-256 point', {
        cause,
      });
    }
  }
}
