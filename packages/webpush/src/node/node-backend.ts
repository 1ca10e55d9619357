import {
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  ECDH,
  type KeyObject,
  randomFillSync,
  sign,
  verify,
} from 'node:crypto';
import type {
  CryptoBackend,
  EcdhPrivateKey,
  RawKeyPair,
  SigningKey,
  VerifyingKey,
} from '../crypto/backend.js';
import { assertPrivateScalar, assertUncompressedPoint } from '../crypto/key-checks.js';
import { WebPushError } from '../errors.js';
import { deriveOne, readAgreement, readKeys } from './agreement-batch.js';

// DER prefix of a SubjectPublicKeyInfo for an uncompressed P-256 point (RFC 5480): importing
// SPKI DER skips the JWK parsing and base64 round trip.
const spkiPrefix = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

function publicKeyObject(publicKey: Uint8Array): KeyObject {
  assertUncompressedPoint(publicKey);
  try {
    return createPublicKey({ key: Buffer.concat([spkiPrefix, publicKey]), format: 'der', type: 'spki' });
  } catch (cause) {
    throw new WebPushError('ERR_INVALID_KEY', 'public key is not a point on the P-256 curve', { cause });
  }
}

function privateKeyObject(keyPair: RawKeyPair): KeyObject {
  assertUncompressedPoint(keyPair.publicKey);
  assertPrivateScalar(keyPair.privateKey);
  try {
    return createPrivateKey({
      key: {
        kty: 'EC',
        crv: 'P-256',
        x: Buffer.from(keyPair.publicKey.subarray(1, 33)).toString('base64url'),
        y: Buffer.from(keyPair.publicKey.subarray(33, 65)).toString('base64url'),
        d: Buffer.from(keyPair.privateKey).toString('base64url'),
      },
      format: 'jwk',
    });
  } catch (cause) {
    throw new WebPushError('ERR_INVALID_KEY', 'the private key does not match a valid P-256 key pair', {
      cause,
    });
  }
}

/** A plain Uint8Array view of a Buffer, so both backends return the same type. */
function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

// Each message needs a 16-byte salt. One randomFillSync call per message cost 2-3% of a send;
// small requests are served from a pool refilled 4 KiB at a time (as Node's randomUUID does).
const randomPoolSize = 4096;
const randomPool = new Uint8Array(randomPoolSize);
let randomPoolOffset = randomPoolSize;

function leftPad32(key: Buffer): Uint8Array {
  if (key.length === 32) return bytes(key);
  const out = new Uint8Array(32);
  out.set(key, 32 - key.length);
  return out;
}

/**
 * The `node:crypto` backend, selected by the `node` export condition. Every primitive is a
 * synchronous OpenSSL call; the promises it returns are already resolved.
 */
export const backend: CryptoBackend = {
  name: 'node',

  randomBytes(length) {
    if (length > randomPoolSize / 16) return randomFillSync(new Uint8Array(length));
    if (randomPoolOffset + length > randomPoolSize) {
      randomFillSync(randomPool);
      randomPoolOffset = 0;
    }
    // A copy: no two callers ever share random bytes, and refilling cannot change them.
    const out = randomPool.slice(randomPoolOffset, randomPoolOffset + length);
    randomPoolOffset += length;
    return out;
  },

  async generateKeyPair() {
    const ecdh = createECDH('prime256v1');
    const publicKey = ecdh.generateKeys();
    return { publicKey: bytes(publicKey), privateKey: leftPad32(ecdh.getPrivateKey()) };
  },

  async isValidPublicKey(publicKey) {
    if (publicKey.length !== 65 || publicKey[0] !== 0x04) return false;
    try {
      // Decoding the point checks that it lies on the curve, at a quarter of the cost of
      // building a KeyObject (this runs once per subscription registered).
      ECDH.convertKey(publicKey, 'prime256v1');
      return true;
    } catch {
      return false;
    }
  },

  async ephemeralAgreement(peerPublicKey) {
    // A new key pair per message (RFC 8291 §3.1), on @herald/ecdh-native when it is built.
    return readAgreement(await deriveOne(peerPublicKey), 0);
  },

  async aes128gcmKeys(peerPublicKey, authSecret, salt) {
    return readKeys(await deriveOne(peerPublicKey, authSecret, salt), 0);
  },

  async importEcdhPrivateKey(keyPair) {
    return privateKeyObject(keyPair) as unknown as EcdhPrivateKey;
  },

  async agree(privateKey, peerPublicKey) {
    return bytes(
      diffieHellman({
        privateKey: privateKey as unknown as KeyObject,
        publicKey: publicKeyObject(peerPublicKey),
      }),
    );
  },

  async hmacSha256(key, data) {
    return bytes(createHmac('sha256', key).update(data).digest());
  },

  async aes128GcmSeal(key, nonce, plaintext) {
    const cipher = createCipheriv('aes-128-gcm', key, nonce);
    return bytes(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
  },

  async aes128GcmOpen(key, nonce, sealed) {
    if (sealed.length < 16) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        `AES-GCM input must hold a 16-byte tag, got ${sealed.length} bytes`,
      );
    }
    const decipher = createDecipheriv('aes-128-gcm', key, nonce);
    decipher.setAuthTag(sealed.subarray(sealed.length - 16));
    try {
      return bytes(
        Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]),
      );
    } catch (cause) {
      throw new WebPushError(
        'ERR_DECRYPT_FAILED',
        'AES-GCM authentication failed: wrong key or corrupted data',
        {
          cause,
        },
      );
    }
  },

  async importSigningKey(keyPair) {
    return privateKeyObject(keyPair) as unknown as SigningKey;
  },

  async sign(key, data) {
    return bytes(sign('sha256', data, { key: key as unknown as KeyObject, dsaEncoding: 'ieee-p1363' }));
  },

  async importVerifyingKey(publicKey) {
    return publicKeyObject(publicKey) as unknown as VerifyingKey;
  },

  async verify(key, data, signature) {
    if (signature.length !== 64) return false;
    return verify('sha256', data, { key: key as unknown as KeyObject, dsaEncoding: 'ieee-p1363' }, signature);
  },

  async derivePublicKey(privateKey) {
    assertPrivateScalar(privateKey);
    const ecdh = createECDH('prime256v1');
    try {
      // setPrivateKey rejects 0 and scalars >= n, and computes the public point.
      ecdh.setPrivateKey(privateKey);
    } catch (cause) {
      throw new WebPushError('ERR_INVALID_KEY', 'private key is not a P-256 scalar between 1 and n - 1', {
        cause,
      });
    }
    return bytes(ecdh.getPublicKey());
  },
};
