import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from '@herald/webpush';
import type { Storage } from '../storage/storage.js';

const settingKey = 'receipt_secret';

/**
 * Per-delivery receipt tokens (docs/payload.md): `base64url(HMAC-SHA-256(secret,
 * "herald-receipt\0" + message + "\0" + subscription))`, first 16 bytes. The token travels only
 * inside the encrypted payload, so only the browser that decrypted the message can report
 * receipts for that delivery. The secret is generated once and kept in the settings table.
 *
 * @example
 * ```ts
 * const receipts = await ReceiptTokens.load(storage);
 * const token = receipts.sign(messageId, subscriptionId);
 * receipts.verify(messageId, subscriptionId, token); // true
 * ```
 */
export class ReceiptTokens {
  readonly #secret: Buffer;

  private constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /** Loads the secret, generating it on first use (the first process to store it wins). */
  static async load(storage: Storage): Promise<ReceiptTokens> {
    const secret = await storage.setSettingIfAbsent(settingKey, encodeBase64Url(randomBytes(32)));
    return new ReceiptTokens(Buffer.from(decodeBase64Url(secret)));
  }

  #mac(messageId: string, subscriptionId: string): Buffer {
    return createHmac('sha256', this.#secret)
      .update(`herald-receipt\0${messageId}\0${subscriptionId}`)
      .digest()
      .subarray(0, 16);
  }

  sign(messageId: string, subscriptionId: string): string {
    return encodeBase64Url(this.#mac(messageId, subscriptionId));
  }

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
