import type { FastifyInstance } from 'fastify';
import { ServerError } from '../../errors.js';
import type { AppContext } from '../context.js';
import { errorResponses, idParams, subscriptionSchema, topicSchema, userIdSchema } from '../schemas.js';
import { subscriptionView } from '../views.js';

const tags = ['subscriptions'];

/**
 * Admin routes over subscriptions: list (filters, cursor), get, delete, link to a user, and
 * link tokens for the browser-side linking flow.
 *
 * @example
 * ```ts
 * await app.register((instance) => adminSubscriptionRoutes(instance, context), { prefix: '/api/v1' });
 * ```
 */
export async function adminSubscriptionRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get<{ Querystring: { topic?: string; userId?: string; cursor?: string; limit?: number } }>(
    '/subscriptions',
    {
      schema: {
        tags,
        summary: 'List subscriptions in id order, filtered by topic and/or user',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            topic: topicSchema,
            userId: userIdSchema,
            cursor: { type: 'string', maxLength: 100 },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: subscriptionSchema },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 100;
      const items = await context.storage.listSubscriptions({
        limit,
        ...(request.query.topic ? { topic: request.query.topic } : {}),
        ...(request.query.userId ? { userId: request.query.userId } : {}),
        ...(request.query.cursor ? { after: request.query.cursor } : {}),
      });
      return {
        items: items.map(subscriptionView),
        nextCursor: items.length === limit ? items.at(-1)!.id : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Get a subscription',
        params: idParams,
        response: { 200: subscriptionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const subscription = await context.storage.getSubscription(request.params.id);
      if (!subscription)
        throw new ServerError('ERR_NOT_FOUND', `no subscription with id "${request.params.id}"`);
      return subscriptionView(subscription);
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/subscriptions/:id',
    {
      schema: {
        tags,
        summary: 'Delete a subscription',
        params: idParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await context.storage.deleteSubscription(request.params.id))) {
        throw new ServerError('ERR_NOT_FOUND', `no subscription with id "${request.params.id}"`);
      }
      return reply.status(204).send();
    },
  );

  app.put<{ Params: { id: string }; Body: { userId: string | null } }>(
    '/subscriptions/:id/user',
    {
      schema: {
        tags,
        summary: "Link a subscription to the site's user id (null unlinks)",
        params: idParams,
        body: {
          type: 'object',
          required: ['userId'],
          additionalProperties: false,
          properties: { userId: { anyOf: [userIdSchema, { type: 'null' }] } },
        },
        response: { 200: subscriptionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const updated = await context.storage.setSubscriptionUser(request.params.id, request.body.userId);
      if (!updated) throw new ServerError('ERR_NOT_FOUND', `no subscription with id "${request.params.id}"`);
      return subscriptionView(updated);
    },
  );

  app.post<{ Body: { userId: string; ttlSeconds?: number } }>(
    '/link-tokens',
    {
      schema: {
        tags,
        summary: "A short-lived token the site's page uses to link its subscription to this user",
        body: {
          type: 'object',
          required: ['userId'],
          additionalProperties: false,
          properties: {
            userId: userIdSchema,
            ttlSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 600 },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: { token: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { token, expiresAt } = context.linkTokens.sign(
        request.body.userId,
        request.body.ttlSeconds ?? 600,
      );
      return reply.status(201).send({ token, expiresAt: new Date(expiresAt).toISOString() });
    },
  );
}
