import { buildPushRequest, type PushRequest, type Urgency } from '@herald/webpush';

/** What every push of one chunk shares: the message and the VAPID key the subscriptions were made with. */
export interface BuildContext {
  payload: string;
  /** RFC 8030 §5.2: seconds the push service keeps the message (the TTL that remains). */
  ttl: number;
  urgency: Urgency;
  topic: string | null;
  /** The VAPID details (RFC 8292 §2.1 `sub`, the key pair the subscriptions were made with). */
  vapid: { subject: string; publicKey: string; privateKey: string };
  /** Accept `http:` endpoints (hosts the endpoint policy allows explicitly). */
  allowHttp: boolean;
}

/** One subscription to build a push request for. */
export interface BuildItem {
  endpoint: string;
  p256dh: string;
  auth: string;
  contentEncoding: 'aes128gcm' | 'aesgcm';
}

/** A built request, or why it could not be built (bad key material, payload too large). */
export type BuildResult = { request: PushRequest } | { error: { code: string; message: string } };

/**
 * Encrypts (RFC 8291) and signs (RFC 8292) the push requests of one chunk. The VAPID signer
 * behind `buildPushRequest` caches one JWT per audience, so a chunk costs one ECDH per push and
 * nearly nothing else. Runs on a worker thread (see `crypto-pool.ts`) or inline.
 *
 * @example
 * ```ts
 * const results = await buildRequests(context, [{ endpoint, p256dh, auth, contentEncoding: 'aes128gcm' }]);
 * ```
 */
export async function buildRequests(context: BuildContext, items: BuildItem[]): Promise<BuildResult[]> {
  return Promise.all(
    items.map(async (item): Promise<BuildResult> => {
      try {
        const request = await buildPushRequest(
          { endpoint: item.endpoint, keys: { p256dh: item.p256dh, auth: item.auth } },
          context.payload,
          {
            ttl: context.ttl,
            urgency: context.urgency,
            ...(context.topic === null ? {} : { topic: context.topic }),
            contentEncoding: item.contentEncoding,
            vapid: context.vapid,
            allowHttp: context.allowHttp,
          },
        );
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
