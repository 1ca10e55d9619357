/**
 * Mozilla's WebSocket push protocol (the one Firefox's `PushServiceWebSocket.sys.mjs` speaks
 * and autopush serves): the client's messages, parsed and checked. Anything that does not parse
 * is a {@link ProtocolViolation}; the server closes that one connection with 1002 like autopush
 * does (autopush-rs closes on `SMError::InvalidMessage`).
 */

/** `hello`: the first message; `uaid` only when the client already has subscriptions. */
export interface HelloMessage {
  messageType: 'hello';
  uaid?: string;
}

/** `register`: a new subscription, with the VAPID public key (base64url, Firefox pads it). */
export interface RegisterMessage {
  messageType: 'register';
  channelID: string;
  key?: string;
}

/** `unregister`: the subscription is gone (code 200 manual, 201 quota, 202 permission revoked). */
export interface UnregisterMessage {
  messageType: 'unregister';
  channelID: string;
  code?: number;
}

/** One acknowledged notification: code 100 delivered, 101 decryption failed, 102 not delivered. */
export interface AckUpdate {
  channelID: string;
  version: string;
  code?: number;
}

/** `ack`: notifications the client has handled. */
export interface AckMessage {
  messageType: 'ack';
  updates: AckUpdate[];
}

/** `nack`: the service worker failed on a message (301 exception, 302 rejection, 303 internal). */
export interface NackMessage {
  messageType: 'nack';
  version?: string;
  code?: number;
}

/** `"{}"` or `{"messageType":"ping"}`: a keep-alive, answered with `"{}"`. */
export interface PingMessage {
  messageType: 'ping';
}

/** `broadcast_subscribe`: Firefox's remote-settings broadcasts; accepted quietly. */
export interface BroadcastSubscribeMessage {
  messageType: 'broadcast_subscribe';
}

/** Every message a client may send. */
export type ClientMessage =
  | HelloMessage
  | RegisterMessage
  | UnregisterMessage
  | AckMessage
  | NackMessage
  | PingMessage
  | BroadcastSubscribeMessage;

/** A message the protocol does not allow; `reason` goes into the close frame. */
export class ProtocolViolation {
  constructor(readonly reason: string) {}
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True for a UUID in its dashed form (the form of every `channelID`). */
export function isChannelId(value: unknown): value is string {
  return typeof value === 'string' && uuidPattern.test(value);
}

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Parses one text frame. Returns the message or a {@link ProtocolViolation} saying what was
 * expected and what came; never throws.
 */
export function parseClientMessage(text: string): ClientMessage | ProtocolViolation {
  if (text === '{}') return { messageType: 'ping' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new ProtocolViolation(`expected a JSON object, got ${quote(text)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return new ProtocolViolation(`expected a JSON object, got ${quote(value)}`);
  }
  const message = value as Record<string, unknown>;
  const type = message.messageType;
  switch (type) {
    case undefined:
    case 'ping':
      // Firefox treats any object without messageType as a ping reply; accept the same shape.
      return { messageType: 'ping' };
    case 'hello': {
      const uaid = message.uaid;
      if (uaid !== undefined && uaid !== null && typeof uaid !== 'string') {
        return new ProtocolViolation(`hello: uaid must be a string, got ${quote(uaid)}`);
      }
      return typeof uaid === 'string' && uaid !== ''
        ? { messageType: 'hello', uaid }
        : { messageType: 'hello' };
    }
    case 'register': {
      if (!isChannelId(message.channelID)) {
        return new ProtocolViolation(`register: channelID must be a UUID, got ${quote(message.channelID)}`);
      }
      const key = message.key;
      if (key !== undefined && key !== null && typeof key !== 'string') {
        return new ProtocolViolation(`register: key must be a base64url string, got ${quote(key)}`);
      }
      const out: RegisterMessage = { messageType: 'register', channelID: message.channelID.toLowerCase() };
      if (typeof key === 'string') out.key = key;
      return out;
    }
    case 'unregister': {
      if (!isChannelId(message.channelID)) {
        return new ProtocolViolation(`unregister: channelID must be a UUID, got ${quote(message.channelID)}`);
      }
      const out: UnregisterMessage = {
        messageType: 'unregister',
        channelID: message.channelID.toLowerCase(),
      };
      if (typeof message.code === 'number') out.code = message.code;
      return out;
    }
    case 'ack': {
      if (!Array.isArray(message.updates)) {
        return new ProtocolViolation(`ack: updates must be an array, got ${quote(message.updates)}`);
      }
      const updates: AckUpdate[] = [];
      for (const update of message.updates as unknown[]) {
        const u = update as Record<string, unknown> | null;
        if (
          typeof u !== 'object' ||
          u === null ||
          !isChannelId(u.channelID) ||
          typeof u.version !== 'string'
        ) {
          return new ProtocolViolation(
            `ack: each update must be {channelID: UUID, version: string}, got ${quote(update)}`,
          );
        }
        const ack: AckUpdate = { channelID: u.channelID.toLowerCase(), version: u.version };
        if (typeof u.code === 'number') ack.code = u.code;
        updates.push(ack);
      }
      return { messageType: 'ack', updates };
    }
    case 'nack': {
      const out: NackMessage = { messageType: 'nack' };
      if (typeof message.version === 'string') out.version = message.version;
      if (typeof message.code === 'number') out.code = message.code;
      return out;
    }
    case 'broadcast_subscribe':
      return { messageType: 'broadcast_subscribe' };
    default:
      return new ProtocolViolation(`unknown messageType ${quote(type)}`);
  }
}
