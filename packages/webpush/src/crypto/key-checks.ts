import { WebPushError } from '../errors.js';

/** Throws `ERR_INVALID_KEY` unless `publicKey` has the shape of an uncompressed point. */
export function assertUncompressedPoint(publicKey: Uint8Array, what = 'public key'): void {
  if (!(publicKey instanceof Uint8Array)) {
    throw new WebPushError('ERR_INVALID_KEY', `${what} must be a Uint8Array, got ${typeof publicKey}`);
  }
  if (publicKey.length !== 65 || publicKey[0] !== 0x04) {
    throw new WebPushError(
      'ERR_INVALID_KEY',
      `${what} must be a 65-byte uncompressed P-256 point starting with 0x04, got ${publicKey.length} bytes` +
        (publicKey.length > 0 ? ` starting with 0x${publicKey[0]!.toString(16).padStart(2, '0')}` : ''),
    );
  }
}

/** Throws `ERR_INVALID_KEY` unless `privateKey` is a 32-byte scalar. */
export function assertPrivateScalar(privateKey: Uint8Array): void {
  if (!(privateKey instanceof Uint8Array) || privateKey.length !== 32) {
    throw new WebPushError(
      'ERR_INVALID_KEY',
      `private key must be a 32-byte P-256 scalar, got ${privateKey instanceof Uint8Array ? `${privateKey.length} bytes` : typeof privateKey}`,
    );
  }
}
