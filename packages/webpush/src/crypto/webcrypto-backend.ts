import { decodeBase64Url, encodeBase64Url } from '../base64url.js';
import { WebPushError } from '../errors.js';
import type {
  CryptoBackend,
  EcdhPrivateKey,
  EphemeralAgreement,
  RawKeyPair,
  SigningKey,
  VerifyingKey,
} from './backend.js';
import { assertPrivateScalar, assertUncompressedPoint } from './key-checks.js';

const subtle = globalThis.crypto.subtle;
const ecdhParams = { name: 'ECDH', namedCurve: 'P-256' } as const;
const ecdsaParams = { name: 'ECDSA', namedCurve: 'P-256' } as const;
// DER of a PKCS#8 PrivateKeyInfo for a P-256 key up to the 32-byte scalar, without the optional
// public key (RFC 5208 §5, RFC 5915 §3): importing it makes WebCrypto compute the public point.
const pkcs8ScalarPrefix = new Uint8Array([
  0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08,
  0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27, 0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
]);

function jwkOf(keyPair: RawKeyPair): JsonWebKey {
  assertUncompressedPoint(keyPair.publicKey);
  assertPrivateScalar(keyPair.privateKey);
  return {
    kty: 'EC',
    crv: 'P-256',
    x: encodeBase64Url(keyPair.publicKey.subarray(1, 33)),
    y: encodeBase64Url(keyPair.publicKey.subarray(33, 65)),
    d: encodeBase64Url(keyPair.privateKey),
  };
}

async function importPublic(
  publicKey: Uint8Array,
  params: EcKeyImportParams,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  assertUncompressedPoint(publicKey);
  try {
    return await subtle.importKey('raw', publicKey as BufferSource, params, false, usages);
  } catch (cause) {
    throw new WebPushError('ERR_INVALID_KEY', 'public key is not a point on the P-256 curve', { cause });
  }
}

async function importPair(keyPair: RawKeyPair, params: EcKeyImportParams, usages: KeyUsage[]) {
  try {
    return await subtle.importKey('jwk', jwkOf(keyPair), params, false, usages);
  } catch (cause) {
    if (cause instanceof WebPushError) throw cause;
    throw new WebPushError('ERR_INVALID_KEY', 'the private key does not match a valid P-256 key pair', {
      cause,
    });
  }
}

async function deriveSecret(privateKey: CryptoKey, peer: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.deriveBits({ name: 'ECDH', public: peer }, privateKey, 256));
}

/**
 * The WebCrypto backend: runs wherever `crypto.subtle` exists (Deno, Bun, Cloudflare Workers,
 * browsers, and Node as a fallback).
 */
export const backend: CryptoBackend = {
  name: 'webcrypto',

  randomBytes(length) {
    const out = new Uint8Array(length);
    // getRandomValues fills at most 65,536 bytes per call.
    for (let offset = 0; offset < length; offset += 65_536) {
      globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(length, offset + 65_536)));
    }
    return out;
  },

  async generateKeyPair() {
    const pair = await subtle.generateKey(ecdhParams, true, ['deriveBits']);
    const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
    const jwk = await subtle.exportKey('jwk', pair.privateKey);
    return { publicKey, privateKey: decodeBase64Url(jwk.d!, 'jwk.d') };
  },

  async isValidPublicKey(publicKey) {
    try {
      await importPublic(publicKey, ecdhParams, []);
      return true;
    } catch {
      return false;
    }
  },

  async ephemeralAgreement(peerPublicKey): Promise<EphemeralAgreement> {
    const peer = await importPublic(peerPublicKey, ecdhParams, []);
    const pair = await subtle.generateKey(ecdhParams, true, ['deriveBits']);
    const [publicKey, secret] = await Promise.all([
      subtle.exportKey('raw', pair.publicKey),
      deriveSecret(pair.privateKey, peer),
    ]);
    return { publicKey: new Uint8Array(publicKey), secret };
  },

  async importEcdhPrivateKey(keyPair) {
    return (await importPair(keyPair, ecdhParams, ['deriveBits'])) as unknown as EcdhPrivateKey;
  },

  async agree(privateKey, peerPublicKey) {
    const peer = await importPublic(peerPublicKey, ecdhParams, []);
    return deriveSecret(privateKey as unknown as CryptoKey, peer);
  },

  async hmacSha256(key, data) {
    const hmacKey = await subtle.importKey(
      'raw',
      key as BufferSource,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    return new Uint8Array(await subtle.sign('HMAC', hmacKey, data as BufferSource));
  },

  async aes128GcmSeal(key, nonce, plaintext) {
    const aesKey = await subtle.importKey('raw', key as BufferSource, 'AES-GCM', false, ['encrypt']);
    return new Uint8Array(
      await subtle.encrypt(
        { name: 'AES-GCM', iv: nonce as BufferSource, tagLength: 128 },
        aesKey,
        plaintext as BufferSource,
      ),
    );
  },

  async aes128GcmOpen(key, nonce, sealed) {
    const aesKey = await subtle.importKey('raw', key as BufferSource, 'AES-GCM', false, ['decrypt']);
    try {
      return new Uint8Array(
        await subtle.decrypt(
          { name: 'AES-GCM', iv: nonce as BufferSource, tagLength: 128 },
          aesKey,
          sealed as BufferSource,
        ),
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
    return (await importPair(keyPair, ecdsaParams, ['sign'])) as unknown as SigningKey;
  },

  async sign(key, data) {
    const signature = await subtle.sign(
      { name: 'ECDSA', hash: 'SHA-256' },
      key as unknown as CryptoKey,
      data as BufferSource,
    );
    return new Uint8Array(signature);
  },

  async importVerifyingKey(publicKey) {
    return (await importPublic(publicKey, ecdsaParams, ['verify'])) as unknown as VerifyingKey;
  },

  async verify(key, data, signature) {
    if (signature.length !== 64) return false;
    return subtle.verify(
      { name: 'ECDSA', hash: 'SHA-256' },
      key as unknown as CryptoKey,
      signature as BufferSource,
      data as BufferSource,
    );
  },

  async derivePublicKey(privateKey) {
    assertPrivateScalar(privateKey);
    const der = new Uint8Array(pkcs8ScalarPrefix.length + 32);
    der.set(pkcs8ScalarPrefix);
    der.set(privateKey, pkcs8ScalarPrefix.length);
    let jwk: JsonWebKey;
    try {
      const key = await subtle.importKey('pkcs8', der, ecdsaParams, true, ['sign']);
      jwk = await subtle.exportKey('jwk', key);
    } catch (cause) {
      throw new WebPushError('ERR_INVALID_KEY', 'private key is not a P-256 scalar between 1 and n - 1', {
        cause,
      });
    }
    const publicKey = new Uint8Array(65);
    publicKey[0] = 0x04;
    publicKey.set(decodeBase64Url(jwk.x!, 'jwk.x'), 1);
    publicKey.set(decodeBase64Url(jwk.y!, 'jwk.y'), 33);
    return publicKey;
  },
};
