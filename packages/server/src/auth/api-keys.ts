import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { encodeBase64Url } from '@herald/webpush';
import { newId } from '../ids.js';
import type { ApiKeyRecord, Storage } from '../storage/storage.js';

/**
 * Admin API keys look like `hk_<id>_<secret>`: the id finds the stored record, the 256-bit secret
 * proves the caller. Only a SHA-256 of the whole key is stored (a random 256-bit secret needs no
 * slow password hash), and the comparison is constant-time so timing reveals nothing.
 */
const keyPattern = /^hk_(key_[0-9A-Z]{26})_([A-Za-z0-9_-]{43})$/;

/**
 * Hex SHA-256 of a key string: what is stored instead of the key.
 *
 * @example
 * ```ts
 * hashApiKey('hk_key_..._...'); // 64 hex characters
 * ```
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Creates and stores a new API key; the returned `key` is shown once and never stored.
 *
 * @example
 * ```ts
 * const { key, record } = await createApiKey(storage, 'deploy script');
 * ```
 */
export async function createApiKey(
  storage: Storage,
  name: string,
  id: string = newId('key'),
): Promise<{ key: string; record: ApiKeyRecord }> {
  const key = `hk_${id}_${encodeBase64Url(randomBytes(32))}`;
  const record = await storage.createApiKey({ id, name, hash: hashApiKey(key) });
  return { key, record };
}

/**
 * Checks a presented key against the stored ones (and the configured `HERALD_API_KEY`, if any).
 * Returns the id of the key that matched (`env` for the configured key), or `undefined`.
 *
 * @example
 * ```ts
 * const who = await verifyApiKey(storage, presented, process.env.HERALD_API_KEY);
 * ```
 */
export async function verifyApiKey(
  storage: Storage,
  presented: string,
  configuredKey: string | undefined,
): Promise<string | undefined> {
  const hash = hashApiKey(presented);
  if (configuredKey !== undefined && sameHash(hash, hashApiKey(configuredKey))) return 'env';
  const match = keyPattern.exec(presented);
  if (!match) return undefined;
  const record = await storage.getApiKey(match[1]!);
  if (!record || record.revokedAt !== null || !sameHash(hash, record.hash)) return undefined;
  return record.id;
}
