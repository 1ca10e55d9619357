import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connections } from './connections.js';
import type { PushServiceEvents } from './events.js';
import type { FaultAction, FaultInjector } from './faults.js';
import { type PushRefusal, sendRefusal } from './http-errors.js';
import type { RateLimiter } from './rate-limit.js';
import type { ChannelRecord, MessageHeaders, PushStore, StoredMessage } from './storage/store.js';

/**
 * RFC 8291 §4: a push message's encrypted body is at most 4096 bytes.
 *
 * @example
 * ```ts
 * if (body.length > maxBodyBytes) throw new Error('too large for a push service');
 * ```
 */
export const maxBodyBytes = 4096;

/**
 * Checks a push's VAPID material (RFC 8292) against the key the subscription was registered
 * with. Resolves to null when it is acceptable, or to a reason for the 401 otherwise.
 *
 * @example
 * ```ts
 * const acceptAll: VapidCheck = async () => null;
 * ```
 */
export type VapidCheck = (request: {
  authorization: string | undefined;
  cryptoKey: string | undefined;
  /** The subscription's key (base64url), or null when it was registered without one. */
  expectedKey: string | null;
  /** The origin the JWT's `aud` must name. */
  audience: string;
}) => Promise<string | null>;

/** What the push endpoint needs from the service around it. */
export interface PushEndpointContext {
  store: PushStore;
  connections: Connections;
  faults: FaultInjector;
  rateLimiter: RateLimiter | undefined;
  checkVapid: VapidCheck;
  /** The origin of endpoint URLs: VAPID `aud` and the `Location` prefix. */
  origin(): string;
  /** TTLs above this are accepted and capped (autopush caps at 60 days). */
  maxTtl: number;
  /** A subscription keeps at most this many waiting messages; older ones are dropped. */
  maxWaitingPerSubscription: number;
  emit<K extends keyof PushServiceEvents>(event: K, ...args: PushServiceEvents[K]): void;
}

const urgencies = new Set(['very-low', 'low', 'normal', 'high']);
const base64UrlValue = /^[0-9A-Za-z_-]+=*$/;
const gone: Record<Exclude<ChannelRecord['state'], 'active'>, PushRefusal> = {
  unsubscribed: 'unsubscribed',
  expired: 'expired',
  dropped: 'userAgentGone',
};

class Refusal {
  constructor(
    readonly refusal: PushRefusal,
    readonly message: string,
  ) {}
}

/** autopush strips quotes and base64 padding from `Encryption` and `Crypto-Key` before passing them on. */
function stripHeader(value: string): string {
  return value.replaceAll('"', '').replace(/([0-9A-Za-z_-]+)=+([,;]|$)/g, '$1$2');
}

/** The `name=value` parameters of an `Encryption`/`Crypto-Key` header (comma or semicolon separated). */
function headerParams(value: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of value.split(/[,;]/)) {
    const eq = part.indexOf('=');
    if (eq > 0) params.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return params;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** RFC 8030 §5.2 TTL, §5.3 Urgency, §5.4 Topic; the encryption headers for Firefox. */
function parseHeaders(req: IncomingMessage, hasBody: boolean, maxTtl: number) {
  const ttlText = header(req, 'ttl')?.trim();
  if (ttlText === undefined || ttlText === '') {
    return new Refusal('missingTtl', 'the TTL header is required (RFC 8030 §5.2), got none');
  }
  if (/^-\d+$/.test(ttlText)) return new Refusal('invalidTtl', `TTL must be >= 0, got ${ttlText}`);
  if (!/^\d+$/.test(ttlText)) {
    return new Refusal('missingTtl', `TTL must be a number of seconds, got ${JSON.stringify(ttlText)}`);
  }
  const ttl = Math.min(Number(ttlText), maxTtl);

  const urgency = header(req, 'urgency')?.trim().toLowerCase() ?? 'normal';
  if (!urgencies.has(urgency)) {
    return new Refusal(
      'invalidUrgency',
      `Urgency must be very-low, low, normal or high, got ${JSON.stringify(urgency)}`,
    );
  }

  const topic = header(req, 'topic')?.trim();
  if (topic !== undefined && (topic.length === 0 || topic.length > 32 || !base64UrlValue.test(topic))) {
    return new Refusal(
      'invalidTopic',
      `Topic must be 1 to 32 characters of the base64url alphabet, got ${JSON.stringify(topic.slice(0, 40))}`,
    );
  }

  const headers: MessageHeaders = {};
  if (hasBody) {
    const encoding = header(req, 'content-encoding')?.trim().toLowerCase();
    const encryption = header(req, 'encryption');
    const cryptoKey = header(req, 'crypto-key');
    if (encoding === 'aesgcm') {
      // draft-ietf-webpush-encryption-04: salt in Encryption, the sender's key in Crypto-Key dh=.
      const salt = encryption === undefined ? undefined : headerParams(stripHeader(encryption)).get('salt');
      const dh = cryptoKey === undefined ? undefined : headerParams(stripHeader(cryptoKey)).get('dh');
      if (!salt || !base64UrlValue.test(salt)) {
        return new Refusal('invalidEncryption', 'aesgcm needs an Encryption header with a base64url salt=');
      }
      if (!dh || !base64UrlValue.test(dh)) {
        return new Refusal('invalidEncryption', 'aesgcm needs a Crypto-Key header with a base64url dh=');
      }
      headers.encoding = 'aesgcm';
      headers.encryption = stripHeader(encryption!);
      headers.crypto_key = stripHeader(cryptoKey!);
    } else if (encoding === 'aes128gcm') {
      // RFC 8188: salt and key travel in the body's header; the HTTP headers must not carry them.
      if (encryption !== undefined && headerParams(encryption).has('salt')) {
        return new Refusal(
          'invalidEncryption',
          'aes128gcm carries its salt in the body, not in an Encryption header',
        );
      }
      if (cryptoKey !== undefined && headerParams(cryptoKey).has('dh')) {
        return new Refusal(
          'invalidEncryption',
          'aes128gcm carries its key in the body, not in Crypto-Key dh=',
        );
      }
      headers.encoding = 'aes128gcm';
    } else {
      return new Refusal(
        'invalidEncryption',
        `Content-Encoding must be aes128gcm or aesgcm for a push with a body, got ${JSON.stringify(encoding ?? null)}`,
      );
    }
  }
  return { ttl, urgency, topic: topic ?? null, headers };
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) {
        resolve('too-large');
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * Applies an injected fault. Returns true when the fault answered (or killed) the request;
 * a timed stall returns false after its delay so that the push proceeds.
 */
async function applyFault(action: FaultAction, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  switch (action.type) {
    case 'status': {
      const refusal: PushRefusal =
        action.status === 429 ? 'tooManyRequests' : action.status === 503 ? 'unavailable' : 'internalError';
      const retryAfter = action.status === 500 ? undefined : (action.retryAfterSeconds ?? 1);
      sendRefusal(res, refusal, `injected fault: ${action.status}`, retryAfter);
      return true;
    }
    case 'drop':
      req.socket.destroy();
      return true;
    case 'stall':
      if (action.ms === undefined) {
        // Never answer; the socket stays open until the sender gives up or the service closes.
        req.resume();
        return true;
      }
      await new Promise((resolve) => setTimeout(resolve, action.ms));
      return req.socket.destroyed;
  }
}

/**
 * `POST /wpush/v1/<token>`: RFC 8030 §5, a push message for one subscription. Answers 201 with
 * `Location` and `TTL`, or a refusal in autopush's form (see `http-errors.ts`).
 */
export async function handlePush(
  context: PushEndpointContext,
  token: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'POST') {
    req.resume();
    sendRefusal(res, 'methodNotAllowed', `a push must be a POST, got ${req.method}`);
    return;
  }
  const globalFault = context.faults.pick(token);
  if (globalFault && (await applyFault(globalFault, req, res))) return;

  const channel = context.store.getChannelByToken(token);
  if (!channel) {
    req.resume();
    sendRefusal(res, 'notFound', 'no subscription behind this endpoint');
    return;
  }
  if (channel.state !== 'active') {
    req.resume();
    sendRefusal(res, gone[channel.state], `the subscription is gone (${channel.state})`);
    return;
  }

  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > maxBodyBytes) {
    // Answer before reading; close the connection rather than drain a large body.
    res.setHeader('connection', 'close');
    sendRefusal(res, 'tooLarge', `the body must be at most ${maxBodyBytes} bytes, got ${declared}`);
    req.resume();
    return;
  }
  const body = await readBody(req);
  if (body === 'too-large') {
    sendRefusal(res, 'tooLarge', `the body must be at most ${maxBodyBytes} bytes, got more`);
    return;
  }

  const parsed = parseHeaders(req, body.length > 0, context.maxTtl);
  if (parsed instanceof Refusal) {
    sendRefusal(res, parsed.refusal, parsed.message);
    return;
  }

  const vapidProblem = await context.checkVapid({
    authorization: header(req, 'authorization'),
    cryptoKey: header(req, 'crypto-key'),
    expectedKey: channel.key,
    audience: context.origin(),
  });
  if (vapidProblem !== null) {
    sendRefusal(res, 'unauthorized', vapidProblem);
    return;
  }

  if (context.rateLimiter) {
    const retryAfter = context.rateLimiter.take(token, Date.now());
    if (retryAfter !== 0) {
      sendRefusal(res, 'tooManyRequests', 'rate limit exceeded for this subscription', retryAfter);
      return;
    }
  }

  const now = Date.now();
  const message: StoredMessage = {
    id: randomUUID(),
    uaid: channel.uaid,
    channelId: channel.channelId,
    ttl: parsed.ttl,
    expiresAt: now + parsed.ttl * 1000,
    topic: parsed.topic,
    urgency: parsed.urgency,
    headers: parsed.headers,
    data: body.length > 0 ? body.toString('base64url') : null,
    createdAt: now,
  };
  // RFC 8030 §5.2: TTL 0 is delivered only to a connected user agent and never stored.
  if (parsed.ttl > 0) {
    context.store.saveMessage(message);
    // RFC 8030 §5.2 lets a push service keep a message for less than its TTL: one subscription
    // flooded while its user agent is away must not grow the service without bound.
    context.store.trimChannel(channel.uaid, channel.channelId, context.maxWaitingPerSubscription);
  }
  const delivered = context.connections.deliver(message);
  context.emit('push:accepted', message, delivered);

  res.writeHead(201, {
    location: `${context.origin()}/m/${message.id}`,
    ttl: parsed.ttl,
    'content-length': 0,
  });
  res.end();
}
