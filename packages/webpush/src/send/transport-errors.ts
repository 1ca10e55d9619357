import { describeValue } from '../describe-value.js';
import { WebPushError } from '../errors.js';
import type { PushRequest } from '../push-request.js';

/** The errors every transport rejects with (see `Transport`); internal to the package. */

/** The `ERR_TIMEOUT` error transports reject with. */
export function timeoutError(request: PushRequest, timeout: number, cause?: unknown): WebPushError {
  return new WebPushError(
    'ERR_TIMEOUT',
    `no complete answer from ${request.origin} within ${timeout} ms`,
    cause === undefined ? undefined : { cause },
  );
}

/** The `ERR_TRANSPORT_CLOSED` error transports reject with. */
export function closedError(): WebPushError {
  return new WebPushError('ERR_TRANSPORT_CLOSED', 'the transport is closed: create a new one to send more');
}

/** The `ERR_NETWORK` error transports reject with when no complete answer arrived. */
export function networkError(request: PushRequest, cause: unknown): WebPushError {
  let detail = cause instanceof Error ? cause.message : describeValue(cause);
  // fetch() says only "fetch failed"; the reason (ECONNREFUSED, a reset) is its cause.
  const inner = cause instanceof Error ? cause.cause : undefined;
  if (inner instanceof Error && inner.message !== '') detail += ` (${inner.message})`;
  return new WebPushError('ERR_NETWORK', `request to ${request.origin} failed: ${detail}`, { cause });
}
