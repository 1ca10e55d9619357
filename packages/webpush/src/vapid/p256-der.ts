import { assertUncompressedPoint } from '../crypto/key-checks.js';
import { WebPushError } from '../errors.js';
import { bytesEqual, DerReader, derEncode, tag } from './der.js';

/**
 * The DER structures a P-256 key comes in, for PEM import and export: SubjectPublicKeyInfo
 * (RFC 5480 §2), PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5208 §5, RFC 5958 §2) and SEC1
 * ECPrivateKey (RFC 5915 §3). Only the named curve P-256 with an uncompressed point is accepted.
 * Internal.
 */

// RFC 5480 §2.1.1: id-ecPublicKey 1.2.840.10045.2.1 and §2.1.1.1: secp256r1 1.2.840.10045.3.1.7.
const ecPublicKeyOid = new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]);
const p256Oid = new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07]);

/** What a private key structure holds: the scalar, and the public point when it was included. */
export interface DecodedPrivateKey {
  privateKey: Uint8Array;
  publicKey: Uint8Array | undefined;
}

function invalid(what: string, detail: string): never {
  throw new WebPushError('ERR_INVALID_KEY', `${what}: ${detail}`);
}

const algorithmIdentifier = derEncode(
  tag.sequence,
  derEncode(tag.oid, ecPublicKeyOid),
  derEncode(tag.oid, p256Oid),
);

function publicKeyBitString(publicKey: Uint8Array): Uint8Array {
  return derEncode(tag.bitString, new Uint8Array([0]), publicKey);
}

/** SubjectPublicKeyInfo DER of a 65-byte point. */
export function encodeSpki(publicKey: Uint8Array): Uint8Array {
  assertUncompressedPoint(publicKey);
  return derEncode(tag.sequence, algorithmIdentifier, publicKeyBitString(publicKey));
}

/** PKCS#8 DER, laid out as `node:crypto` and OpenSSL write it (public key inside ECPrivateKey). */
export function encodePkcs8(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const ecPrivateKey = derEncode(
    tag.sequence,
    derEncode(tag.integer, new Uint8Array([1])),
    derEncode(tag.octetString, privateKey),
    derEncode(tag.context1, publicKeyBitString(publicKey)),
  );
  return derEncode(
    tag.sequence,
    derEncode(tag.integer, new Uint8Array([0])),
    algorithmIdentifier,
    derEncode(tag.octetString, ecPrivateKey),
  );
}

/** SEC1 ECPrivateKey DER with the curve and public key, as `openssl ec` writes it. */
export function encodeSec1(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  return derEncode(
    tag.sequence,
    derEncode(tag.integer, new Uint8Array([1])),
    derEncode(tag.octetString, privateKey),
    derEncode(tag.context0, derEncode(tag.oid, p256Oid)),
    derEncode(tag.context1, publicKeyBitString(publicKey)),
  );
}

function readAlgorithm(reader: DerReader, what: string): void {
  const algorithm = new DerReader(reader.read(tag.sequence, 'AlgorithmIdentifier').content, what);
  if (!bytesEqual(algorithm.read(tag.oid, 'algorithm').content, ecPublicKeyOid)) {
    invalid(what, 'the algorithm is not id-ecPublicKey (1.2.840.10045.2.1): not an EC key');
  }
  readCurve(algorithm, what);
  algorithm.end('AlgorithmIdentifier');
}

function readCurve(reader: DerReader, what: string): void {
  if (reader.peekTag() !== tag.oid) {
    invalid(what, 'the curve must be given by name (P-256); explicit curve parameters are not supported');
  }
  if (!bytesEqual(reader.read(tag.oid, 'namedCurve').content, p256Oid)) {
    invalid(what, 'the curve is not P-256 (prime256v1, 1.2.840.10045.3.1.7)');
  }
}

function readPoint(content: Uint8Array, what: string): Uint8Array {
  if (content.length < 1 || content[0] !== 0)
    invalid(what, 'the public key BIT STRING must have 0 unused bits');
  const point = content.subarray(1);
  if (point.length === 33 && (point[0] === 2 || point[0] === 3)) {
    invalid(what, 'compressed public keys are not supported; export the key with an uncompressed point');
  }
  assertUncompressedPoint(point, `${what} public key`);
  return Uint8Array.from(point);
}

function readInteger(reader: DerReader, name: string, allowed: readonly number[], what: string): number {
  const { content } = reader.read(tag.integer, name);
  if (content.length !== 1 || !allowed.includes(content[0]!)) {
    invalid(what, `${name} must be ${allowed.join(' or ')}`);
  }
  return content[0]!;
}

/** Reads a SubjectPublicKeyInfo: the 65-byte point. */
export function decodeSpki(der: Uint8Array, what = 'SPKI public key'): Uint8Array {
  const outer = new DerReader(der, what);
  const spki = new DerReader(outer.read(tag.sequence, 'SubjectPublicKeyInfo').content, what);
  outer.end('SubjectPublicKeyInfo');
  readAlgorithm(spki, what);
  const point = readPoint(spki.read(tag.bitString, 'subjectPublicKey').content, what);
  spki.end('subjectPublicKey');
  return point;
}

/** Reads a SEC1 ECPrivateKey (inside PKCS#8 the curve is usually left out). */
export function decodeSec1(der: Uint8Array, what = 'SEC1 private key'): DecodedPrivateKey {
  const outer = new DerReader(der, what);
  const key = new DerReader(outer.read(tag.sequence, 'ECPrivateKey').content, what);
  outer.end('ECPrivateKey');
  // RFC 5915 §3: version is ecPrivkeyVer1 (1).
  readInteger(key, 'ECPrivateKey version', [1], what);
  const scalar = key.read(tag.octetString, 'privateKey').content;
  // RFC 5915 §3 fixes the length at 32 octets for P-256; some old encoders dropped leading
  // zeros, which left-padding restores exactly.
  if (scalar.length < 1 || scalar.length > 32) {
    invalid(what, `the private key must be at most 32 bytes, got ${scalar.length}`);
  }
  const privateKey = new Uint8Array(32);
  privateKey.set(scalar, 32 - scalar.length);
  if (key.peekTag() === tag.context0) {
    const parameters = new DerReader(key.read(tag.context0, 'parameters').content, what);
    readCurve(parameters, what);
    parameters.end('parameters');
  }
  let publicKey: Uint8Array | undefined;
  if (key.peekTag() === tag.context1) {
    const wrapper = new DerReader(key.read(tag.context1, 'publicKey').content, what);
    publicKey = readPoint(wrapper.read(tag.bitString, 'publicKey').content, what);
    wrapper.end('publicKey');
  }
  key.end('ECPrivateKey');
  return { privateKey, publicKey };
}

/** Reads a PKCS#8 PrivateKeyInfo (v1) or OneAsymmetricKey (v2) holding a P-256 key. */
export function decodePkcs8(der: Uint8Array, what = 'PKCS#8 private key'): DecodedPrivateKey {
  const outer = new DerReader(der, what);
  const info = new DerReader(outer.read(tag.sequence, 'PrivateKeyInfo').content, what);
  outer.end('PrivateKeyInfo');
  const version = readInteger(info, 'PrivateKeyInfo version', [0, 1], what);
  readAlgorithm(info, what);
  const decoded = decodeSec1(info.read(tag.octetString, 'privateKey').content, what);
  // RFC 5958 §2: optional attributes [0], then (v2 only) the public key as [1] IMPLICIT BIT STRING.
  if (info.peekTag() === tag.context0) info.read(tag.context0, 'attributes');
  if (version === 1 && info.peekTag() === 0x81) {
    const point = readPoint(info.read(0x81, 'publicKey').content, what);
    if (decoded.publicKey && !bytesEqual(point, decoded.publicKey)) {
      invalid(what, 'it holds two different public keys');
    }
    decoded.publicKey = point;
  }
  info.end('PrivateKeyInfo');
  return decoded;
}
