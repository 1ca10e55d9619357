import { ServerError } from '../errors.js';

/** A notification action button as the API takes it. */
export interface NotificationAction {
  action: string;
  title: string;
  icon?: string;
  /** Where a click on this button goes; defaults to the notification's `url`. */
  url?: string;
}

/** A notification as `POST /api/v1/messages` takes it. */
export interface NotificationInput {
  title: string;
  body?: string;
  icon?: string;
  image?: string;
  badge?: string;
  /** Where a click goes: absolute, or relative to the site URL (default: the site URL). */
  url?: string;
  tag?: string;
  renotify?: boolean;
  requireInteraction?: boolean;
  silent?: boolean;
  lang?: string;
  dir?: 'auto' | 'ltr' | 'rtl';
  actions?: NotificationAction[];
  data?: unknown;
}

/**
 * The largest payload (UTF-8 bytes of the JSON) Herald sends. RFC 8291 §4 with one 4096-byte
 * aes128gcm record leaves 3993 bytes of plaintext, but Firefox for Android and the FCM bridge
 * refuse much less in practice (field notes: ~2.8-3 KB is safe everywhere), so the API refuses
 * any notification above this when the message is created, not per subscriber later.
 *
 * @example
 * ```ts
 * Buffer.byteLength(buildPayload(notification, siteUrl)) + payloadReserveBytes <= maxPayloadBytes; // always
 * ```
 */
export const maxPayloadBytes = 3000;

/**
 * Bytes kept free for what the worker adds per message or per delivery (the message id now,
 * receipt token), so a notification accepted by the API always fits when sent.
 *
 * @example
 * ```ts
 * payloadReserveBytes; // 200
 * ```
 */
export const payloadReserveBytes = 200;

function absolute(url: string, base: string, field: string): string {
  try {
    return new URL(url, base).href;
  } catch (cause) {
    throw new ServerError('ERR_INVALID_REQUEST', `${field} must be a URL, got ${JSON.stringify(url)}`, {
      cause,
    });
  }
}

/**
 * Builds the push payload: Declarative Web Push JSON (`web_push: 8030`, a `notification` with the
 * required absolute `navigate`, actions with their own `navigate`), which Safari 18.4+ can show
 * without a service worker, with `mutable: true` so a service worker (@herald/sw) still receives
 * the `push` event and can run its hooks and receipts. Throws `ERR_PAYLOAD_TOO_LARGE` with the
 * size when it would not fit one push message.
 *
 * @example
 * ```ts
 * buildPayload({ title: 'Hi', url: '/news/1' }, 'https://example.com/');
 * // '{"web_push":8030,"notification":{"title":"Hi","navigate":"https://example.com/news/1"},"mutable":true}'
 * ```
 */
export function buildPayload(notification: NotificationInput, siteUrl: string): string {
  const navigate = absolute(notification.url ?? siteUrl, siteUrl, 'notification.url');
  const shown: Record<string, unknown> = { title: notification.title, navigate };
  for (const field of [
    'body',
    'lang',
    'dir',
    'tag',
    'renotify',
    'requireInteraction',
    'silent',
    'data',
  ] as const) {
    if (notification[field] !== undefined) shown[field] = notification[field];
  }
  for (const field of ['icon', 'image', 'badge'] as const) {
    const value = notification[field];
    if (value !== undefined) shown[field] = absolute(value, siteUrl, `notification.${field}`);
  }
  if (notification.actions) {
    shown.actions = notification.actions.map((action, index) => ({
      action: action.action,
      title: action.title,
      navigate: absolute(action.url ?? navigate, siteUrl, `notification.actions[${index}].url`),
      ...(action.icon === undefined
        ? {}
        : { icon: absolute(action.icon, siteUrl, `notification.actions[${index}].icon`) }),
    }));
  }
  const payload = JSON.stringify({ web_push: 8030, notification: shown, mutable: true });
  const size = Buffer.byteLength(payload) + payloadReserveBytes;
  if (size > maxPayloadBytes) {
    throw new ServerError(
      'ERR_PAYLOAD_TOO_LARGE',
      `the notification makes a ${size}-byte push payload (including ${payloadReserveBytes} bytes Herald ` +
        `reserves); at most ${maxPayloadBytes} bytes fit in one push message on every push service`,
    );
  }
  return payload;
}

/**
 * Adds the per-delivery `herald` member (docs/payload.md) to a stored payload: the message and
 * subscription ids and the receipt token. Ids and tokens are base64url/Crockford characters, so
 * they are spliced in without re-serialising the notification for every subscriber.
 *
 * @example
 * ```ts
 * withDelivery(message.payload, message.id, subscription.id, receipts.sign(message.id, subscription.id));
 * ```
 */
export function withDelivery(
  payload: string,
  messageId: string,
  subscriptionId: string,
  receipt: string,
): string {
  return `${payload.slice(0, -1)},"herald":{"message":"${messageId}","subscription":"${subscriptionId}","receipt":"${receipt}"}}`;
}
