import type { FastifyInstance } from 'fastify';
import type { ReceiptInput } from '../../storage/storage.js';
import type { AppContext } from '../context.js';
import { errorResponses } from '../schemas.js';

/** The most receipts one request may carry (@herald/sw batches pending ones up to this). */
export const maxReceiptsPerRequest = 100;

const idSchema = { type: 'string', minLength: 1, maxLength: 100 } as const;

/**
 * `POST /receipts`: the service worker reports that a delivery was shown (`delivered`), clicked
 * or closed (docs/payload.md). Registered inside the public routes, so it is CORS-checked and
 * rate-limited per client like them. Each receipt must carry its delivery's token (see
 * `ReceiptTokens`); receipts with a wrong token are ignored, and each (message, subscription,
 * event) counts once, so neither forging nor replaying moves a message's counts.
 *
 * @example
 * ```ts
 * await receiptRoutes(app, context); // inside the public routes plugin
 * ```
 */
export async function receiptRoutes(app: FastifyInstance, context: AppContext): Promise<void> {
  app.post<{
    Body: {
      receipts: { message: string; subscription: string; receipt: string; event: ReceiptInput['event'] }[];
    };
  }>(
    '/receipts',
    {
      schema: {
        tags: ['public'],
        summary: 'Report deliveries shown, clicked or closed (from @herald/sw, with per-delivery tokens)',
        body: {
          type: 'object',
          required: ['receipts'],
          additionalProperties: false,
          properties: {
            receipts: {
              type: 'array',
              minItems: 1,
              maxItems: maxReceiptsPerRequest,
              items: {
                type: 'object',
                required: ['message', 'subscription', 'receipt', 'event'],
                additionalProperties: false,
                properties: {
                  message: idSchema,
                  subscription: idSchema,
                  receipt: { type: 'string', minLength: 1, maxLength: 64 },
                  event: { type: 'string', enum: ['delivered', 'clicked', 'closed'] },
                },
              },
            },
          },
        },
        response: {
          202: {
            type: 'object',
            properties: { accepted: { type: 'integer' }, counted: { type: 'integer' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const valid = request.body.receipts.filter((r) =>
        context.receipts.verify(r.message, r.subscription, r.receipt),
      );
      const counted = valid.length
        ? await context.storage.recordReceipts(
            valid.map((r) => ({ messageId: r.message, subscriptionId: r.subscription, event: r.event })),
            Date.now(),
          )
        : 0;
      // accepted: receipts with a valid token; counted: those not seen before.
      return reply.status(202).send({ accepted: valid.length, counted });
    },
  );
}
