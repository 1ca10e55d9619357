import { decodeBase64Url, defaultBackend, encodeBase64Url } from '@herald/webpush';
import { ServerError } from '../errors.js';

/**
 * Checks that a private key matches its public key by deriving the same ECDH secret both ways
 * with a throwaway peer: an imported pair that does not match would sign JWTs push services refuse.
 *
 * @example
 * ```ts
 * await checkPairMatches(publicKey, privateKey); // throws ERR_INVALID_REQUEST on a mismatch
 * ```
 */
export async function checkPairMatches(publicKey: string, privateKey: string): Promise<void> {
  let priv: Uint8Array;
  try {
    priv = decodeBase64Url(privateKey);
  } catch (cause) {
    throw new ServerError('ERR_INVALID_REQUEST', 'privateKey must be base64url', { cause });
  }
  if (priv.length !== 32) {
    throw new ServerError(
      'ERR_INVALID_REQUEST',
      `privateKey must be a 32-byte P-256 scalar, got ${priv.length} bytes`,
    );
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
}
