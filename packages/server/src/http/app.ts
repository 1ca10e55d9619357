import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { ServerError } from '../errors.js';
import { requireApiKey } from './admin-auth.js';
import type { AppContext } from './context.js';
import { errorSchema, toServerError } from './errors.js';
import { adminSubscriptionRoutes } from './routes/admin-subscriptions.js';
import { dashboardDir, dashboardRoutes } from './routes/dashboard.js';
import { importRoutes } from './routes/import.js';
import { keyRoutes } from './routes/keys.js';
import { messageRoutes } from './routes/messages.js';
import { opsRoutes } from './routes/ops.js';
import { publicRoutes } from './routes/public.js';
import { statsRoutes } from './routes/stats.js';

/** Options of {@link buildApp}. */
export interface AppOptions {
  /** Fastify's logger option: `true` for JSON logs on stdout, `false` in tests. */
  logger?: FastifyServerOptions['logger'];
  /** Largest JSON body, in bytes (default 64 KiB); larger bodies get 413. */
  bodyLimit?: number;
  /** Configuration warnings reported by /healthz. */
  warnings?: string[];
}

/**
 * Builds the Fastify application with every route. It does not listen; the caller does
 * (`app.listen`) or injects requests (`app.inject`).
 *
 * @example
 * ```ts
 * const app = await buildApp(context, { logger: true });
 * await app.listen({ port: 3000 });
 * ```
 */
export async function buildApp(context: AppContext, options: AppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? false,
    // One log line per request would cost more than the request on the subscribe path; requests
    // are counted and timed in /metrics, and errors are logged with their request.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: options.bodyLimit ?? 65_536,
    // close() ends idle keep-alive connections rather than wait for clients to drop them. Node's
    // requestTimeout (300 s for a whole request) stays: a 100,000-entry import streams for a while.
    forceCloseConnections: 'idle',
    trustProxy: context.config.trustProxy,
    // Unknown properties are refused (additionalProperties: false), never silently dropped, so a
    // typo in a field name is an error the caller sees.
    ajv: { customOptions: { removeAdditional: false, allErrors: false } },
  });

  // The API speaks JSON only; a text/plain body is answered 415 instead of failing validation.
  app.removeContentTypeParser('text/plain');
  app.addSchema(errorSchema);
  app.setErrorHandler((error, request, reply) => {
    const mapped = toServerError(error);
    if (mapped.status >= 500) request.log.error({ err: error }, 'request failed');
    return reply
      .status(mapped.status)
      .headers(mapped.headers)
      .send({ error: { code: mapped.code, message: mapped.message } });
  });
  app.setNotFoundHandler((request) => {
    throw new ServerError('ERR_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`);
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unknown';
    context.metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    context.metrics.requestSeconds.observe({ route }, reply.elapsedTime / 1000);
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Herald API',
        version: '1',
        description:
          'Self-hosted Web Push. Public routes are called by browsers; admin routes need `Authorization: Bearer <api key>`. ' +
          'Every error is `{ "error": { "code", "message" } }` (see docs/errors.md).',
      },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register((instance) => publicRoutes(instance, context), { prefix: '/api/v1' });
  await app.register(
    async (instance) => {
      instance.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, security: [{ apiKey: [] }] };
      });
      // onRequest runs before the body is read: a caller without a valid key learns nothing from
      // validation errors and never makes the server parse (or stream) its body.
      instance.addHook('onRequest', async (request) => requireApiKey(context, request));
      await instance.register((inner) => adminSubscriptionRoutes(inner, context));
      await instance.register((inner) => messageRoutes(inner, context));
      await instance.register((inner) => keyRoutes(inner, context));
      await instance.register((inner) => importRoutes(inner, context));
      await instance.register((inner) => statsRoutes(inner, context));
    },
    { prefix: '/api/v1' },
  );
  await app.register((instance) => opsRoutes(instance, context, options.warnings ?? []));
  await app.register((instance) => dashboardRoutes(instance, dashboardDir()));
  return app;
}
