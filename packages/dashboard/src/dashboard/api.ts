/** The admin API as the dashboard calls it, with the API key kept for the browser session. */

const storageKey = 'herald-api-key';

/** An error answer of the Herald API (`{ error: { code, message } }`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const apiKey = {
  get: () => sessionStorage.getItem(storageKey),
  set: (key: string) => sessionStorage.setItem(storageKey, key),
  clear: () => sessionStorage.removeItem(storageKey),
};

/**
 * Calls `/api/v1<path>` with the session's API key.
 *
 * @example
 * ```ts
 * const { items } = await api<{ items: Message[] }>('/messages');
 * ```
 */
export async function api<T>(path: string, options: { method?: string; body?: unknown; key?: string } = {}) {
  const key = options.key ?? apiKey.get() ?? '';
  const response = await fetch(`/api/v1${path}`, {
    method: options.method ?? 'GET',
    headers: {
      authorization: `Bearer ${key}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  if (!response.ok) {
    const detail = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    throw new ApiError(
      response.status,
      detail.error?.code ?? 'ERR_HTTP',
      detail.error?.message ?? `the server answered ${response.status}`,
    );
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}

/** The shapes the admin API answers (see the server's OpenAPI document at /docs). */
export interface MessageCounts {
  targeted: number;
  sent: number;
  failed: number;
  gone: number;
  pending: number;
  delivered: number;
  clicked: number;
  closed?: number;
}

export interface Message {
  id: string;
  status: 'queued' | 'scheduled' | 'sending' | 'completed' | 'cancelled';
  to: { all?: true; topics?: string[]; userIds?: string[]; subscriptionIds?: string[] };
  notification: { title: string; body?: string; url?: string; icon?: string };
  ttl: number;
  urgency: string;
  sendAt: string;
  counts: MessageCounts;
  lastError: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface Subscription {
  id: string;
  endpoint: string;
  pushService: string;
  topics: string[];
  userId: string | null;
  vapidKeyId: string;
  createdAt: string;
}

export interface Stats {
  subscriptions: {
    total: number;
    byPushService: { pushService: string; count: number }[];
    byDay: SubscriberDay[];
  };
}

/** One UTC day of the subscriber history: created, removed, and held at the end of the day. */
export interface SubscriberDay {
  day: string;
  added: number;
  removed: number;
  total: number;
}
