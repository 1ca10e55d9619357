import { buildPushRequest, type PushRequest, type Urgency, VapidSigner } from '@herald/webpush';
import { AnonymousVapid } from './anonymous-vapid.js';

/** What every push of one group shares: the message's headers and the VAPID key. */
export interface BuildContext {
  /** RFC 8030 §5.2: seconds the push service keeps the message (the TTL that remains). */
  ttl: number;
  urgency: Urgency;
  topic: string | null;
  /** The key pair the subscriptions were made with, and the RFC 8292 §2.1 `sub` if configured. */
  vapid: { subject: string | undefined; publicKey: string; privateKey: string };
}

/** One push to build: the subscription and its payload (each carries its own receipt token). */
export interface BuildItem {
  endpoint: string;
  p256dh: string;
  auth: string;
  contentEncoding: 'aes128gcm' | 'aesgcm';
  payload: string;
}

/** A built request, or why it could not be built (bad key material, payload too large). */
export type BuildResult = { request: PushRequest } | { error: { code: string; message: string } };

// One signer per (subject, key) for the life of the thread: each caches one JWT per audience.
const signers = new Map<string, Promise<VapidSigner>>();
const anonymous = new AnonymousVapid();

function signer(subject: string, publicKey: string, privateKey: string): Promise<VapidSigner> {
  const key = `${subject} ${publicKey}`;
  let found = signers.get(key);
  if (!found) {
    found = VapidSigner.create({ subject, publicKey, privateKey });
    found.catch(() => signers.delete(key));
    signers.set(key, found);
  }
  return found;
}

/**
 * Encrypts (RFC 8291) and signs (RFC 8292) a group of push requests. The JWT is cached per
 * audience, so a push costs one ECDH and nearly nothing else. Without a configured subject the
 * JWT carries no `sub` (see `AnonymousVapid`). Runs on a worker thread (`crypto-pool.ts`) or
 * inline. Endpoints reach here only through the server's endpoint policy, which is why `http:`
 * (allowed hosts only) is let through.
 *
 * @example
 * ```ts
 * const [result] = await buildRequests(context, [{ endpoint, p256dh, auth, contentEncoding: 'aes128gcm', payload }]);
 * ```
 */
export async function buildRequests(context: BuildContext, items: BuildItem[]): Promise<BuildResult[]> {
  const { subject, publicKey, privateKey } = context.vapid;
  const vapid = subject === undefined ? undefined : await signer(subject, publicKey, privateKey);
  return Promise.all(
    items.map(async (item): Promise<BuildResult> => {
      try {
        const options = {
          ttl: context.ttl,
          urgency: context.urgency,
          ...(context.topic === null ? {} : { topic: context.topic }),
          contentEncoding: item.contentEncoding,
          allowHttp: true,
        };
        const subscription = { endpoint: item.endpoint, keys: { p256dh: item.p256dh, auth: item.auth } };
        const request = vapid
          ? await buildPushRequest(subscription, item.payload, { ...options, vapid })
          : await buildPushRequest(subscription, item.payload, {
              ...options,
              headers: {
                authorization: await anonymous.authorization(item.endpoint, { publicKey, privateKey }),
              },
            });
        return { request };
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        return {
          error: {
            code: typeof code === 'string' ? code : 'ERR_BUILD',
            message: error instanceof Error ? error.message : String(error),
          },
        };
      }
    }),
  );
}
