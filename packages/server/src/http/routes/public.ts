import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ServerError } from '../../errors.js';
import { prepareSubscription } from '../../push/prepare-subscription.js';
import type { SubscriptionRecord } from '../../storage/storage.js';
import type { AppContext } from '../context.js';
import { CorsPolicy } from '../cors.js';
import { RateLimiter } from '../rate-limit.js';
import { errorResponses, idParams, pushSubscriptionSchema, topicsSchema } from '../schemas.js';
import { receiptRoutes } from './receipts.js';

const proofSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

/**
 * Proof of possession: the caller must present the subscription's `auth` secret (RFC 8291 §2,
 * known only to the browser and to this server), compared in constant time. Knowing an id is
 * never enough to change or delete a subscription.
 */
async function provenSubscription(
  context: AppContext,
  id: string,
  auth: string,
): Promise<SubscriptionRecord> {
  const subscription = await context.storage.getSubscription(id);
  if (!subscription) throw new ServerError('ERR_NOT_FOUND', `no subscription with id "${id}"`);
  const presented = Buffer.from(auth.replace(/=+$/, ''));
  const stored = Buffer.from(subscription.auth);
  if (presented.length !== stored.length || !timingSafeEqual(presented, stored)) {
    throw new ServerError('ERR_FORBIDDEN', "auth does not match the subscription's auth secret");
  }
  return subscription;
}

/**
 * The public API, called by browsers: rate-limited per client address and CORS-checked.
 *
 * @example
 * ```ts
 * await app.register((instance) => publicRoutes(instance, context), { prefix: '/api/v1' });
 * ```
 */
export async function publicRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  const cors = new CorsPolicy(context.config.corsOrigins);
  const limiter = new RateLimiter(context.config.rateLimit);
  const tags = ['public'];

  app.addHook('onRequest', async (request, reply) => {
    cors.apply(request, reply);
    limiter.hit(request.ip);
  });
  app.options('/*', { schema: { hide: true } }, async (request, reply) => cors.preflight(request, reply));

  app.get(
    '/vapid-public-key',
    {
      schema: {
        tags,
        summary: 'The VAPID public key browsers subscribe with (applicationServerKey)',
        response: { 200: { type: 'object', properties: { publicKey: { type: 'string' } } } },
      },
    },
    async () => ({ publicKey: (await context.keys.active()).publicKey }),
  );

  app.post<{
    Body: {
      subscription: { endpoint: string; keys: { p256dh: string; auth: string } };
      topics?: string[];
      applicationServerKey?: string;
      contentEncoding?: 'aes128gcm' | 'aesgcm';
      replaces?: { id: string; auth: string };
    };
  }>(
    '/subscriptions',
    {
      schema: {
        tags,
        summary: 'Register a push subscription (the same endpoint again updates it and keeps its id)',
        body: {
          type: 'object',
          required: ['subscription'],
          additionalProperties: false,
          properties: {
            subscription: pushSubscriptionSchema,
            topics: topicsSchema,
            applicationServerKey: { type: 'string', minLength: 1, maxLength: 200 },
            contentEncoding: { type: 'string', enum: ['aes128gcm', 'aesgcm'] },
            replaces: {
              type: 'object',
              required: ['id', 'auth'],
              additionalProperties: false,
              properties: { id: idParams.properties.id, auth: proofSchema },
            },
          },
        },
        response: {
          200: { type: 'object', properties: { id: { type: 'string' } } },
          201: { type: 'object', properties: { id: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const input = await prepareSubscription(
        {
          endpoint: body.subscription.endpoint,
          p256dh: body.subscription.keys.p256dh,
          auth: body.subscription.keys.auth,
          applicationServerKey: body.applicationServerKey,
          contentEncoding: body.contentEncoding,
          topics: body.topics,
        },
        context.endpoints,
        context.keys,
      );
      // A browser whose subscription changed (pushsubscriptionchange, key rotation) proves it
      // held the old one and retires it, so the old endpoint is not sent to again.
      const replaced = body.replaces
        ? await provenSubscription(context, body.replaces.id, body.replaces.auth)
        : null;
      const { id, created } = await context.storage.upsertSubscription(
        replaced && input.topics === undefined
          ? { ...input, topics: replaced.topics, userId: replaced.userId }
          : input,
      );
      if (replaced && replaced.id !== id) await context.storage.deleteSubscription(replaced.id);
      return reply.status(created ? 201 : 200).send({ id });
    },
  );

  app.put<{ Params: { id: string }; Body: { auth: string; topics: string[] } }>(
    '/subscriptions/:id/topics',
    {
      schema: {
        tags,
        summary: "Replace a subscription's topics (proof: its auth secret)",
        params: idParams,
        body: {
          type: 'object',
          required: ['auth', 'topics'],
          additionalProperties: false,
          properties: { auth: proofSchema, topics: topicsSchema },
        },
        response: {
          200: {
            type: 'object',
            properties: { id: { type: 'string' }, topics: { type: 'array', items: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await provenSubscription(context, request.params.id, request.body.auth);
      const updated = await context.storage.setSubscriptionTopics(request.params.id, [
        ...new Set(request.body.topics),
      ]);
      if (!updated) throw new ServerError('ERR_NOT_FOUND', `no subscription with id "${request.params.id}"`);
      return { id: updated.id, topics: updated.topics };
    },
  );

  app.post<{ Params: { id: string }; Body: { auth: string } }>(
    '/subscriptions/:id/unsubscribe',
    {
      schema: {
        tags,
        summary: 'Delete a subscription from the browser (proof: its auth secret)',
        params: idParams,
        body: {
          type: 'object',
          required: ['auth'],
          additionalProperties: false,
          properties: { auth: proofSchema },
        },
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      await provenSubscription(context, request.params.id, request.body.auth);
      await context.storage.deleteSubscription(request.params.id);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: string }; Body: { auth: string; token: string } }>(
    '/subscriptions/:id/link',
    {
      schema: {
        tags,
        summary: "Link a subscription to the site's user with a link token from the site's backend",
        params: idParams,
        body: {
          type: 'object',
          required: ['auth', 'token'],
          additionalProperties: false,
          properties: { auth: proofSchema, token: { type: 'string', minLength: 1, maxLength: 1000 } },
        },
        response: {
          200: { type: 'object', properties: { id: { type: 'string' }, userId: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const userId = context.linkTokens.verify(request.body.token);
      if (userId === undefined) {
        throw new ServerError('ERR_UNAUTHORIZED', 'the link token is malformed, forged or expired');
      }
      await provenSubscription(context, request.params.id, request.body.auth);
      const updated = await context.storage.setSubscriptionUser(request.params.id, userId);
      if (!updated) throw new ServerError('ERR_NOT_FOUND', `no subscription with id "${request.params.id}"`);
      return { id: updated.id, userId };
    },
  );

  // Receipts share this scope's CORS check and per-client rate limit.
  await receiptRoutes(app, context);
}
