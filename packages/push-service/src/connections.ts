import { randomBytes, randomUUID } from 'node:crypto';
import { decodeBase64Url, defaultBackend, encodeBase64Url } from '@herald/webpush';
import type { WebSocket } from 'ws';
import type { PushServiceEvents } from './events.js';
import { type ClientMessage, ProtocolViolation, parseClientMessage } from './protocol.js';
import type { ChannelRecord, PushStore, StoredMessage } from './storage/store.js';

/** One WebSocket: the user agent behind it is known once it has said hello. */
interface Session {
  ws: WebSocket;
  uaid: string | null;
  /** Cleared by each keep-alive round, set again by any frame or pong from the peer. */
  alive: boolean;
  /** Closes the socket if no hello comes in time; cleared at hello or close. */
  helloTimer: NodeJS.Timeout | undefined;
  /** Taken out of service by the push service; acks still in flight are still taken. */
  dropped: boolean;
}

const sessions = new WeakMap<WebSocket, Session>();

/** One shared pong listener for every socket (a closure per socket costs memory for nothing). */
function onPong(this: WebSocket): void {
  const session = sessions.get(this);
  if (session) session.alive = true;
}

/** What the connections need from the service around them. */
export interface ConnectionsContext {
  store: PushStore;
  /** The endpoint URL for a channel's token. */
  endpointFor(token: string): string;
  emit<K extends keyof PushServiceEvents>(event: K, ...args: PushServiceEvents[K]): void;
  /** A connection that has not said hello after this many ms is closed (autopush: 5 s). */
  helloTimeoutMs: number;
}

/**
 * WebSocket close codes the service uses.
 *
 * @example
 * ```ts
 * service.disconnect({ uaid }, { backoff: true }); // closes with closeCodes.backoff (4774)
 * ```
 */
export const closeCodes = {
  /** RFC 6455 §7.4.1: a message the protocol does not allow. */
  protocolError: 1002,
  /** RFC 6455 §7.4.1: a binary frame (the protocol is text only). */
  unsupportedData: 1003,
  /** Another connection said hello with the same uaid, or the service dropped the client. */
  normal: 1000,
  /** Firefox's `kBACKOFF_WS_STATUS_CODE`: do not reconnect automatically. */
  backoff: 4774,
} as const;

/**
 * RFC 6455 §5.5: a close frame's reason is at most 123 bytes of UTF-8. Cut by characters, never
 * in the middle of one (a cut character would decode to U+FFFD, three bytes, and overflow).
 */
export function closeReason(reason: string): string {
  let out = reason;
  while (Buffer.byteLength(out) > 123) out = out.slice(0, -1);
  // A lone high surrogate left at the end would not survive encoding either.
  return /[\uD800-\uDBFF]$/.test(out) ? out.slice(0, -1) : out;
}

const helloReplyTail = ',"use_webpush":true,"broadcasts":{}}';

/**
 * The user-agent side of the push service: every WebSocket, the hello handshake, register,
 * unregister, acks and the delivery of notifications. Per connection it keeps only the socket
 * and the uaid (a few hundred bytes above what `ws` itself holds), so that one process holds
 * tens of thousands of connected user agents.
 */
export class Connections {
  readonly #byUaid = new Map<string, Session>();
  readonly #context: ConnectionsContext;

  constructor(context: ConnectionsContext) {
    this.#context = context;
  }

  /** How many user agents have completed their hello. */
  get size(): number {
    return this.#byUaid.size;
  }

  /** The uaids of the connected user agents. */
  uaids(): string[] {
    return [...this.#byUaid.keys()];
  }

  isConnected(uaid: string): boolean {
    return this.#byUaid.has(uaid);
  }

  /** Takes over a freshly upgraded WebSocket. */
  accept(ws: WebSocket): void {
    const session: Session = { ws, uaid: null, alive: true, helloTimer: undefined, dropped: false };
    sessions.set(ws, session);
    ws.on('message', (data, isBinary) => {
      session.alive = true;
      try {
        this.#onFrame(session, data as Buffer, isBinary);
      } catch (error) {
        // A bug in handling one frame must cost that connection, never the process.
        this.#violation(session, `internal error: ${(error as Error).message}`);
      }
    });
    ws.on('pong', onPong);
    ws.on('close', () => this.#onClose(session));
    // A socket error (reset, oversized frame) closes this socket only; ws emits close after it.
    ws.on('error', () => {});
    // A socket that never says hello would hold a file descriptor for nothing.
    session.helloTimer = setTimeout(() => {
      if (session.uaid === null && ws.readyState === ws.OPEN) this.#violation(session, 'no hello in time');
    }, this.#context.helloTimeoutMs);
    session.helloTimer.unref();
  }

  /**
   * One keep-alive round (RFC 6455 §5.5.2 ping frames): connections that did not answer since the
   * last round are gone without a FIN (a laptop closed, a NAT that forgot) and are terminated, so
   * that their messages wait in storage instead of going to a dead socket.
   */
  keepAlive(): void {
    for (const session of this.#byUaid.values()) {
      if (!session.alive) {
        this.#drop(session, closeCodes.normal, 'no answer to ping');
        session.ws.terminate();
        continue;
      }
      session.alive = false;
      session.ws.ping();
    }
  }

  /** Sends a notification if its user agent is connected; false otherwise. */
  deliver(message: StoredMessage): boolean {
    const session = this.#byUaid.get(message.uaid);
    if (!session) return false;
    this.#sendNotification(session, message);
    return true;
  }

  /** Closes a user agent's connection (it reconnects unless `code` is 4774). */
  disconnect(
    uaid: string,
    code: number = closeCodes.normal,
    reason = 'disconnected by the push service',
  ): boolean {
    const session = this.#byUaid.get(uaid);
    if (!session) return false;
    this.#drop(session, code, reason);
    return true;
  }

  /**
   * Takes a session out of service at once (the disconnect event fires now, not when the peer
   * finishes the close handshake, which Firefox may take long to do) and makes sure the TCP
   * connection goes within a second.
   */
  #drop(session: Session, code: number, reason: string): void {
    if (session.dropped) return;
    session.dropped = true;
    const uaid = session.uaid;
    if (uaid !== null && this.#byUaid.get(uaid) === session) this.#byUaid.delete(uaid);
    session.ws.close(code, reason);
    setTimeout(() => session.ws.terminate(), 1000).unref();
    if (uaid !== null) this.#context.emit('ua:disconnect', uaid);
  }

  /** Closes every connection. */
  disconnectAll(code: number = closeCodes.normal, reason = 'push service closing'): void {
    for (const uaid of [...this.#byUaid.keys()]) this.disconnect(uaid, code, reason);
  }

  #sendNotification(session: Session, message: StoredMessage): void {
    const notification: Record<string, unknown> = {
      messageType: 'notification',
      channelID: message.channelId,
      version: message.id,
      ttl: message.ttl,
    };
    if (message.topic !== null) notification.topic = message.topic;
    if (message.data !== null) {
      notification.data = message.data;
      notification.headers = message.headers;
    }
    session.ws.send(JSON.stringify(notification));
    this.#context.emit('message:sent', message);
  }

  #onClose(session: Session): void {
    clearTimeout(session.helloTimer);
    const uaid = session.uaid;
    if (uaid === null || session.dropped) return;
    if (this.#byUaid.get(uaid) === session) this.#byUaid.delete(uaid);
    this.#context.emit('ua:disconnect', uaid);
  }

  #violation(session: Session, reason: string, code: number = closeCodes.protocolError): void {
    this.#context.emit('ua:protocol-error', session.uaid, reason);
    this.#drop(session, code, closeReason(reason));
  }

  #onFrame(session: Session, data: Buffer, isBinary: boolean): void {
    if (isBinary) {
      this.#violation(session, 'binary frames are not part of the protocol', closeCodes.unsupportedData);
      return;
    }
    const message = parseClientMessage(data.toString());
    if (message instanceof ProtocolViolation) {
      this.#violation(session, message.reason);
      return;
    }
    if (session.dropped) {
      // The close handshake is under way: only acks still count (the messages they name are
      // delivered); anything else waits for the next connection.
      if (message.messageType === 'ack' && session.uaid !== null)
        this.#handle(session, session.uaid, message).catch(() => {});
      return;
    }
    if (message.messageType === 'ping') {
      session.ws.send('{}');
      return;
    }
    if (message.messageType === 'hello') {
      if (session.uaid !== null) this.#violation(session, 'hello: already said hello on this connection');
      else this.#hello(session, message.uaid);
      return;
    }
    if (session.uaid === null) {
      this.#violation(session, `${message.messageType}: expected hello first`);
      return;
    }
    this.#handle(session, session.uaid, message).catch((error: unknown) => {
      this.#violation(session, `internal error: ${(error as Error).message}`);
    });
  }

  #hello(session: Session, requested: string | undefined): void {
    const { store } = this.#context;
    // A client that names a uaid we know keeps it; any other gets a new one, which makes
    // Firefox drop its subscriptions and fire pushsubscriptionchange (PushServiceWebSocket
    // `_handleHelloReply`). uaids are registered lazily, at the first register, like autopush.
    const reused = requested !== undefined && store.hasClient(requested);
    const uaid = reused ? requested : randomUUID().replaceAll('-', '');
    const previous = this.#byUaid.get(uaid);
    if (previous) this.#drop(previous, closeCodes.normal, 'another connection said hello with this uaid');
    session.uaid = uaid;
    clearTimeout(session.helloTimer);
    session.helloTimer = undefined;
    this.#byUaid.set(uaid, session);
    session.ws.send(`{"messageType":"hello","status":200,"uaid":"${uaid}"${helloReplyTail}`);
    this.#context.emit('ua:hello', uaid, reused);
    if (!reused) return;
    for (const message of store.pendingMessages(uaid, Date.now())) this.#sendNotification(session, message);
  }

  async #handle(session: Session, uaid: string, message: ClientMessage): Promise<void> {
    const { store } = this.#context;
    switch (message.messageType) {
      case 'register': {
        const reply = await this.#register(uaid, message.channelID, message.key);
        session.ws.send(JSON.stringify({ messageType: 'register', channelID: message.channelID, ...reply }));
        return;
      }
      case 'unregister': {
        const channel = store.getChannel(uaid, message.channelID);
        if (channel?.state === 'active') {
          store.setChannelState(uaid, message.channelID, 'unsubscribed');
          this.#context.emit('ua:unregister', uaid, message.channelID);
        }
        session.ws.send(
          JSON.stringify({ messageType: 'unregister', channelID: message.channelID, status: 200 }),
        );
        return;
      }
      case 'ack':
        for (const update of message.updates) {
          store.deleteMessage(uaid, update.channelID, update.version);
          this.#context.emit('ua:ack', uaid, update.channelID, update.version, update.code ?? 100);
        }
        return;
      case 'nack':
        this.#context.emit('ua:nack', uaid, message.version, message.code);
        return;
      case 'broadcast_subscribe':
        // Firefox ESR subscribes to remote-settings broadcasts ~16 s after hello. We serve no
        // broadcasts; an error or a close here would send Firefox into a reconnect loop.
        return;
    }
  }

  async #register(
    uaid: string,
    channelId: string,
    key: string | undefined,
  ): Promise<{ status: number; pushEndpoint?: string; reason?: string }> {
    const { store } = this.#context;
    let normalizedKey: string | null = null;
    if (key !== undefined) {
      let raw: Uint8Array;
      try {
        raw = decodeBase64Url(key, 'register key');
      } catch {
        return { status: 400, reason: 'key must be base64url' };
      }
      if (!(await defaultBackend.isValidPublicKey(raw))) {
        return {
          status: 400,
          reason: `key must be a 65-byte uncompressed P-256 point, got ${raw.length} bytes`,
        };
      }
      normalizedKey = encodeBase64Url(raw);
    }
    const existing = store.getChannel(uaid, channelId);
    if (existing) {
      // Firefox re-sends a register after a reconnect if it missed the reply: same channel and
      // key get the same endpoint; anything else is a conflict (autopush answers 409 as well).
      if (existing.state === 'active' && existing.key === normalizedKey) {
        return { status: 200, pushEndpoint: this.#context.endpointFor(existing.token) };
      }
      return { status: 409, reason: 'channelID already registered' };
    }
    store.addClient(uaid, Date.now());
    const record: ChannelRecord = {
      uaid,
      channelId,
      token: randomBytes(18).toString('base64url'),
      key: normalizedKey,
      state: 'active',
      createdAt: Date.now(),
    };
    store.addChannel(record);
    this.#context.emit('ua:register', uaid, channelId, this.#context.endpointFor(record.token));
    return { status: 200, pushEndpoint: this.#context.endpointFor(record.token) };
  }
}
