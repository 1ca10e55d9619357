/**
 * The cryptographic primitives Web Push needs, behind one small interface with two
 * implementations: WebCrypto (`webcrypto-backend.ts`, every runtime) and `node:crypto`
 * (`../node/node-backend.ts`, 3-5x faster on Node because each call is synchronous C++ rather
 * than an async WebCrypto job). The package's `#backend` import picks one by export condition.
 *
 * All keys are P-256. Raw public keys are 65-byte uncompressed points (0x04 || X || Y); private
 * keys are the 32-byte scalar `d`. Methods return promises so that both implementations fit;
 * the Node one resolves them at once.
 */

/**
 * A P-256 key pair as raw bytes.
 *
 * @example
 * ```ts
 * const { publicKey, privateKey } = await defaultBackend.generateKeyPair(); // 65 and 32 bytes
 * ```
 */
export interface RawKeyPair {
  /** 65-byte uncompressed point. */
  publicKey: Uint8Array;
  /** 32-byte private scalar. */
  privateKey: Uint8Array;
}

/**
 * The outcome of an ECDH agreement with a freshly generated key pair.
 *
 * @example
 * ```ts
 * const { publicKey, secret } = await defaultBackend.ephemeralAgreement(subscriberPublicKey);
 * ```
 */
export interface EphemeralAgreement {
  /** The new key pair's public key (65 bytes), sent to the peer. */
  publicKey: Uint8Array;
  /** The 32-byte shared secret (the X coordinate of the shared point). */
  secret: Uint8Array;
}

/**
 * A new key pair's public key with the aes128gcm content-encryption key and nonce its agreement
 * gives (RFC 8291 §3.4, RFC 8188 §2.2-2.3): all a sender needs to seal a message.
 *
 * @example
 * ```ts
 * const { publicKey, key, nonce } = await backend.aes128gcmKeys!(p256dh, auth, salt);
 * ```
 */
export interface Aes128gcmKeys {
  /** The new key pair's public key (65 bytes): the message's key id. */
  publicKey: Uint8Array;
  /** The 16-byte content-encryption key. */
  key: Uint8Array;
  /** The 12-byte base nonce. */
  nonce: Uint8Array;
}

/**
 * An imported private key for ECDH, opaque to callers (a `KeyObject` or a `CryptoKey`).
 *
 * @example
 * ```ts
 * const key = await defaultBackend.importEcdhPrivateKey(keyPair);
 * const secret = await defaultBackend.agree(key, peerPublicKey);
 * ```
 */
export interface EcdhPrivateKey {
  readonly __ecdhPrivateKey: never;
}

/**
 * An imported private key for ES256 signing, opaque to callers.
 *
 * @example
 * ```ts
 * const key = await defaultBackend.importSigningKey(keyPair);
 * const signature = await defaultBackend.sign(key, new TextEncoder().encode('header.claims'));
 * ```
 */
export interface SigningKey {
  readonly __signingKey: never;
}

/**
 * An imported public key for ES256 verification, opaque to callers.
 *
 * @example
 * ```ts
 * const key = await defaultBackend.importVerifyingKey(keyPair.publicKey);
 * await defaultBackend.verify(key, data, signature); // true or false
 * ```
 */
export interface VerifyingKey {
  readonly __verifyingKey: never;
}

/**
 * The primitives each crypto backend provides. Invalid keys throw `ERR_INVALID_KEY`.
 *
 * @example
 * ```ts
 * import { defaultBackend, encrypt } from '@herald/webpush';
 * defaultBackend.name; // 'node' on Node, 'webcrypto' on Deno, Bun, workerd and in browsers
 * await encrypt('hi', keys, { backend: defaultBackend });
 * ```
 */
export interface CryptoBackend {
  /** Which implementation this is, so tests can assert what a runtime loaded. */
  readonly name: 'node' | 'webcrypto';
  /** Cryptographically secure random bytes. */
  randomBytes(length: number): Uint8Array;
  /** A new P-256 key pair. */
  generateKeyPair(): Promise<RawKeyPair>;
  /** True when `publicKey` is a 65-byte uncompressed point on P-256. */
  isValidPublicKey(publicKey: Uint8Array): Promise<boolean>;
  /** Generates a key pair and agrees a secret with `peerPublicKey` (RFC 8291 §3.1, sender side). */
  ephemeralAgreement(peerPublicKey: Uint8Array): Promise<EphemeralAgreement>;
  /**
   * Optional: {@link CryptoBackend.ephemeralAgreement} and the whole aes128gcm key schedule in
   * one step, for a backend that does it cheaper than five {@link CryptoBackend.hmacSha256}
   * calls (the Node backend, in C or on its threads). `encrypt` uses it when present.
   */
  aes128gcmKeys?(peerPublicKey: Uint8Array, authSecret: Uint8Array, salt: Uint8Array): Promise<Aes128gcmKeys>;
  /** Imports a key pair for {@link CryptoBackend.agree}. */
  importEcdhPrivateKey(keyPair: RawKeyPair): Promise<EcdhPrivateKey>;
  /** ECDH between a stored private key and a peer's public key: the 32-byte shared secret. */
  agree(privateKey: EcdhPrivateKey, peerPublicKey: Uint8Array): Promise<Uint8Array>;
  /** HMAC-SHA-256, the building block of HKDF (RFC 5869). */
  hmacSha256(key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
  /** AES-128-GCM encryption with a 96-bit nonce: ciphertext followed by the 16-byte tag. */
  aes128GcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array): Promise<Uint8Array>;
  /** AES-128-GCM decryption; throws `ERR_DECRYPT_FAILED` when the tag does not match. */
  aes128GcmOpen(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array): Promise<Uint8Array>;
  /** Imports a key pair for {@link CryptoBackend.sign}. */
  importSigningKey(keyPair: RawKeyPair): Promise<SigningKey>;
  /** ES256 (ECDSA P-256 SHA-256) signature in JOSE form: 64 bytes, r || s. */
  sign(key: SigningKey, data: Uint8Array): Promise<Uint8Array>;
  /** Imports a public key for {@link CryptoBackend.verify}. */
  importVerifyingKey(publicKey: Uint8Array): Promise<VerifyingKey>;
  /** Verifies a 64-byte r || s ES256 signature. */
  verify(key: VerifyingKey, data: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /**
   * The public key (65-byte uncompressed point) of a 32-byte private scalar. Throws
   * `ERR_INVALID_KEY` unless 0 < scalar < n. VAPID needs it to check that a configured key pair
   * belongs together and to complete PEM keys that omit the optional public key (RFC 5915 §3).
   */
  derivePublicKey(privateKey: Uint8Array): Promise<Uint8Array>;
}

/**
 * The part of a backend the key derivations need (`hkdf.ts`, `rfc8291.ts`), so code that has
 * only an HMAC, such as a worker thread's, can run them.
 *
 * @example
 * ```ts
 * const hmacOnly: HmacBackend = { hmacSha256: defaultBackend.hmacSha256 };
 * ```
 */
export type HmacBackend = Pick<CryptoBackend, 'hmacSha256'>;
