import type { ContentEncoding, Urgency } from '../storage/storage.js';

/** One push to send: the subscription, the key to sign with, and the message's headers. */
export interface PushRequest {
  endpoint: string;
  p256dh: string;
  auth: string;
  contentEncoding: ContentEncoding;
  /** The VAPID key pair the subscription was made with (base64url). */
  vapidKey: { publicKey: string; privateKey: string };
  /** The VAPID `sub` claim, when configured. */
  vapidSubject: string | undefined;
  payload: string;
  /** RFC 8030 §5.2: seconds the push service keeps the message. */
  ttl: number;
  /** RFC 8030 §5.3. */
  urgency: Urgency;
  /** RFC 8030 §5.4: replaces an undelivered message with the same topic. */
  topic: string | null;
}

/** What the push service answered. */
export interface PushResponse {
  status: number;
  /** The `Retry-After` delay in milliseconds, when the push service sent one. */
  retryAfterMs: number | undefined;
  /** The start of the body, for error reports. */
  body: string;
}

/** A push whose encryption has started; {@link PreparedPush.send} POSTs it. */
export interface PreparedPush {
  /**
   * Sends the push with `ttl` (RFC 8030 §5.2: the TTL that remains now, which may be less than
   * when it was prepared). Rejects like {@link PushSender.send}, and with the encryption's error.
   */
  send(ttl: number): Promise<PushResponse>;
}

/**
 * Sends one push. Implementations encrypt (RFC 8291), sign (RFC 8292) and POST (RFC 8030); they
 * resolve with the push service's answer whatever its status, and reject only when no answer
 * came (network error, timeout), which the worker treats as transient.
 *
 * @example
 * ```ts
 * const response = await sender.send(request);
 * if (response.status === 410) prune();
 * ```
 */
export interface PushSender {
  send(request: PushRequest): Promise<PushResponse>;
  /**
   * Starts the encryption of a push that will be sent later: the worker prepares the pushes
   * waiting for a slot in blocks, so that their key agreements travel to the crypto threads in
   * batches, then sends each as a slot frees up. Optional: without it, the worker calls `send`.
   */
  prepare?(request: PushRequest): PreparedPush;
  close(): Promise<void>;
}
