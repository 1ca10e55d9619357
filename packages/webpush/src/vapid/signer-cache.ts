import type { CryptoBackend } from '../crypto/backend.js';
import { defaultBackend } from '../crypto/default-backend.js';
import { WebPushError } from '../errors.js';
import { type VapidHeaders, VapidSigner } from './signer.js';

/**
 * VAPID settings as plain strings, the way web-push's `setVapidDetails` takes them.
 *
 * @example
 * ```ts
 * const vapid: VapidDetails = { subject: 'mailto:push@example.com', publicKey, privateKey };
 * ```
 */
export interface VapidDetails {
  subject: string;
  /** base64url 65-byte public key. */
  publicKey: string;
  /** base64url 32-byte private key. */
  privateKey: string;
  /** JWT lifetime in seconds, at most 86,400; default 43,200. */
  expiresIn?: number;
}

// Signers by backend, then by their details: a few keys at most (rotation), so a small bound.
const signers = new WeakMap<CryptoBackend, Map<string, Promise<VapidSigner>>>();
const maxSigners = 64;

/**
 * The shared {@link VapidSigner} for these details, created on first use and kept (up to 64
 * distinct details, oldest dropped), so callers that pass plain strings on every send still get
 * the per-audience JWT cache instead of a new signature per message.
 *
 * @example
 * ```ts
 * const signer = await getVapidSigner({ subject: 'mailto:push@example.com', publicKey, privateKey });
 * ```
 */
export function getVapidSigner(
  details: VapidDetails,
  backend: CryptoBackend = defaultBackend,
): Promise<VapidSigner> {
  if (typeof details !== 'object' || details === null) {
    return Promise.reject(
      new WebPushError('ERR_INVALID_ARGUMENT', `VAPID details must be an object, got ${typeof details}`),
    );
  }
  let byKey = signers.get(backend);
  if (byKey === undefined) {
    byKey = new Map();
    signers.set(backend, byKey);
  }
  const key = `${details.subject}\n${details.publicKey}\n${details.privateKey}\n${details.expiresIn}`;
  const known = byKey.get(key);
  if (known !== undefined) return known;
  const created = VapidSigner.create({
    subject: details.subject,
    publicKey: details.publicKey,
    privateKey: details.privateKey,
    ...(details.expiresIn === undefined ? {} : { expiresIn: details.expiresIn }),
    backend,
  });
  if (byKey.size >= maxSigners) byKey.delete(byKey.keys().next().value!);
  byKey.set(key, created);
  // A rejected creation is not kept: the next call reports the problem again.
  created.catch(() => {
    if (byKey.get(key) === created) byKey.delete(key);
  });
  return created;
}

/**
 * The VAPID headers for `endpoint` and a content encoding, from a {@link VapidSigner} or from
 * plain {@link VapidDetails} (through {@link getVapidSigner}'s shared signers). The counterpart
 * of web-push's `getVapidHeaders`, but with the JWT cached per audience.
 *
 * @example
 * ```ts
 * const { authorization } = await vapidHeaders('https://fcm.googleapis.com/fcm/send/abc', {
 *   subject: 'mailto:push@example.com',
 *   publicKey,
 *   privateKey,
 * });
 * ```
 */
export async function vapidHeaders(
  endpoint: string,
  vapid: VapidSigner | VapidDetails,
  contentEncoding: 'aes128gcm' | 'aesgcm' = 'aes128gcm',
  backend: CryptoBackend = defaultBackend,
): Promise<VapidHeaders> {
  const signer = vapid instanceof VapidSigner ? vapid : await getVapidSigner(vapid, backend);
  return signer.cachedHeaders(endpoint, contentEncoding) ?? signer.headers(endpoint, contentEncoding);
}
