import { decodeBase64Url, defaultBackend, encodeBase64Url } from '@herald/webpush';
import { ServerError } from '../errors.js';

/**
 * Checks an imported VAPID key pair and returns it in canonical form (unpadded base64url, a
 * 32-byte scalar): the private key must belong to the public key, shown by deriving the same ECDH
 * secret both ways with a throwaway peer, since a pair that does not match would sign JWTs push
 * services refuse. Scalars shorter than 32 bytes are left-padded: tools built on Node's
 * `ECDH.getPrivateKey()` drop leading zero octets, so one key in 256 they made is 31 bytes.
 *
 * @example
 * ```ts
 * const pair = await checkKeyPair(publicKey, privateKey); // throws ERR_INVALID_REQUEST on a mismatch
 * ```
 */
export async function checkKeyPair(
  publicKey: string,
  privateKey: string,
): Promise<{ publicKey: string; privateKey: string }> {
  let priv: Uint8Array;
  try {
    priv = decodeBase64Url(privateKey);
  } catch (cause) {
    throw new ServerError('ERR_INVALID_REQUEST', 'privateKey must be base64url', { cause });
  }
  if (priv.length === 0 || priv.length > 32) {
    throw new ServerError(
      'ERR_INVALID_REQUEST',
      `privateKey must be a 32-byte P-256 scalar, got ${priv.length} bytes`,
    );
  }
  if (priv.length < 32) {
    const padded = new Uint8Array(32);
    padded.set(priv, 32 - priv.length);
    priv = padded;
  }
  const pub = decodeBase64Url(publicKey);
  try {
    const peer = await defaultBackend.generateKeyPair();
    const mine = await defaultBackend.importEcdhPrivateKey({ publicKey: pub, privateKey: priv });
    const theirs = await defaultBackend.importEcdhPrivateKey(peer);
    const a = await defaultBackend.agree(mine, peer.publicKey);
    const b = await defaultBackend.agree(theirs, pub);
    if (encodeBase64Url(a) !== encodeBase64Url(b)) throw new Error('secrets differ');
  } catch (cause) {
    throw new ServerError('ERR_INVALID_REQUEST', 'privateKey does not belong to publicKey', { cause });
  }
  return { publicKey: encodeBase64Url(pub), privateKey: encodeBase64Url(priv) };
}
