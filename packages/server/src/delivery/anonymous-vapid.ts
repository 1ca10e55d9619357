import {
  decodeBase64Url,
  defaultBackend,
  encodeBase64Url,
  type SigningKey,
  vapidAudience,
} from '@herald/webpush';

/** JWT lifetime: 12 h, half of RFC 8292 §2's 24 h ceiling, leaving room for clock skew. */
const lifetimeSeconds = 12 * 60 * 60;

const encoder = new TextEncoder();
const part = (value: object) => encodeBase64Url(encoder.encode(JSON.stringify(value)));

/**
 * VAPID without a `sub` claim, for the time an operator has not set HERALD_VAPID_SUBJECT: RFC 8292
 * §2.1 makes `sub` a SHOULD, and FCM, Mozilla and WNS accept a JWT without it, so Herald keeps
 * sending to them (Apple does not, and gets ERR_VAPID_SUBJECT_REQUIRED instead). @herald/webpush's
 * `VapidSigner` insists on a subject, rightly for a library; this covers only that gap. One
 * JWT per (audience, key), refreshed at half-life.
 *
 * @example
 * ```ts
 * const signer = new AnonymousVapid();
 * const authorization = await signer.authorization(endpoint, keyPair); // 'vapid t=..., k=...'
 * ```
 */
export class AnonymousVapid {
  readonly #keys = new Map<string, Promise<SigningKey>>();
  readonly #tokens = new Map<string, { header: string; refreshAt: number }>();

  async authorization(endpoint: string, key: { publicKey: string; privateKey: string }): Promise<string> {
    const audience = vapidAudience(endpoint);
    const cacheKey = `${audience} ${key.publicKey}`;
    const now = Date.now();
    const cached = this.#tokens.get(cacheKey);
    if (cached && cached.refreshAt > now) return cached.header;
    let signingKey = this.#keys.get(key.publicKey);
    if (!signingKey) {
      signingKey = defaultBackend.importSigningKey({
        publicKey: decodeBase64Url(key.publicKey),
        privateKey: decodeBase64Url(key.privateKey),
      });
      this.#keys.set(key.publicKey, signingKey);
    }
    // RFC 7515 §5.1 compact serialisation; RFC 8292 §2: ES256, claims aud and exp.
    const signingInput = `${part({ typ: 'JWT', alg: 'ES256' })}.${part({
      aud: audience,
      exp: Math.floor(now / 1000) + lifetimeSeconds,
    })}`;
    const signature = await defaultBackend.sign(await signingKey, encoder.encode(signingInput));
    const header = `vapid t=${signingInput}.${encodeBase64Url(signature)}, k=${key.publicKey}`;
    this.#tokens.set(cacheKey, { header, refreshAt: now + (lifetimeSeconds * 1000) / 2 });
    return header;
  }
}
