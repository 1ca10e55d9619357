/**
 * The push service's storage, behind one narrow synchronous interface with two
 * implementations: {@link MemoryStore} (the default) and {@link SqliteStore} (a data directory;
 * registrations and waiting messages survive a restart). Synchronous because both backends are
 * (better-sqlite3 runs each statement in a few microseconds on the calling thread): the hot path
 * of a push never waits on a promise for its storage.
 *
 * Semantics every implementation keeps (the shared suite in `test/storage.test.ts` checks them):
 * - a channel is keyed by (uaid, channelId) and found by its endpoint token; a channel that is no
 *   longer `active` keeps its token so that pushes to it get 410 rather than 404;
 * - a message is stored only for an `active` channel, deleted when acknowledged, when its channel
 *   leaves `active`, or when its TTL runs out; `pendingMessages` never returns an expired one;
 * - saving a message with a Topic deletes the channel's waiting message with the same Topic
 *   (RFC 8030 §5.4);
 * - `trimChannel` keeps a channel's newest waiting messages (the service bounds what one
 *   subscription can hold; RFC 8030 §5.2 lets a push service keep a message for less than its TTL).
 */

/**
 * Why a channel no longer takes messages; each maps to its own 410 errno.
 *
 * @example
 * ```ts
 * service.store.getChannelByToken(token)?.state; // 'active'
 * ```
 */
export type ChannelState = 'active' | 'unsubscribed' | 'expired' | 'dropped';

/**
 * One subscription: a channel of a user agent.
 *
 * @example
 * ```ts
 * const channel = service.store.getChannelByToken(token);
 * ```
 */
export interface ChannelRecord {
  uaid: string;
  channelId: string;
  /** The random token in the endpoint URL (144 bits, base64url). */
  token: string;
  /** The VAPID public key given at register, base64url without padding, or null. */
  key: string | null;
  state: ChannelState;
  /** Milliseconds since the epoch. */
  createdAt: number;
}

/**
 * The encryption headers handed to the user agent with the message (Mozilla's names).
 *
 * @example
 * ```ts
 * const headers: MessageHeaders = { encoding: 'aes128gcm' };
 * ```
 */
export interface MessageHeaders {
  encoding?: string;
  encryption?: string;
  crypto_key?: string;
}

/**
 * A message accepted for a channel and not yet acknowledged.
 *
 * @example
 * ```ts
 * const waiting = service.store.pendingMessages(uaid, Date.now());
 * ```
 */
export interface StoredMessage {
  /** The message id: the protocol's `version`, and the last segment of `Location`. */
  id: string;
  uaid: string;
  channelId: string;
  /** Seconds, as accepted (after capping). */
  ttl: number;
  /** Milliseconds since the epoch. */
  expiresAt: number;
  topic: string | null;
  urgency: string;
  headers: MessageHeaders;
  /** The body as base64url without padding (the form the protocol sends), or null for no body. */
  data: string | null;
  createdAt: number;
}

/**
 * Totals, for status pages and benchmarks.
 *
 * @example
 * ```ts
 * const { clients, channels, messages } = service.store.counts();
 * ```
 */
export interface StoreCounts {
  clients: number;
  channels: number;
  messages: number;
}

/**
 * See the module documentation for the semantics.
 *
 * @example
 * ```ts
 * const store: PushStore = new SqliteStore('./push-data');
 * ```
 */
export interface PushStore {
  /** True when the uaid is registered (has or had channels). */
  hasClient(uaid: string): boolean;
  /** Registers a uaid; a no-op when it exists. */
  addClient(uaid: string, now: number): void;
  /** Forgets a uaid: its channels become `dropped` and its messages are deleted. */
  dropClient(uaid: string): void;
  getChannel(uaid: string, channelId: string): ChannelRecord | undefined;
  getChannelByToken(token: string): ChannelRecord | undefined;
  /** The uaid's channels in every state. */
  listChannels(uaid: string): ChannelRecord[];
  addChannel(record: ChannelRecord): void;
  /** Moves a channel to another state; leaving `active` deletes its messages. */
  setChannelState(uaid: string, channelId: string, state: ChannelState): void;
  /** Stores a message; returns the id of the message it replaced by Topic, if any. */
  saveMessage(message: StoredMessage): string | undefined;
  /** The uaid's unexpired waiting messages, oldest first (expired ones are deleted). */
  pendingMessages(uaid: string, now: number): StoredMessage[];
  /** Deletes an acknowledged message; false when there was none with that id on that channel. */
  deleteMessage(uaid: string, channelId: string, id: string): boolean;
  /** Deletes every message whose TTL ran out; returns how many. */
  deleteExpired(now: number): number;
  /** Deletes the oldest waiting messages of a channel beyond the newest `keep`; returns how many. */
  trimChannel(uaid: string, channelId: string, keep: number): number;
  counts(): StoreCounts;
  close(): void;
}
