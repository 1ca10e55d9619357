import type { FastifyError } from 'fastify';
import { ServerError } from '../errors.js';

interface WithCode {
  code?: unknown;
  statusCode?: unknown;
  validation?: unknown;
  message?: unknown;
}

/**
 * Maps anything a route or Fastify throws to a {@link ServerError}: the one place where
 * framework error codes become Herald's, so every answer has the `{ error: { code, message } }`
 * shape and unexpected errors never leak their text.
 *
 * @example
 * ```ts
 * toServerError(new Error('boom')).code; // 'ERR_INTERNAL'
 * ```
 */
export function toServerError(error: unknown): ServerError {
  if (error instanceof ServerError) return error;
  const e = (error ?? {}) as WithCode & Partial<FastifyError>;
  const message = typeof e.message === 'string' ? e.message : String(error);
  if (e.validation) return new ServerError('ERR_INVALID_REQUEST', message, { cause: error });
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ServerError('ERR_BODY_TOO_LARGE', message, { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ServerError('ERR_UNSUPPORTED_MEDIA_TYPE', message, { cause: error });
    case 'ERR_INVALID_BASE64URL':
    case 'ERR_INVALID_KEY':
    case 'ERR_INVALID_ARGUMENT':
      return new ServerError('ERR_INVALID_REQUEST', message, { cause: error });
  }
  // Fastify's body parsers answer malformed JSON, empty bodies and bad content lengths with a
  // 4xx FastifyError; those are the client's mistakes, reported as invalid requests.
  if (
    typeof e.statusCode === 'number' &&
    e.statusCode >= 400 &&
    e.statusCode < 500 &&
    typeof e.code === 'string'
  ) {
    if (e.statusCode === 413) return new ServerError('ERR_BODY_TOO_LARGE', message, { cause: error });
    if (e.statusCode === 415) return new ServerError('ERR_UNSUPPORTED_MEDIA_TYPE', message, { cause: error });
    return new ServerError('ERR_INVALID_REQUEST', message, { cause: error });
  }
  return new ServerError('ERR_INTERNAL', 'an unexpected error occurred; the server log has the details', {
    cause: error,
  });
}

/** The JSON schema of an error answer, for the OpenAPI document. */
export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
