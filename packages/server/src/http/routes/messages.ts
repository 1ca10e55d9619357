import type { FastifyInstance } from 'fastify';
import { ServerError } from '../../errors.js';
import { buildPayload, type NotificationInput } from '../../push/payload.js';
import type { MessageTarget, Urgency } from '../../storage/storage.js';
import type { AppContext } from '../context.js';
import { errorResponses, idParams, topicSchema, userIdSchema } from '../schemas.js';
import { messageView } from '../views.js';

const tags = ['messages'];
const url = { type: 'string', minLength: 1, maxLength: 2048 } as const;

const notificationSchema = {
  type: 'object',
  required: ['title'],
  additionalProperties: false,
  properties: {
    title: { type: 'string', minLength: 1, maxLength: 500 },
    body: { type: 'string', maxLength: 3000 },
    icon: url,
    image: url,
    badge: url,
    url,
    tag: { type: 'string', maxLength: 200 },
    renotify: { type: 'boolean' },
    requireInteraction: { type: 'boolean' },
    silent: { type: 'boolean' },
    lang: { type: 'string', maxLength: 35 },
    dir: { type: 'string', enum: ['auto', 'ltr', 'rtl'] },
    actions: {
      type: 'array',
      maxItems: 4,
      items: {
        type: 'object',
        required: ['action', 'title'],
        additionalProperties: false,
        properties: {
          action: { type: 'string', minLength: 1, maxLength: 100 },
          title: { type: 'string', minLength: 1, maxLength: 200 },
          icon: url,
          url,
        },
      },
    },
    data: {},
  },
} as const;

const idList = (item: object) => ({ type: 'array', minItems: 1, maxItems: 10_000, items: item }) as const;

const messageResponse = { type: 'object', additionalProperties: true } as const;

/** RFC 8030 §5.2: TTL in seconds; 2419200 (28 days) is accepted by every push service. */
const maxTtl = 2_419_200;

/**
 * Admin routes over messages: create (202, queued for the worker), get with counts, list, cancel.
 *
 * @example
 * ```ts
 * await app.register((instance) => messageRoutes(instance, context), { prefix: '/api/v1' });
 * ```
 */
export async function messageRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.post<{
    Body: {
      to: { subscriptionIds?: string[]; userIds?: string[]; topics?: string[]; all?: true };
      notification: NotificationInput;
      ttl?: number;
      urgency?: Urgency;
      topic?: string;
      sendAt?: string;
      idempotencyKey?: string;
    };
  }>(
    '/messages',
    {
      schema: {
        tags,
        summary: 'Send a notification to subscriptions, users, topics or everyone',
        body: {
          type: 'object',
          required: ['to', 'notification'],
          additionalProperties: false,
          properties: {
            to: {
              type: 'object',
              minProperties: 1,
              maxProperties: 1,
              additionalProperties: false,
              properties: {
                subscriptionIds: idList({ type: 'string', minLength: 1, maxLength: 100 }),
                userIds: idList(userIdSchema),
                topics: { type: 'array', minItems: 1, maxItems: 32, items: topicSchema },
                all: { type: 'boolean', const: true },
              },
            },
            notification: notificationSchema,
            ttl: { type: 'integer', minimum: 0, maximum: maxTtl, default: 86_400 },
            urgency: { type: 'string', enum: ['very-low', 'low', 'normal', 'high'], default: 'normal' },
            // RFC 8030 §5.4: at most 32 characters of the base64url alphabet.
            topic: { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9_-]+$' },
            sendAt: { type: 'string', format: 'date-time' },
            idempotencyKey: { type: 'string', minLength: 1, maxLength: 200 },
          },
        },
        response: {
          202: { type: 'object', properties: { id: { type: 'string' }, status: { type: 'string' } } },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const body = request.body;
      const payload = buildPayload(body.notification, context.config.siteUrl);
      const to = body.to;
      const target: MessageTarget = to.all
        ? { all: true }
        : to.topics
          ? { topics: [...new Set(to.topics)] }
          : to.userIds
            ? { userIds: [...new Set(to.userIds)] }
            : { subscriptionIds: [...new Set(to.subscriptionIds ?? [])] };
      const sendAt = body.sendAt === undefined ? Date.now() : Date.parse(body.sendAt);
      const { message, created } = await context.storage.createMessage({
        target,
        payload,
        notification: body.notification as unknown as Record<string, unknown>,
        ttl: body.ttl ?? 86_400,
        urgency: body.urgency ?? 'normal',
        topic: body.topic ?? null,
        sendAt,
        idempotencyKey: body.idempotencyKey ?? null,
      });
      if (!created && message.payload !== payload) {
        throw new ServerError(
          'ERR_CONFLICT',
          `idempotencyKey "${body.idempotencyKey}" was used for message ${message.id} with a different notification`,
        );
      }
      const view = messageView(message);
      return reply.status(202).send({ id: view.id, status: view.status });
    },
  );

  app.get<{ Querystring: { cursor?: string; limit?: number } }>(
    '/messages',
    {
      schema: {
        tags,
        summary: 'List messages, newest first',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            cursor: { type: 'string', maxLength: 100 },
            limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              items: { type: 'array', items: messageResponse },
              nextCursor: { type: ['string', 'null'] },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const limit = request.query.limit ?? 50;
      const items = await context.storage.listMessages({
        limit,
        ...(request.query.cursor ? { before: request.query.cursor } : {}),
      });
      return {
        items: items.map((m) => messageView(m)),
        nextCursor: items.length === limit ? items.at(-1)!.id : null,
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/messages/:id',
    {
      schema: {
        tags,
        summary: 'A message with its counts',
        params: idParams,
        response: { 200: messageResponse, ...errorResponses },
      },
    },
    async (request) => {
      const message = await context.storage.getMessage(request.params.id);
      if (!message) throw new ServerError('ERR_NOT_FOUND', `no message with id "${request.params.id}"`);
      return messageView(message);
    },
  );

  app.post<{ Params: { id: string }; Querystring: { unlessStarted?: boolean } }>(
    '/messages/:id/cancel',
    {
      schema: {
        tags,
        summary: 'Cancel a message that has not finished (sends in flight may still land)',
        description:
          'With `unlessStarted=true` only a message still waiting (queued or scheduled) is cancelled: one ' +
          'that a worker has started sending is refused with 409 `ERR_CONFLICT` and keeps sending. ' +
          'The dashboard cancels scheduled messages this way.',
        params: idParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { unlessStarted: { type: 'boolean', default: false } },
        },
        response: { 200: messageResponse, ...errorResponses },
      },
    },
    async (request) => {
      const { id } = request.params;
      const before = await context.storage.getMessage(id);
      if (!before) throw new ServerError('ERR_NOT_FOUND', `no message with id "${id}"`);
      const message = await context.storage.cancelMessage(
        id,
        request.query.unlessStarted ? ['queued'] : ['queued', 'sending'],
      );
      if (message?.status === 'cancelled' && before.status !== 'cancelled') return messageView(message);
      const now = message?.status ?? before.status;
      throw new ServerError(
        'ERR_CONFLICT',
        now === 'sending'
          ? `message ${id} has started sending and unlessStarted was set, so it was not cancelled`
          : `message ${id} is ${now} and cannot be cancelled`,
      );
    },
  );
}
