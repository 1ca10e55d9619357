/**
 * Reading Herald's push payload: Declarative Web Push JSON (see docs/payload.md) turned into
 * what `showNotification` takes. Anything else still yields a notification, because browsers
 * punish pushes that show nothing (Chrome shows its own "site updated in the background" and
 * Safari revokes the permission after a few).
 */

/** A notification action with the URL it opens. */
export interface HeraldAction {
  action: string;
  title: string;
  /** Absolute URL the action opens; absent: the notification's own URL. */
  navigate?: string;
  icon?: string;
}

/** The `herald` member of a payload: which delivery this is, and its receipt token. */
export interface HeraldDelivery {
  message: string;
  subscription: string;
  receipt: string;
}

/**
 * `NotificationOptions` with the members TypeScript's WebWorker library leaves out but
 * Chromium and Firefox implement (`actions`, `image`, `renotify`, `timestamp`).
 */
export interface HeraldNotificationOptions extends NotificationOptions {
  actions?: { action: string; title: string; icon?: string }[];
  image?: string;
  renotify?: boolean;
  timestamp?: number;
}

/** The data every Herald notification carries, read back on click and close. */
export interface HeraldNotificationData {
  /** The URL a click on the notification's body opens. */
  url: string;
  /** The URL of each action, by action name. */
  actions: Record<string, string>;
  herald?: HeraldDelivery;
  /** The site's own `notification.data`. */
  data?: unknown;
}

/** A notification ready for `registration.showNotification(title, options)`. */
export interface HeraldNotification {
  title: string;
  options: HeraldNotificationOptions & { data: HeraldNotificationData };
}

/** A push as the `onPush` hook sees it. */
export interface HeraldPush {
  /** The parsed JSON payload, or `undefined` when the payload was empty or not JSON. */
  json: unknown;
  /** The payload as text, or `undefined` when the push had no payload. */
  text: string | undefined;
  /** What Herald will show unless the hook returns something else. */
  notification: HeraldNotification;
  /** Present for a well-formed Herald payload: the delivery its receipts report on. */
  delivery: HeraldDelivery | undefined;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;
const bool = (value: unknown): boolean | undefined => (typeof value === 'boolean' ? value : undefined);

// Only web URLs: a `javascript:` or `data:` URL from a payload must never reach openWindow.
function absolute(url: unknown, base: string): string | undefined {
  try {
    const parsed = new URL(url as string, base);
    return typeof url === 'string' && /^https?:$/.test(parsed.protocol) ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

function readDelivery(value: unknown): HeraldDelivery | undefined {
  if (!isObject(value)) return undefined;
  const message = str(value.message);
  const subscription = str(value.subscription);
  const receipt = str(value.receipt);
  return message && subscription && receipt ? { message, subscription, receipt } : undefined;
}

/**
 * Turns a push payload into the notification to show.
 *
 * @param text - the payload as text (`event.data?.text()`), `undefined` for an empty push.
 * @param site - the site's URL (the worker's scope): the default target and fallback title.
 * @example
 * ```ts
 * const push = parsePush('{"web_push":8030,"notification":{"title":"Hi","navigate":"https://a.example/"}}',
 *   'https://a.example/');
 * push.notification.title; // 'Hi'
 * ```
 */
export function parsePush(text: string | undefined, site: string): HeraldPush {
  let json: unknown;
  try {
    json = text === undefined ? undefined : JSON.parse(text);
  } catch {
    json = undefined;
  }
  // A bare `{ title, body }` (what many older senders push) is read like `notification`.
  const n = isObject(json) ? (isObject(json.notification) ? json.notification : json) : undefined;
  const title = n && str(n.title);
  if (!n || !title) return { json, text, notification: fallback(text, json, site), delivery: undefined };

  const url = absolute(n.navigate, site) ?? site;
  const actionUrls: Record<string, string> = {};
  const actions: HeraldNotificationOptions['actions'] = [];
  for (const entry of Array.isArray(n.actions) ? n.actions : []) {
    const action = isObject(entry) && str(entry.action);
    const label = isObject(entry) && str(entry.title);
    if (!action || !label) continue;
    actionUrls[action] = absolute(entry.navigate, site) ?? url;
    actions.push({ action, title: label, ...(str(entry.icon) ? { icon: String(entry.icon) } : {}) });
  }
  const delivery = readDelivery((json as Record<string, unknown>).herald);
  const options: HeraldNotification['options'] = {
    data: { url, actions: actionUrls, ...(delivery ? { herald: delivery } : {}), data: n.data },
  };
  for (const key of ['body', 'icon', 'image', 'badge', 'tag', 'lang', 'dir'] as const) {
    const value = str(n[key]);
    if (value) Object.assign(options, { [key]: value });
  }
  for (const key of ['renotify', 'requireInteraction', 'silent'] as const) {
    const value = bool(n[key]);
    if (value !== undefined) options[key] = value;
  }
  // The Notifications API refuses `renotify: true` without a tag: drop it rather than fail.
  if (options.renotify && !options.tag) delete options.renotify;
  if (typeof n.timestamp === 'number' && Number.isFinite(n.timestamp)) options.timestamp = n.timestamp;
  if (actions.length) options.actions = actions;
  return { json, text, notification: { title, options }, delivery };
}

function fallback(text: string | undefined, json: unknown, site: string): HeraldNotification {
  // A short plain-text payload (e.g. from a test tool) is worth showing; JSON (even broken) or
  // binary is not.
  const plain =
    text !== undefined &&
    json === undefined &&
    text.length <= 200 &&
    !/^\s*[[{]/.test(text) &&
    ![...text].some((c) => c < '\t' || c === '\uFFFD');
  return {
    title: new URL(site).host,
    options: {
      body: plain && text.trim() ? text : 'You have a new notification.',
      data: { url: site, actions: {} },
    },
  };
}
