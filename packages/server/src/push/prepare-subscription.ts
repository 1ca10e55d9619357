import { decodeBase64Url, encodeBase64Url } from '@herald/webpush';
import { ServerError } from '../errors.js';
import type { ContentEncoding, SubscriptionInput } from '../storage/storage.js';
import type { VapidKeyRing } from '../vapid-key-ring.js';
import type { EndpointPolicy } from './endpoint-policy.js';
import { checkSubscriptionKeys } from './subscription-keys.js';

/** A subscription as a browser or an import file gives it. */
export interface SubscriptionSubmission {
  endpoint: string;
  p256dh: string;
  auth: string;
  /** The VAPID public key the browser subscribed with (base64url); the active key when absent. */
  applicationServerKey?: string | undefined;
  contentEncoding?: ContentEncoding | undefined;
  topics?: string[] | undefined;
  userId?: string | null | undefined;
}

/** Canonical unpadded base64url, so the same key always compares equal. */
function canonical(value: string, field: string): string {
  try {
    return encodeBase64Url(decodeBase64Url(value));
  } catch (cause) {
    throw new ServerError('ERR_INVALID_REQUEST', `${field} must be base64url`, { cause });
  }
}

/**
 * Checks a submitted subscription against the endpoint policy, its keys and the VAPID keys the
 * server holds, and turns it into what storage takes. Nothing is written here: a refusal
 * changes nothing.
 *
 * @example
 * ```ts
 * const input = await prepareSubscription(submission, endpoints, keys);
 * await storage.upsertSubscription(input);
 * ```
 */
export async function prepareSubscription(
  submission: SubscriptionSubmission,
  endpoints: EndpointPolicy,
  keys: VapidKeyRing,
): Promise<SubscriptionInput> {
  const { origin } = endpoints.check(submission.endpoint);
  await checkSubscriptionKeys(submission);
  let vapidKeyId: string;
  if (submission.applicationServerKey !== undefined) {
    const publicKey = canonical(submission.applicationServerKey, 'applicationServerKey');
    const key = await keys.byPublicKey(publicKey);
    if (!key) {
      throw new ServerError(
        'ERR_UNKNOWN_VAPID_KEY',
        'applicationServerKey is not a VAPID key this server holds; subscribe with the key from ' +
          'GET /api/v1/vapid-public-key (or import the old key pair first)',
      );
    }
    vapidKeyId = key.id;
  } else {
    vapidKeyId = (await keys.active()).id;
  }
  const topics = submission.topics === undefined ? undefined : [...new Set(submission.topics)];
  return {
    endpoint: submission.endpoint,
    p256dh: canonical(submission.p256dh, 'p256dh'),
    auth: canonical(submission.auth, 'auth'),
    contentEncoding: submission.contentEncoding ?? 'aes128gcm',
    vapidKeyId,
    pushServiceOrigin: origin,
    ...(topics === undefined ? {} : { topics }),
    ...(submission.userId === undefined ? {} : { userId: submission.userId }),
  };
}
