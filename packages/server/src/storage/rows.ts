import type {
  ApiKeyRecord,
  ContentEncoding,
  DeliveryRecord,
  FanoutChunk,
  MessageRecord,
  MessageStatus,
  MessageTarget,
  PushTarget,
  SubscriptionRecord,
  Urgency,
  VapidKeyRecord,
} from './storage.js';

// Row shapes as both drivers return them: PostgreSQL BIGINTs are parsed to numbers by the pool's
// type parser, SQLite booleans arrive as 0/1, hence `Boolean(...)`.
type Row = Record<string, unknown>;

const num = (value: unknown): number => Number(value);
const numOrNull = (value: unknown): number | null =>
  value === null || value === undefined ? null : Number(value);
const strOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : String(value);

/** Maps a `subscriptions` row and its topics. */
export function toSubscription(row: Row, topics: string[]): SubscriptionRecord {
  return {
    ...toPushTarget(row),
    topics: [...topics].sort(),
    userId: strOrNull(row.user_id),
    configError: strOrNull(row.config_error),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
  };
}

/** Maps the columns of a `subscriptions` row that a push needs. */
export function toPushTarget(row: Row): PushTarget {
  return {
    id: String(row.id),
    endpoint: String(row.endpoint),
    p256dh: String(row.p256dh),
    auth: String(row.auth),
    contentEncoding: row.content_encoding as ContentEncoding,
    vapidKeyId: String(row.vapid_key_id),
    pushServiceOrigin: String(row.push_service_origin),
    revision: num(row.revision),
  };
}

/** The columns {@link toPushTarget} reads. */
export const pushTargetColumns =
  'id, endpoint, p256dh, auth, content_encoding, vapid_key_id, push_service_origin, revision';

/** Maps a `fanout_chunks` row. */
export function toFanoutChunk(row: Row): FanoutChunk {
  return {
    messageId: String(row.message_id),
    after: strOrNull(row.after_id),
    upto: String(row.upto_id),
    size: num(row.size),
  };
}

/** Maps a `vapid_keys` row. */
export function toVapidKey(row: Row): VapidKeyRecord {
  return {
    id: String(row.id),
    publicKey: String(row.public_key),
    privateKey: String(row.private_key),
    active: Boolean(row.active),
    createdAt: num(row.created_at),
  };
}

/** Maps an `api_keys` row. */
export function toApiKey(row: Row): ApiKeyRecord {
  return {
    id: String(row.id),
    name: String(row.name),
    hash: String(row.hash),
    createdAt: num(row.created_at),
    lastUsedAt: numOrNull(row.last_used_at),
    revokedAt: numOrNull(row.revoked_at),
  };
}

/** The `messages` counter column of each receipt event (a closed set: safe to put in SQL text). */
export const receiptColumn = { delivered: 'delivered', clicked: 'clicked', closed: 'closed' } as const;

/** Maps a `messages` row. */
export function toMessage(row: Row): MessageRecord {
  return {
    id: String(row.id),
    status: row.status as MessageStatus,
    target: JSON.parse(String(row.target)) as MessageTarget,
    payload: String(row.payload),
    notification: JSON.parse(String(row.notification)) as Record<string, unknown>,
    ttl: num(row.ttl),
    urgency: row.urgency as Urgency,
    topic: strOrNull(row.topic),
    sendAt: num(row.send_at),
    idempotencyKey: strOrNull(row.idempotency_key),
    counts: {
      targeted: num(row.targeted),
      sent: num(row.sent),
      failed: num(row.failed),
      gone: num(row.gone),
      delivered: num(row.delivered),
      clicked: num(row.clicked),
      closed: num(row.closed),
    },
    lastError: strOrNull(row.last_error),
    cursor: strOrNull(row.fanout_cursor),
    fanoutDone: Boolean(row.fanout_done),
    createdAt: num(row.created_at),
    updatedAt: num(row.updated_at),
    completedAt: numOrNull(row.completed_at),
  };
}

/** Maps a `deliveries` row. */
export function toDelivery(row: Row): DeliveryRecord {
  return {
    messageId: String(row.message_id),
    subscriptionId: String(row.subscription_id),
    status: row.status as 'retry' | 'failed',
    attempts: num(row.attempts),
    nextAttemptAt: numOrNull(row.next_attempt_at),
    lastStatus: numOrNull(row.last_status),
    lastError: strOrNull(row.last_error),
  };
}

/** Sums a fan-out's outcomes into counter increments. */
export function tallyOutcomes(outcomes: { result: string }[]): {
  sent: number;
  failed: number;
  gone: number;
} {
  const tally = { sent: 0, failed: 0, gone: 0 };
  for (const outcome of outcomes) {
    if (outcome.result === 'sent') tally.sent++;
    else if (outcome.result === 'failed') tally.failed++;
    else if (outcome.result === 'gone') tally.gone++;
  }
  return tally;
}
