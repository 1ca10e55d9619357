import { decodeBase64Url } from '@herald/webpush';
import { ServerError } from '../errors.js';
import { isP256Point } from './p256.js';

/**
 * Checks a subscription's keys as `PushSubscription.toJSON()` gives them: `p256dh` a base64url
 * 65-byte uncompressed point on P-256 (RFC 8291 §2: the user agent's ECDH public key), `auth` a
 * base64url 16-byte secret (RFC 8291 §2). A key that fails here would make every send fail later.
 *
 * @example
 * ```ts
 * await checkSubscriptionKeys({ p256dh: 'BNc...', auth: 'tBH...' });
 * ```
 */
export async function checkSubscriptionKeys(keys: { p256dh: string; auth: string }): Promise<void> {
  let p256dh: Uint8Array;
  let auth: Uint8Array;
  try {
    p256dh = decodeBase64Url(keys.p256dh);
  } catch (cause) {
    throw new ServerError('ERR_INVALID_SUBSCRIPTION', 'subscription.keys.p256dh must be base64url', {
      cause,
    });
  }
  try {
    auth = decodeBase64Url(keys.auth);
  } catch (cause) {
    throw new ServerError('ERR_INVALID_SUBSCRIPTION', 'subscription.keys.auth must be base64url', { cause });
  }
  if (p256dh.length !== 65 || !isP256Point(p256dh)) {
    throw new ServerError(
      'ERR_INVALID_SUBSCRIPTION',
      `subscription.keys.p256dh must be a 65-byte uncompressed P-256 point, got ${p256dh.length} bytes` +
        (p256dh.length === 65 ? ' that are not a point on the curve' : ''),
    );
  }
  if (auth.length !== 16) {
    throw new ServerError(
      'ERR_INVALID_SUBSCRIPTION',
      `subscription.keys.auth must be a 16-byte secret, got ${auth.length} bytes`,
    );
  }
}

/**
 * Checks a VAPID public key given as base64url: a 65-byte uncompressed P-256 point.
 *
 * @example
 * ```ts
 * await checkVapidPublicKey('BNc...', 'applicationServerKey');
 * ```
 */
export async function checkVapidPublicKey(publicKey: string, field: string): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = decodeBase64Url(publicKey);
  } catch (cause) {
    throw new ServerError('ERR_INVALID_REQUEST', `${field} must be base64url`, { cause });
  }
  if (bytes.length !== 65 || !isP256Point(bytes)) {
    throw new ServerError(
      'ERR_INVALID_REQUEST',
      `${field} must be a 65-byte uncompressed P-256 point, got ${bytes.length} bytes`,
    );
  }
}
