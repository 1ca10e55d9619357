import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { decodeBase64Url, encodeBase64Url } from '@herald/webpush';
import type { Storage } from '../storage/storage.js';

/**
 * Short-lived tokens that let a browser link its subscription to the site's user without the
 * admin key: the site's backend, which knows who is signed in, asks Herald for a token
 * (`POST /api/v1/link-tokens`, admin key) and hands it to the page; the page presents it with
 * proof that it holds the subscription. A token is `base64url(JSON {u, exp}) . base64url(HMAC)`,
 * signed with a secret generated once and kept in the database's settings.
 */
const settingKey = 'link_token_secret';

/**
 * Signs and checks link tokens with the server's secret.
 *
 * @example
 * ```ts
 * const tokens = await LinkTokens.load(storage);
 * tokens.verify(tokens.sign('user-42', 600).token); // 'user-42'
 * ```
 */
export class LinkTokens {
  readonly #secret: Buffer;

  private constructor(secret: Buffer) {
    this.#secret = secret;
  }

  /**
   * Loads the secret, generating it on first use (the first process to store it wins).
   *
   * @example
   * ```ts
   * const tokens = await LinkTokens.load(storage);
   * const token = tokens.sign('user-42', 600);
   * ```
   */
  static async load(storage: Storage): Promise<LinkTokens> {
    const secret = await storage.setSettingIfAbsent(settingKey, encodeBase64Url(randomBytes(32)));
    return new LinkTokens(Buffer.from(decodeBase64Url(secret)));
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#secret).update(body).digest();
  }

  /** A token for `userId`, valid for `ttlSeconds`. */
  sign(userId: string, ttlSeconds: number, now = Date.now()): { token: string; expiresAt: number } {
    const expiresAt = now + ttlSeconds * 1000;
    const body = encodeBase64Url(new TextEncoder().encode(JSON.stringify({ u: userId, exp: expiresAt })));
    return { token: `${body}.${encodeBase64Url(this.#mac(body))}`, expiresAt };
  }

  /** The user id a valid, unexpired token names, else `undefined`. */
  verify(token: string, now = Date.now()): string | undefined {
    const [body, mac, extra] = token.split('.');
    if (!body || !mac || extra !== undefined) return undefined;
    let presented: Uint8Array;
    let claims: { u?: unknown; exp?: unknown };
    try {
      presented = decodeBase64Url(mac);
      claims = JSON.parse(new TextDecoder().decode(decodeBase64Url(body)));
    } catch {
      return undefined;
    }
    const expected = this.#mac(body);
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return undefined;
    if (typeof claims.u !== 'string' || typeof claims.exp !== 'number' || claims.exp < now) return undefined;
    return claims.u;
  }
}
