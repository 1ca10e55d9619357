import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { errorResponses } from '../schemas.js';

/**
 * `GET /stats` (admin): subscriber totals by push service, and the subscriber history by day
 * (created, removed, held at the end of the day; removed subscriptions stay in it), for the
 * dashboard's charts.
 *
 * @example
 * ```ts
 * await instance.register((inner) => statsRoutes(inner, context));
 * ```
 */
export async function statsRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const counted = (key: string) => ({
    type: 'array',
    items: { type: 'object', properties: { [key]: { type: 'string' }, count: { type: 'integer' } } },
  });
  app.get(
    '/stats',
    {
      schema: {
        tags: ['stats'],
        summary: 'Subscribers in total, by push service, and day by day (added, removed, held)',
        response: {
          200: {
            type: 'object',
            properties: {
              subscriptions: {
                type: 'object',
                properties: {
                  total: { type: 'integer' },
                  byPushService: counted('pushService'),
                  byDay: {
                    type: 'array',
                    items: {
                      type: 'object',
                      properties: {
                        day: { type: 'string' },
                        added: { type: 'integer' },
                        removed: { type: 'integer' },
                        total: { type: 'integer' },
                      },
                    },
                  },
                },
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async () => ({ subscriptions: await context.storage.subscriptionStats() }),
  );
}
