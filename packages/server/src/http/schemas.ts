/** JSON schemas shared by several routes (Fastify validates with them; @fastify/swagger documents them). */

export const topicSchema = {
  type: 'string',
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Za-z0-9_.:-]+$',
} as const;

export const topicsSchema = { type: 'array', maxItems: 32, items: topicSchema } as const;

export const userIdSchema = { type: 'string', minLength: 1, maxLength: 200 } as const;

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

/** A `PushSubscription.toJSON()`. */
export const pushSubscriptionSchema = {
  type: 'object',
  required: ['endpoint', 'keys'],
  properties: {
    endpoint: { type: 'string', minLength: 1, maxLength: 2048 },
    expirationTime: { type: ['number', 'null'] },
    keys: {
      type: 'object',
      required: ['p256dh', 'auth'],
      properties: {
        p256dh: { type: 'string', minLength: 1, maxLength: 200 },
        auth: { type: 'string', minLength: 1, maxLength: 200 },
      },
    },
  },
} as const;

/** A subscription as the admin API shows it. */
export const subscriptionSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    endpoint: { type: 'string' },
    keys: { type: 'object', properties: { p256dh: { type: 'string' }, auth: { type: 'string' } } },
    contentEncoding: { type: 'string' },
    vapidKeyId: { type: 'string' },
    pushService: { type: 'string' },
    topics: { type: 'array', items: { type: 'string' } },
    userId: { type: ['string', 'null'] },
    configError: {
      type: ['string', 'null'],
      description:
        'The last configuration problem a push service reported for this subscription (it answered 400, 401 or 403, e.g. a VAPID key that does not match); null when none. The subscription is kept.',
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const errorResponses = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  409: { $ref: 'Error#' },
  413: { $ref: 'Error#' },
  429: { $ref: 'Error#' },
} as const;
