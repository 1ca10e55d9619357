import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * CORS for the public API only (the admin API is called by servers and the same-origin
 * dashboard, never cross-origin). Written here rather than with @fastify/cors because the rule
 * is one list of origins applied to one group of routes, and the preflight answer is three headers.
 *
 * @example
 * ```ts
 * const cors = new CorsPolicy(['https://example.com']);
 * app.addHook('onRequest', (request, reply, done) => { cors.apply(request, reply); done(); });
 * ```
 */
export class CorsPolicy {
  readonly #any: boolean;
  readonly #origins: Set<string>;

  constructor(origins: string[]) {
    this.#any = origins.includes('*');
    this.#origins = new Set(origins.filter((o) => o !== '*'));
  }

  /** Adds the CORS headers when the request's origin is allowed. */
  apply(request: FastifyRequest, reply: FastifyReply): void {
    const origin = request.headers.origin;
    if (origin === undefined) return;
    reply.header('vary', 'Origin');
    if (this.#any || this.#origins.has(origin)) reply.header('access-control-allow-origin', origin);
  }

  /** Answers a preflight (`OPTIONS`) request. */
  preflight(request: FastifyRequest, reply: FastifyReply): void {
    this.apply(request, reply);
    reply
      .header('access-control-allow-methods', 'GET, POST, PUT, DELETE')
      .header('access-control-allow-headers', 'content-type')
      .header('access-control-max-age', '600')
      .status(204)
      .send();
  }
}
