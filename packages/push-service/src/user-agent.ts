import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type DecryptParams,
  decodeBase64Url,
  decrypt,
  defaultBackend,
  type EcdhPrivateKey,
  encodeBase64Url,
  parseAesgcmHeaders,
  type RawKeyPair,
} from '@herald/webpush';
import { type ClientOptions, WebSocket } from 'ws';
import { PushServiceError } from './errors.js';
import type { MessageHeaders } from './storage/store.js';

/**
 * Options of {@link HeadlessUserAgent.connect}.
 *
 * @example
 * ```ts
 * await HeadlessUserAgent.connect(url, { autoReconnect: true, buffer: false });
 * ```
 */
export interface HeadlessUserAgentOptions {
  /** Say hello with this uaid (a user agent coming back). */
  uaid?: string;
  /** Keep messages until `waitForMessage`/`messages()` take them (default true; benchmarks turn it off). */
  buffer?: boolean;
  /** Options for the `ws` client, e.g. `{ ca }` for a self-signed `wss://` service. */
  websocket?: ClientOptions;
  /** How long to wait for the hello reply and for register/unregister replies (default 10 s). */
  timeoutMs?: number;
  /**
   * Reconnect by itself when the service closes the connection (as Firefox does, unless the
   * close code is 4774), retrying every `retryMs` (default 250) while connections are refused.
   * {@link HeadlessUserAgent.disconnect} and {@link HeadlessUserAgent.close} never reconnect.
   * Default false.
   */
  autoReconnect?: boolean | { retryMs?: number };
}

/**
 * A subscription of a {@link HeadlessUserAgent}, shaped like the browser's `PushSubscription`.
 *
 * @example
 * ```ts
 * await sendNotification(subscription.toJSON(), 'hi', { vapid, allowHttp: true });
 * ```
 */
export interface HeadlessSubscription {
  endpoint: string;
  channelId: string;
  /** base64url, as `PushSubscription.toJSON().keys` gives them. */
  keys: { p256dh: string; auth: string };
  /** `{ endpoint, expirationTime: null, keys }`, what a page would send to its server. */
  toJSON(): { endpoint: string; expirationTime: null; keys: { p256dh: string; auth: string } };
}

/**
 * A notification the user agent received.
 *
 * @example
 * ```ts
 * const { version, topic } = await agent.waitForMessage();
 * ```
 */
export interface ReceivedMessage {
  channelId: string;
  /** The message id (the protocol's `version`). */
  version: string;
  /** The endpoint of the subscription it came for. */
  endpoint: string;
  /** The decrypted payload; null for a push without body or when decryption failed. */
  data: Uint8Array | null;
  /** The encryption headers as the service passed them. */
  headers: MessageHeaders;
  ttl: number | undefined;
  topic: string | undefined;
  /** Why decryption failed (the message was acknowledged with code 101). */
  error?: Error;
  /** The payload as UTF-8 text ('' without payload). */
  text(): string;
  /** The payload parsed as JSON. */
  json<T = unknown>(): T;
}

/**
 * Events of a {@link HeadlessUserAgent}.
 *
 * @example
 * ```ts
 * agent.on('subscriptionchange', (dropped) => console.log(dropped.length));
 * ```
 */
export interface HeadlessUserAgentEvents {
  message: [message: ReceivedMessage];
  /** The service answered a hello with another uaid: every subscription was dropped (like Firefox). */
  subscriptionchange: [dropped: HeadlessSubscription[]];
  /** The connection closed (by the service, the network or {@link HeadlessUserAgent.disconnect}). */
  disconnect: [code: number];
  /** {@link HeadlessUserAgent.close} was called. */
  close: [code: number];
}

interface Channel {
  subscription: HeadlessSubscription;
  keyPair: RawKeyPair;
  privateKey: EcdhPrivateKey;
  auth: Uint8Array;
}

interface Pending {
  resolve(reply: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Waiter {
  match(message: ReceivedMessage): boolean;
  resolve(message: ReceivedMessage): void;
}

const decoder = new TextDecoder();
/** How many recent message ids an agent remembers to recognise a re-sent message. */
const recentVersions = 32;

function received(fields: Omit<ReceivedMessage, 'text' | 'json'>): ReceivedMessage {
  return {
    ...fields,
    text() {
      return this.data ? decoder.decode(this.data) : '';
    },
    json() {
      return JSON.parse(this.text());
    },
  };
}

function keyBytes(key: string | Uint8Array): Uint8Array {
  return typeof key === 'string' ? decodeBase64Url(key, 'applicationServerKey') : key;
}

/**
 * A user agent without a browser: it speaks the same WebSocket protocol as Firefox, subscribes
 * with its own P-256 key pair and auth secret per subscription, decrypts what arrives (aes128gcm
 * and aesgcm), acknowledges it, and hands the plaintext to the test. Cheap enough to run
 * thousands in one process.
 *
 * @example
 * ```ts
 * const agent = await HeadlessUserAgent.connect(service.websocketUrl);
 * const subscription = await agent.subscribe({ applicationServerKey: vapidKeys.publicKey });
 * // ... send to subscription.toJSON() with @herald/webpush ...
 * const message = await agent.waitForMessage({ timeoutMs: 5000 });
 * console.log(message.text());
 * agent.close();
 * ```
 */
export class HeadlessUserAgent extends EventEmitter<HeadlessUserAgentEvents> {
  readonly #url: string;
  readonly #options: HeadlessUserAgentOptions;
  readonly #channels = new Map<string, Channel>();
  readonly #pending = new Map<string, Pending>();
  readonly #queue: ReceivedMessage[] = [];
  readonly #waiters = new Set<Waiter>();
  #ws: WebSocket | null = null;
  #uaid: string | undefined;
  #chain: Promise<void> = Promise.resolve();
  #receivedCount = 0;
  #closed = false;
  /** The ids of the last messages handed over, to drop duplicates. */
  readonly #recent: string[] = [];
  /** True between disconnect() and the next reconnect(): no automatic reconnect then. */
  #stayAway = false;
  #retry: NodeJS.Timeout | undefined;

  private constructor(url: string, options: HeadlessUserAgentOptions) {
    super();
    this.#url = url;
    this.#options = options;
    this.#uaid = options.uaid;
  }

  /**
   * Connects to a push service and completes the hello handshake.
   *
   * @example
   * ```ts
   * const agent = await HeadlessUserAgent.connect('ws://127.0.0.1:8090/');
   * ```
   */
  static async connect(url: string, options: HeadlessUserAgentOptions = {}): Promise<HeadlessUserAgent> {
    const agent = new HeadlessUserAgent(url, options);
    await agent.reconnect();
    return agent;
  }

  /** The uaid the service gave (or kept) at the last hello. */
  get uaid(): string {
    return this.#uaid ?? '';
  }

  /** True while the WebSocket is open and the hello has been answered. */
  get connected(): boolean {
    return this.#ws !== null && this.#ws.readyState === WebSocket.OPEN;
  }

  /** The live subscriptions. */
  get subscriptions(): HeadlessSubscription[] {
    return [...this.#channels.values()].map((channel) => channel.subscription);
  }

  /** How many notifications have arrived since the agent was created. */
  get receivedCount(): number {
    return this.#receivedCount;
  }

  get #timeoutMs(): number {
    return this.#options.timeoutMs ?? 10_000;
  }

  /**
   * Opens a new connection (after {@link HeadlessUserAgent.disconnect} or a drop) and says hello
   * with the current uaid when there are subscriptions, as Firefox does. When the service
   * answers with another uaid, every subscription is dropped and `subscriptionchange` fires.
   *
   * @example
   * ```ts
   * agent.disconnect();
   * await agent.reconnect(); // waiting messages arrive now
   * ```
   */
  async reconnect(): Promise<void> {
    this.#stayAway = false;
    clearTimeout(this.#retry);
    if (this.connected) return;
    const ws = new WebSocket(this.#url, 'push-notification', {
      perMessageDeflate: false,
      ...this.#options.websocket,
    });
    this.#ws = ws;
    const hello = new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete('hello|');
        ws.terminate();
        reject(
          new PushServiceError(
            'ERR_TIMEOUT',
            `no hello reply from ${this.#url} within ${this.#timeoutMs} ms`,
          ),
        );
      }, this.#timeoutMs);
      this.#pending.set('hello|', { resolve, reject, timer });
    });
    ws.on('message', (data) => this.#onFrame(data.toString()));
    ws.on('close', (code) => this.#onClose(ws, code));
    ws.on('error', (error) => {
      const pending = this.#pending.get('hello|');
      if (pending) {
        this.#pending.delete('hello|');
        clearTimeout(pending.timer);
        pending.reject(
          new PushServiceError('ERR_NOT_CONNECTED', `cannot connect to ${this.#url}: ${error.message}`, {
            cause: error,
          }),
        );
      }
    });
    ws.on('open', () => {
      const message: Record<string, unknown> = { messageType: 'hello', broadcasts: {}, use_webpush: true };
      if (this.#uaid !== undefined && this.#channels.size > 0) message.uaid = this.#uaid;
      ws.send(JSON.stringify(message));
    });
    const reply = await hello;
    if (reply.status !== 200 || typeof reply.uaid !== 'string') {
      throw new PushServiceError('ERR_PROTOCOL', `hello answered with ${JSON.stringify(reply)}`);
    }
    const changed = this.#uaid !== undefined && reply.uaid !== this.#uaid && this.#channels.size > 0;
    this.#uaid = reply.uaid;
    if (changed) {
      const dropped = this.subscriptions;
      this.#channels.clear();
      this.emit('subscriptionchange', dropped);
    }
  }

  /**
   * Subscribes: a new channel with a fresh P-256 key pair and 16-byte auth secret, registered
   * with the VAPID public key (65-byte point, base64url or bytes) when given.
   *
   * @example
   * ```ts
   * const subscription = await agent.subscribe({ applicationServerKey: vapidKeys.publicKey });
   * ```
   */
  async subscribe(
    options: { applicationServerKey?: string | Uint8Array } = {},
  ): Promise<HeadlessSubscription> {
    const channelId = randomUUID();
    const message: Record<string, unknown> = { messageType: 'register', channelID: channelId };
    if (options.applicationServerKey !== undefined) {
      // Firefox sends the key base64url with padding (PushServiceWebSocket `register`).
      const encoded = encodeBase64Url(keyBytes(options.applicationServerKey));
      message.key = encoded + '='.repeat((4 - (encoded.length % 4)) % 4);
    }
    const [keyPair, reply] = await Promise.all([
      defaultBackend.generateKeyPair(),
      this.#request('register', channelId, message),
    ]);
    if (reply.status !== 200 || typeof reply.pushEndpoint !== 'string') {
      throw new PushServiceError(
        'ERR_REGISTER_FAILED',
        `register answered with status ${reply.status}: ${JSON.stringify(reply)}`,
      );
    }
    const auth = defaultBackend.randomBytes(16);
    const keys = { p256dh: encodeBase64Url(keyPair.publicKey), auth: encodeBase64Url(auth) };
    const endpoint = reply.pushEndpoint;
    const subscription: HeadlessSubscription = {
      endpoint,
      channelId,
      keys,
      toJSON: () => ({ endpoint, expirationTime: null, keys: { ...keys } }),
    };
    const privateKey = await defaultBackend.importEcdhPrivateKey(keyPair);
    this.#channels.set(channelId, { subscription, keyPair, privateKey, auth });
    return subscription;
  }

  /**
   * Unsubscribes (`unregister` with code 200); pushes to the endpoint get 410 afterwards.
   *
   * @example
   * ```ts
   * await agent.unsubscribe(subscription);
   * ```
   */
  async unsubscribe(subscription: HeadlessSubscription | string): Promise<void> {
    const channelId = typeof subscription === 'string' ? subscription : subscription.channelId;
    const reply = await this.#request('unregister', channelId, {
      messageType: 'unregister',
      channelID: channelId,
      code: 200,
    });
    if (reply.status !== 200) {
      throw new PushServiceError('ERR_REGISTER_FAILED', `unregister answered with status ${reply.status}`);
    }
    this.#channels.delete(channelId);
  }

  /**
   * Resolves with the next received message that matches (oldest buffered first), removing it
   * from the buffer; rejects with `ERR_TIMEOUT`.
   *
   * @example
   * ```ts
   * const message = await agent.waitForMessage({ subscription, timeoutMs: 2000 });
   * ```
   */
  waitForMessage(
    options: {
      subscription?: HeadlessSubscription;
      predicate?: (message: ReceivedMessage) => boolean;
      timeoutMs?: number;
    } = {},
  ): Promise<ReceivedMessage> {
    const match = (message: ReceivedMessage) =>
      (options.subscription === undefined || message.channelId === options.subscription.channelId) &&
      (options.predicate === undefined || options.predicate(message));
    const index = this.#queue.findIndex(match);
    if (index !== -1) return Promise.resolve(this.#queue.splice(index, 1)[0]!);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new PushServiceError('ERR_TIMEOUT', `no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /**
   * The messages as they arrive (buffered ones first), until the agent is closed.
   *
   * @example
   * ```ts
   * for await (const message of agent.messages()) if (message.text() === 'done') break;
   * ```
   */
  async *messages(): AsyncGenerator<ReceivedMessage> {
    while (!this.#closed || this.#queue.length > 0) {
      const next = this.#queue.shift();
      if (next) {
        yield next;
        continue;
      }
      const message = await new Promise<ReceivedMessage | null>((resolve) => {
        const onClose = () => {
          this.#waiters.delete(waiter);
          resolve(null);
        };
        const waiter: Waiter = {
          match: () => true,
          resolve: (next) => {
            this.off('close', onClose);
            resolve(next);
          },
        };
        this.#waiters.add(waiter);
        this.once('close', onClose);
      });
      if (message === null) return;
      yield message;
    }
  }

  /** Closes the connection but keeps the subscriptions and uaid, for {@link HeadlessUserAgent.reconnect}. */
  disconnect(): void {
    this.#stayAway = true;
    clearTimeout(this.#retry);
    this.#ws?.close(1000);
  }

  /** Closes the connection for good. */
  close(): void {
    const ws = this.#ws;
    this.#ws = null;
    this.#closed = true;
    clearTimeout(this.#retry);
    ws?.close(1000);
    this.emit('close', 1000);
  }

  #scheduleReconnect(): void {
    const option = this.#options.autoReconnect;
    const retryMs = (typeof option === 'object' ? option.retryMs : undefined) ?? 250;
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => {
      if (this.#closed || this.#stayAway || this.connected) return;
      // A refused attempt closes its socket, and #onClose schedules the next one.
      this.reconnect().catch(() => {});
    }, retryMs);
  }

  #request(
    type: string,
    channelId: string,
    message: Record<string, unknown>,
  ): Promise<Record<string, unknown>> {
    const ws = this.#ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      return Promise.reject(
        new PushServiceError('ERR_NOT_CONNECTED', `cannot ${type}: the user agent is not connected`),
      );
    }
    return new Promise((resolve, reject) => {
      const key = `${type}|${channelId}`;
      const timer = setTimeout(() => {
        this.#pending.delete(key);
        reject(new PushServiceError('ERR_TIMEOUT', `no ${type} reply within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#pending.set(key, { resolve, reject, timer });
      ws.send(JSON.stringify(message));
    });
  }

  #onClose(ws: WebSocket, code: number): void {
    // A socket replaced by reconnect() closing late must not fail the new socket's requests.
    if (this.#ws !== ws && this.#ws !== null) return;
    for (const [key, pending] of this.#pending) {
      clearTimeout(pending.timer);
      pending.reject(
        new PushServiceError(
          'ERR_NOT_CONNECTED',
          `connection closed (${code}) before the ${key.split('|')[0]} reply`,
        ),
      );
    }
    this.#pending.clear();
    this.#ws = null;
    this.emit('disconnect', code);
    if (this.#options.autoReconnect && !this.#closed && !this.#stayAway && code !== 4774)
      this.#scheduleReconnect();
  }

  #onFrame(text: string): void {
    let message: Record<string, unknown>;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    const type = message.messageType;
    if (type === 'hello' || type === 'register' || type === 'unregister') {
      const key = type === 'hello' ? 'hello|' : `${type}|${message.channelID}`;
      const pending = this.#pending.get(key);
      if (!pending) return;
      this.#pending.delete(key);
      clearTimeout(pending.timer);
      pending.resolve(message);
      return;
    }
    if (type === 'notification') {
      // One at a time, so that messages are handed over (and acked) in arrival order.
      this.#chain = this.#chain.then(() => this.#onNotification(message));
    }
  }

  async #onNotification(message: Record<string, unknown>): Promise<void> {
    const channelId = String(message.channelID);
    const version = String(message.version);
    const channel = this.#channels.get(channelId);
    if (this.#recent.includes(version)) {
      // Sent again after a reconnect because our ack was lost with the old socket: ack it again
      // and hand nothing over twice (Firefox keeps recent message ids for the same reason).
      this.#ws?.send(
        JSON.stringify({ messageType: 'ack', updates: [{ channelID: channelId, version, code: 100 }] }),
      );
      return;
    }
    const headers = (message.headers ?? {}) as MessageHeaders;
    let data: Uint8Array | null = null;
    let error: Error | undefined;
    if (typeof message.data === 'string' && channel) {
      try {
        let params: DecryptParams = { contentEncoding: 'aes128gcm' };
        if (headers.encoding === 'aesgcm') {
          params = {
            contentEncoding: 'aesgcm',
            ...parseAesgcmHeaders(headers.encryption ?? '', headers.crypto_key ?? ''),
          };
        }
        data = await decrypt(
          decodeBase64Url(message.data, 'notification data'),
          { keyPair: channel.keyPair, auth: channel.auth, privateKey: channel.privateKey },
          params,
        );
      } catch (cause) {
        error = cause as Error;
      }
    }
    // Code 100 delivered, 101 decryption failed, 102 not delivered (unknown channel).
    const code = !channel ? 102 : error ? 101 : 100;
    this.#ws?.send(
      JSON.stringify({ messageType: 'ack', updates: [{ channelID: channelId, version, code }] }),
    );
    if (!channel) return;
    this.#recent.push(version);
    if (this.#recent.length > recentVersions) this.#recent.shift();
    const fields: Omit<ReceivedMessage, 'text' | 'json'> = {
      channelId,
      version,
      endpoint: channel.subscription.endpoint,
      data,
      headers,
      ttl: typeof message.ttl === 'number' ? message.ttl : undefined,
      topic: typeof message.topic === 'string' ? message.topic : undefined,
    };
    if (error) fields.error = error;
    const msg = received(fields);
    this.#receivedCount++;
    this.emit('message', msg);
    for (const waiter of this.#waiters) {
      if (waiter.match(msg)) {
        this.#waiters.delete(waiter);
        waiter.resolve(msg);
        return;
      }
    }
    if (this.#options.buffer !== false) this.#queue.push(msg);
  }
}
