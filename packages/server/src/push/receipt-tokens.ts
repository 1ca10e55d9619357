import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from '@herald/webpush';
import type { Storage } from '../storage/storage.js';

/**
 * Per-delivery receipt tokens (docs/payload.md): `base64url(HMAC-SHA-256(secret,
 * "herald-receipt\0" + message + "\0" + subscription))`, first 16 bytes. The token travels only
 * inside the encrypted push payload (RFC 8291), so only the browser that received the message can
 * report `delivered`, `clicked` or `closed` for it: receipts cannot be forged for messages or
 * subscriptions the caller does not hold. 128 bits are plenty against guessing through a
 * rate-limited route, and keep the payload small.
 */
const settingKey = 'receipt_token_secret';
const tokenBytes = 16;

/** Signs and checks receipt tokens with the server's secret. */
export class ReceiptTokens {
  readonly #secret: Buffer;

  private constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /**
   * Loads the secret, generating it on first use (the first process to store it wins).
   *
   * @example
   * ```ts
   * const tokens = await ReceiptTokens.load(storage);
   * tokens.sign('msg_1', 'sub_1');
   * ```
   */
  static async load(storage: Storage): Promise<ReceiptTokens> {
    const secret = await storage.setSettingIfAbsent(settingKey, encodeBase64Url(randomBytes(32)));
    return new ReceiptTokens(Buffer.from(decodeBase64Url(secret)));
  }

  #mac(messageId: string, subscriptionId: string): Buffer {
    return createHmac('sha256', this.#secret)
      .update(`herald-receipt\0${messageId}\0${subscriptionId}`)
      .digest()
      .subarray(0, tokenBytes);
  }

  /** The token of one delivery. */
  sign(messageId: string, subscriptionId: string): string {
    return encodeBase64Url(this.#mac(messageId, subscriptionId));
  }

  /** Whether `token` is the token of this delivery (constant-time comparison). */
  verify(messageId: string, subscriptionId: string, token: string): boolean {
    let presented: Uint8Array;
    try {
      presented = decodeBase64Url(token);
    } catch {
      return false;
    }
    const expected = this.#mac(messageId, subscriptionId);
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  }
}
