import type { FastifyRequest } from 'fastify';
import { verifyApiKey } from '../auth/api-keys.js';
import { ServerError } from '../errors.js';
import type { AppContext } from './context.js';

/**
 * The admin routes' guard: `Authorization: Bearer <api key>`, checked against the stored hashes
 * in constant time. Anything else is 401, and the answer never says which part was wrong.
 *
 * @example
 * ```ts
 * app.addHook('preHandler', (request) => requireApiKey(context, request));
 * ```
 */
export async function requireApiKey(context: AppContext, request: FastifyRequest): Promise<void> {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Bearer ([\x21-\x7e]{1,200})$/i.exec(header);
  const who = match ? await verifyApiKey(context.storage, match[1]!, context.config.apiKey) : undefined;
  if (who === undefined) {
    throw new ServerError(
      'ERR_UNAUTHORIZED',
      'admin routes need the header Authorization: Bearer <api key>',
      {
        headers: { 'www-authenticate': 'Bearer' },
      },
    );
  }
  if (who !== 'env') await context.storage.touchApiKey(who, Date.now());
}
