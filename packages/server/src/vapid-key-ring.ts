import { defaultBackend, encodeBase64Url } from '@herald/webpush';
import { ServerError } from './errors.js';
import type { Storage, VapidKeyRecord } from './storage/storage.js';

/** How long the active key is cached: another process may rotate it (PostgreSQL). */
const activeTtlMs = 5_000;

/**
 * The VAPID key pairs the server holds, cached in memory. Key pairs never change once stored, so
 * lookups by id or public key are cached for good; the active key is re-read every few seconds
 * so a rotation by another process is seen promptly, and at once after a rotation here.
 *
 * @example
 * ```ts
 * const ring = new VapidKeyRing(storage);
 * await ring.bootstrap();
 * const { publicKey } = await ring.active();
 * ```
 */
export class VapidKeyRing {
  readonly #storage: Storage;
  readonly #byId = new Map<string, VapidKeyRecord>();
  readonly #byPublicKey = new Map<string, VapidKeyRecord>();
  #active: { key: VapidKeyRecord; until: number } | undefined;

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  #remember(key: VapidKeyRecord): VapidKeyRecord {
    this.#byId.set(key.id, key);
    this.#byPublicKey.set(key.publicKey, key);
    return key;
  }

  /**
   * Makes sure an active key exists: the configured pair if given (imported and activated when
   * new), else a freshly generated one unless the database holds one already (first start;
   * concurrent starts agree on one key). Returns the active key and whether this call made it.
   */
  async bootstrap(configured?: {
    publicKey: string;
    privateKey: string;
  }): Promise<{ key: VapidKeyRecord; generated: boolean }> {
    if (configured) {
      const held = await this.#storage.getVapidKeyByPublicKey(configured.publicKey);
      const key =
        held?.active && held.privateKey === configured.privateKey
          ? held
          : await this.#storage.addVapidKey(configured, true);
      this.#active = { key: this.#remember(key), until: Date.now() + activeTtlMs };
      return { key, generated: false };
    }
    const existing = await this.#storage.getActiveVapidKey();
    if (existing) {
      this.#active = { key: this.#remember(existing), until: Date.now() + activeTtlMs };
      return { key: existing, generated: false };
    }
    const candidate = await generateVapidKeyPair();
    const key = await this.#storage.ensureActiveVapidKey(candidate);
    this.#active = { key: this.#remember(key), until: Date.now() + activeTtlMs };
    return { key, generated: key.publicKey === candidate.publicKey };
  }

  /** The key new subscriptions use. */
  async active(): Promise<VapidKeyRecord> {
    if (this.#active && this.#active.until > Date.now()) return this.#active.key;
    const key = await this.#storage.getActiveVapidKey();
    if (!key)
      throw new ServerError('ERR_STORAGE', 'no active VAPID key; the server must bootstrap one at start');
    this.#active = { key: this.#remember(key), until: Date.now() + activeTtlMs };
    return key;
  }

  async byId(id: string): Promise<VapidKeyRecord | undefined> {
    const cached = this.#byId.get(id);
    if (cached) return cached;
    const key = await this.#storage.getVapidKey(id);
    return key ? this.#remember(key) : undefined;
  }

  async byPublicKey(publicKey: string): Promise<VapidKeyRecord | undefined> {
    const cached = this.#byPublicKey.get(publicKey);
    if (cached) return cached;
    const key = await this.#storage.getVapidKeyByPublicKey(publicKey);
    return key ? this.#remember(key) : undefined;
  }

  /** Generates a new key pair and makes it active; existing subscriptions keep their keys. */
  async rotate(): Promise<VapidKeyRecord> {
    return this.add(await generateVapidKeyPair(), true);
  }

  /** Adds (imports) a key pair, optionally making it active. */
  async add(pair: { publicKey: string; privateKey: string }, activate: boolean): Promise<VapidKeyRecord> {
    const key = this.#remember(await this.#storage.addVapidKey(pair, activate));
    if (activate) this.#active = { key, until: Date.now() + activeTtlMs };
    else if (this.#active?.key.id === key.id) this.#active = undefined;
    return key;
  }
}

/**
 * A new P-256 key pair as base64url strings (65-byte public point, 32-byte private scalar), the
 * form browsers take as `applicationServerKey` (RFC 8292 §3.2).
 *
 * @example
 * ```ts
 * const { publicKey, privateKey } = await generateVapidKeyPair();
 * ```
 */
export async function generateVapidKeyPair(): Promise<{ publicKey: string; privateKey: string }> {
  const pair = await defaultBackend.generateKeyPair();
  return { publicKey: encodeBase64Url(pair.publicKey), privateKey: encodeBase64Url(pair.privateKey) };
}
