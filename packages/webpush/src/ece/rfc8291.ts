/** The key derivation of RFC 8291 §3.3-3.4, shared by encryption and decryption. */
import { concatBytes, textEncoder } from '../bytes.js';
import type { HmacBackend } from '../crypto/backend.js';
import { hkdfExpand, hkdfExtract } from './hkdf.js';

const keyInfoLabel = textEncoder.encode('WebPush: info\0');

/**
 * RFC 8291 §3.4: IKM = HKDF(salt=auth_secret, ikm=ecdh_secret,
 * info="WebPush: info" || 0x00 || ua_public || as_public, L=32).
 */
export async function webPushIkm(
  backend: HmacBackend,
  ecdhSecret: Uint8Array,
  authSecret: Uint8Array,
  uaPublicKey: Uint8Array,
  asPublicKey: Uint8Array,
): Promise<Uint8Array> {
  const prk = await hkdfExtract(backend, authSecret, ecdhSecret);
  return hkdfExpand(backend, prk, concatBytes(keyInfoLabel, uaPublicKey, asPublicKey), 32);
}
