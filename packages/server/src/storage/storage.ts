/**
 * The one storage interface of the server. Two implementations pass the same test suite:
 * `SqliteStorage` (better-sqlite3, WAL, one process) and `PostgresStorage` (pg, any number of
 * processes). Everything above this file speaks these types and never SQL.
 *
 * Semantics every implementation keeps:
 * - Times are milliseconds since the Unix epoch (numbers), ids are strings from `newId`.
 * - Writes that belong together (a subscription and its topics, a fan-out batch and the message's
 *   counters) commit in one transaction: a crash leaves either all of it or none.
 * - Work is handed out with leases (`owner` + `leaseMs`): a claim succeeds only for work whose
 *   lease is free or expired, and a record call from an owner whose lease was taken over is
 *   refused (returns `false`), so a stalled worker never overwrites another's progress.
 */

import type { SubscriberDay } from './subscriber-history.js';

/** The content coding a subscription's browser expects (RFC 8291 `aes128gcm`, or legacy `aesgcm`). */
export type ContentEncoding = 'aes128gcm' | 'aesgcm';

/** A stored push subscription. */
export interface SubscriptionRecord {
  id: string;
  /** The push service URL, query string kept (WNS carries `?token=`). Unique. */
  endpoint: string;
  /** The browser's P-256 public key, base64url (65-byte uncompressed point). */
  p256dh: string;
  /** The browser's auth secret, base64url (16 bytes). Also the proof of possession. */
  auth: string;
  contentEncoding: ContentEncoding;
  /** The VAPID key the browser subscribed with; sends to it must be signed with that key. */
  vapidKeyId: string;
  /** The endpoint's origin, e.g. `https://fcm.googleapis.com`: groups sends per push service. */
  pushServiceOrigin: string;
  topics: string[];
  userId: string | null;
  /** Incremented by every update; pruning deletes only the revision it saw (race guard). */
  revision: number;
  /**
   * The last configuration problem a push service reported for this subscription (400, 401,
   * 403: e.g. FCM's 403 for a VAPID key that is not the one the browser subscribed with), or
   * `null`. Such a subscription is kept, not pruned: fixing the configuration heals it.
   */
  configError: string | null;
  createdAt: number;
  updatedAt: number;
}

/** What a subscription is created or updated from. */
export interface SubscriptionInput {
  endpoint: string;
  p256dh: string;
  auth: string;
  contentEncoding: ContentEncoding;
  vapidKeyId: string;
  pushServiceOrigin: string;
  /** Replaces the topics; `undefined` keeps the stored ones on update (none on create). */
  topics?: string[];
  /** Replaces the user link; `undefined` keeps the stored one on update. */
  userId?: string | null;
}

/** Filters and cursor of a subscription listing (keyset pagination in id order). */
export interface SubscriptionQuery {
  topic?: string;
  userId?: string;
  /** Return subscriptions with an id greater than this one. */
  after?: string;
  limit: number;
}

/** A VAPID key pair the server holds. */
export interface VapidKeyRecord {
  id: string;
  /** base64url, 65-byte uncompressed P-256 point. */
  publicKey: string;
  /** base64url, 32-byte private scalar. */
  privateKey: string;
  /** New subscriptions use the active key; exactly one is active once the server has started. */
  active: boolean;
  createdAt: number;
}

/** An admin API key; only a SHA-256 hash of its secret is stored. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  /** Hex SHA-256 of the whole key string. */
  hash: string;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Who a message goes to. Exactly one member is set. */
export type MessageTarget =
  | { subscriptionIds: string[] }
  | { userIds: string[] }
  | { topics: string[] }
  | { all: true };

/** RFC 8030 §5.3 urgency. */
export type Urgency = 'very-low' | 'low' | 'normal' | 'high';

/**
 * Stored lifecycle: `queued` (accepted; waits for `sendAt` and a worker) -> `sending` (a worker
 * walks its subscribers) -> `completed`; `cancelled` from `queued` or `sending`.
 */
export type MessageStatus = 'queued' | 'sending' | 'completed' | 'cancelled';

/** Aggregate outcome counters of one message. */
export interface MessageCounts {
  /** Subscriptions the message was addressed to (final once the fan-out has finished). */
  targeted: number;
  sent: number;
  failed: number;
  gone: number;
  /** Receipts from @herald/sw: each (subscription, event) counts once. */
  delivered: number;
  clicked: number;
  closed: number;
}

/** A stored message. */
export interface MessageRecord {
  id: string;
  status: MessageStatus;
  target: MessageTarget;
  /** The serialised push payload (Declarative Web Push JSON). */
  payload: string;
  /** The notification as the API received it, for listings and the dashboard. */
  notification: Record<string, unknown>;
  ttl: number;
  urgency: Urgency;
  topic: string | null;
  sendAt: number;
  idempotencyKey: string | null;
  counts: MessageCounts;
  /** Last configuration problem seen while sending (e.g. 403 from a push service), if any. */
  lastError: string | null;
  /** Fan-out progress: the last subscription id handed out in a chunk, in id order. */
  cursor: string | null;
  /** Every chunk has been handed out (chunks may still be sending). */
  fanoutDone: boolean;
  createdAt: number;
  updatedAt: number;
  completedAt: number | null;
}

/** A receipt whose token was verified, as the storage records it. */
export interface ReceiptInput {
  messageId: string;
  subscriptionId: string;
  event: 'delivered' | 'clicked' | 'closed';
}

/** Subscriber numbers for the dashboard. */
export interface SubscriptionStats {
  total: number;
  /** Subscriptions per push service origin, largest first. */
  byPushService: { pushService: string; count: number }[];
  /**
   * The history, oldest first, one entry per UTC day on which subscriptions were created or
   * removed: deleted and pruned subscriptions stay in it (`subscription_removals`, migration 4).
   */
  byDay: SubscriberDay[];
}

/** What a message is created from. */
export interface MessageInput {
  target: MessageTarget;
  payload: string;
  notification: Record<string, unknown>;
  ttl: number;
  urgency: Urgency;
  topic: string | null;
  sendAt: number;
  idempotencyKey: string | null;
}

/** A per-subscription delivery that needs a row: a retry waiting or a permanent failure. */
export interface DeliveryRecord {
  messageId: string;
  subscriptionId: string;
  status: 'retry' | 'failed';
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
}

/** A retry a worker claimed, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: DeliveryRecord;
  message: MessageRecord;
  /** `undefined` when the subscription was deleted meanwhile. */
  subscription: SubscriptionRecord | undefined;
}

/** The outcome of one push, as the worker records it. */
export type DeliveryOutcome =
  | { subscriptionId: string; result: 'sent' }
  | { subscriptionId: string; result: 'gone'; revision: number }
  | {
      subscriptionId: string;
      result: 'retry';
      attempts: number;
      nextAttemptAt: number;
      status: number | null;
      error: string;
    }
  | {
      subscriptionId: string;
      result: 'failed';
      attempts: number;
      status: number | null;
      error: string;
      /** Set for configuration problems worth showing on the message (400/401/403). */
      configError?: boolean;
    };

/** What a push needs of a subscription: the fan-out reads only these columns. */
export type PushTarget = Pick<
  SubscriptionRecord,
  'id' | 'endpoint' | 'p256dh' | 'auth' | 'contentEncoding' | 'vapidKeyId' | 'pushServiceOrigin' | 'revision'
>;

/**
 * A leased slice of a message's fan-out: the target's subscriptions with `after < id <= upto`
 * in keyset order. Claiming one moves the message's cursor past it; recording its outcomes
 * deletes it. A chunk whose lease runs out (its worker died) is claimed again and resent whole:
 * this is the at-least-once window, at most the chunks a worker had in flight.
 */
export interface FanoutChunk {
  messageId: string;
  /** Exclusive lower bound (`null`: from the first subscription). */
  after: string | null;
  /** Inclusive upper bound: the last subscription id of the chunk. */
  upto: string;
  /** How many subscriptions the range held when it was claimed. */
  size: number;
}

/** A claimed chunk with its message and the subscriptions to push to. */
export interface ClaimedChunk {
  message: MessageRecord;
  chunk: FanoutChunk;
  targets: PushTarget[];
}

/**
 * The storage interface.
 *
 * @example
 * ```ts
 * const storage = await openStorage({ dataDir: './data' });
 * const { id, created } = await storage.upsertSubscription(input);
 * await storage.close();
 * ```
 */
export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  close(): Promise<void>;

  /** Returns the value stored under `key`, if any. */
  getSetting(key: string): Promise<string | undefined>;
  /** Stores `value` unless `key` has one; returns the stored value (the first writer wins). */
  setSettingIfAbsent(key: string, value: string): Promise<string>;

  listVapidKeys(): Promise<VapidKeyRecord[]>;
  getVapidKey(id: string): Promise<VapidKeyRecord | undefined>;
  getVapidKeyByPublicKey(publicKey: string): Promise<VapidKeyRecord | undefined>;
  getActiveVapidKey(): Promise<VapidKeyRecord | undefined>;
  /**
   * Makes `key` the active key unless one is active already; returns the active key. Safe when
   * several processes call it at once: exactly one candidate wins.
   */
  ensureActiveVapidKey(key: { publicKey: string; privateKey: string }): Promise<VapidKeyRecord>;
  /**
   * Adds a key pair. With `activate`, it becomes the active key and the previous one stays for
   * the subscriptions made with it. A key already held (same public key) is returned as is,
   * activated if asked. Throws `ERR_CONFLICT` when the public key is held with another private key.
   */
  addVapidKey(key: { publicKey: string; privateKey: string }, activate: boolean): Promise<VapidKeyRecord>;

  createApiKey(key: { id: string; name: string; hash: string }): Promise<ApiKeyRecord>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  getApiKey(id: string): Promise<ApiKeyRecord | undefined>;
  /** Marks the key revoked; returns false when it does not exist or was revoked already. */
  revokeApiKey(id: string): Promise<boolean>;
  touchApiKey(id: string, at: number): Promise<void>;

  /**
   * Creates or updates (by endpoint) a subscription; the id stays the same on update. Answers
   * only the id: this is the hot path of registrations, and callers that want the record read it.
   */
  upsertSubscription(input: SubscriptionInput): Promise<{ id: string; created: boolean }>;
  /** Upserts many in one transaction; returns how many were created and updated. */
  upsertSubscriptions(inputs: SubscriptionInput[]): Promise<{ created: number; updated: number }>;
  getSubscription(id: string): Promise<SubscriptionRecord | undefined>;
  getSubscriptionByEndpoint(endpoint: string): Promise<SubscriptionRecord | undefined>;
  listSubscriptions(query: SubscriptionQuery): Promise<SubscriptionRecord[]>;
  countSubscriptions(): Promise<number>;
  /** Replaces the topics; returns the updated subscription, `undefined` if it does not exist. */
  setSubscriptionTopics(id: string, topics: string[]): Promise<SubscriptionRecord | undefined>;
  setSubscriptionUser(id: string, userId: string | null): Promise<SubscriptionRecord | undefined>;
  deleteSubscription(id: string): Promise<boolean>;

  /**
   * Creates a message. With an idempotency key already used, returns the existing message and
   * `created: false` instead.
   */
  createMessage(input: MessageInput): Promise<{ message: MessageRecord; created: boolean }>;
  getMessage(id: string): Promise<MessageRecord | undefined>;
  /** Newest first; `before` is the id of the last message of the previous page. */
  listMessages(query: { before?: string; limit: number }): Promise<MessageRecord[]>;
  /**
   * Cancels the message if its status is one of `from` (default `queued` or `sending`), in one
   * statement, so a worker claiming it at the same moment either sees it cancelled or makes the
   * cancel miss. Returns the message as it is afterwards (its status says whether the cancel
   * took), or `undefined` if it does not exist.
   */
  cancelMessage(id: string, from?: readonly ('queued' | 'sending')[]): Promise<MessageRecord | undefined>;

  /**
   * Claims a fan-out chunk for `owner`, leased until `now + leaseMs`: first a chunk whose lease
   * ran out (a worker died), else the next `limit` subscriptions of the earliest due message
   * (`sendAt <= now`, not cancelled), moving its cursor past them. The first claim of a message
   * marks it `sending` and sets `targeted`. A claim that finds the target exhausted marks the
   * fan-out done (completing the message when nothing else is pending). Any number of workers
   * may claim at once: each range is handed out to one of them (on PostgreSQL the message row
   * is locked for the claim, and lapsed chunks are taken with `FOR UPDATE SKIP LOCKED`).
   */
  claimChunk(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedChunk | undefined>;
  /**
   * Records a chunk's outcomes and deletes the chunk, in one transaction, completing the message
   * when its fan-out is done and nothing is pending. Returns false, recording nothing, when
   * `owner` no longer holds the chunk (its lease was taken over) or the message was cancelled.
   */
  recordChunk(chunk: FanoutChunk, owner: string, outcomes: DeliveryOutcome[], now: number): Promise<boolean>;
  /** Extends every chunk and retry lease `owner` holds to `now + leaseMs` (a worker's heartbeat). */
  renewLeases(owner: string, now: number, leaseMs: number): Promise<void>;
  /** Claims up to `limit` retries due at `now` (lease to `owner`), of messages not cancelled. */
  claimRetries(owner: string, now: number, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /**
   * Records retry outcomes; each is applied only if `owner` still holds that row's lease.
   * Completes messages whose fan-out is done and that have no retry left.
   */
  recordRetries(messageId: string, owner: string, outcomes: DeliveryOutcome[], now: number): Promise<void>;
  /** The failure and retry rows of a message (for diagnostics and the API). */
  listDeliveries(messageId: string, limit: number): Promise<DeliveryRecord[]>;
  /** Messages `queued` or `sending`, and retries waiting for `sending` messages: the queue depth gauges. */
  queueDepth(): Promise<{ messages: number; retries: number }>;

  /**
   * Records verified receipts in one transaction: a (message, subscription, event) seen before,
   * or of a message that no longer exists, changes nothing; a new one adds 1 to the message's
   * counter. Returns how many were new.
   */
  recordReceipts(receipts: ReceiptInput[], now: number): Promise<number>;
  /** Subscriber totals by push service, and the subscriber history by day. */
  subscriptionStats(): Promise<SubscriptionStats>;
}
