import type { FastifyInstance } from 'fastify';
import { createApiKey } from '../../auth/api-keys.js';
import { ServerError } from '../../errors.js';
import { checkVapidPublicKey } from '../../push/subscription-keys.js';
import { checkKeyPair } from '../../push/vapid-pair.js';
import type { VapidKeyRecord } from '../../storage/storage.js';
import type { AppContext } from '../context.js';
import { errorResponses, idParams } from '../schemas.js';

const vapidKeyView = (k: VapidKeyRecord) => ({
  id: k.id,
  publicKey: k.publicKey,
  active: k.active,
  createdAt: new Date(k.createdAt).toISOString(),
});
const vapidKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    publicKey: { type: 'string' },
    active: { type: 'boolean' },
    createdAt: { type: 'string', format: 'date-time' },
  },
} as const;
const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    lastUsedAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
  },
} as const;
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());

/**
 * Admin routes over VAPID keys (list, rotate, import) and API keys (list, create, revoke).
 *
 * @example
 * ```ts
 * await app.register((instance) => keyRoutes(instance, context), { prefix: '/api/v1' });
 * ```
 */
export async function keyRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.get(
    '/vapid-keys',
    {
      schema: {
        tags: ['vapid-keys'],
        summary: 'The VAPID key pairs held (public halves); new subscriptions use the active one',
        response: {
          200: { type: 'object', properties: { items: { type: 'array', items: vapidKeySchema } } },
        },
      },
    },
    async () => ({ items: (await context.storage.listVapidKeys()).map(vapidKeyView) }),
  );

  app.post(
    '/vapid-keys/rotate',
    {
      schema: {
        tags: ['vapid-keys'],
        summary: 'Generate a new active key; existing subscriptions keep sending with their own key',
        response: { 201: vapidKeySchema, ...errorResponses },
      },
    },
    async (_request, reply) => reply.status(201).send(vapidKeyView(await context.keys.rotate())),
  );

  app.post<{ Body: { publicKey: string; privateKey: string; activate?: boolean } }>(
    '/vapid-keys/import',
    {
      schema: {
        tags: ['vapid-keys'],
        summary: 'Import the key pair another tool used, so its subscribers keep working',
        body: {
          type: 'object',
          required: ['publicKey', 'privateKey'],
          additionalProperties: false,
          properties: {
            publicKey: { type: 'string', minLength: 1, maxLength: 200 },
            privateKey: { type: 'string', minLength: 1, maxLength: 200 },
            activate: { type: 'boolean', default: false },
          },
        },
        response: { 201: vapidKeySchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { publicKey, privateKey, activate } = request.body;
      await checkVapidPublicKey(publicKey, 'publicKey');
      const key = await context.keys.add(await checkKeyPair(publicKey, privateKey), activate ?? false);
      return reply.status(201).send(vapidKeyView(key));
    },
  );

  app.get(
    '/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'The admin API keys (never their secrets)',
        response: { 200: { type: 'object', properties: { items: { type: 'array', items: apiKeySchema } } } },
      },
    },
    async () => ({
      items: (await context.storage.listApiKeys()).map((k) => ({
        id: k.id,
        name: k.name,
        createdAt: iso(k.createdAt),
        lastUsedAt: iso(k.lastUsedAt),
        revokedAt: iso(k.revokedAt),
      })),
    }),
  );

  app.post<{ Body: { name: string } }>(
    '/api-keys',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Create an admin API key; the key is in this answer only',
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
        },
        response: {
          201: {
            type: 'object',
            properties: { id: { type: 'string' }, name: { type: 'string' }, key: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { key, record } = await createApiKey(context.storage, request.body.name);
      return reply.status(201).send({ id: record.id, name: record.name, key });
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api-keys/:id',
    {
      schema: {
        tags: ['api-keys'],
        summary: 'Revoke an admin API key',
        params: idParams,
        response: { 204: { type: 'null' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      if (!(await context.storage.revokeApiKey(request.params.id))) {
        throw new ServerError('ERR_NOT_FOUND', `no active API key with id "${request.params.id}"`);
      }
      return reply.status(204).send();
    },
  );
}
