import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';

/**
 * Operational routes: `/healthz` (the database answers; configuration warnings) and `/metrics`
 * (Prometheus text format).
 *
 * @example
 * ```ts
 * await app.register((instance) => opsRoutes(instance, context));
 * ```
 */
export async function opsRoutes(
  app: FastifyInstance,
  context: AppContext,
  warnings: string[],
): Promise<void> {
  app.get(
    '/healthz',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness and readiness: the database answers',
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              storage: { type: 'string' },
              warnings: { type: 'array', items: { type: 'string' } },
            },
          },
        },
      },
    },
    async () => {
      await context.storage.countSubscriptions();
      return { status: 'ok', storage: context.storage.dialect, warnings };
    },
  );

  app.get(
    '/metrics',
    { schema: { tags: ['operations'], summary: 'Prometheus metrics' } },
    async (_request, reply) => {
      const queue = await context.storage.queueDepth();
      return reply.type('text/plain; version=0.0.4').send(context.metrics.render(queue));
    },
  );
}
