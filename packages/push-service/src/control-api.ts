import type { IncomingMessage, ServerResponse } from 'node:http';
import { PushServiceError } from './errors.js';
import type { FaultRule } from './faults.js';
import type { PushService } from './service.js';

/** The prefix of every control API route. */
export const controlPrefix = '/_herald/';

function send(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 65_536) throw new PushServiceError('ERR_INVALID_OPTION', 'control request body over 64 KiB');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString());
  } catch (error) {
    throw new PushServiceError('ERR_INVALID_OPTION', 'control request body must be JSON', { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new PushServiceError(
      'ERR_INVALID_OPTION',
      `control request body must be a JSON object, got ${JSON.stringify(value)}`,
    );
  }
  return value as Record<string, unknown>;
}

function target(body: Record<string, unknown>): { uaid?: string; endpoint?: string } {
  const out: { uaid?: string; endpoint?: string } = {};
  if (typeof body.uaid === 'string') out.uaid = body.uaid;
  if (typeof body.endpoint === 'string') out.endpoint = body.endpoint;
  if (out.uaid === undefined && out.endpoint === undefined) {
    throw new PushServiceError(
      'ERR_INVALID_OPTION',
      `expected {"uaid": ...} or {"endpoint": ...}, got ${JSON.stringify(body)}`,
    );
  }
  return out;
}

/**
 * The control HTTP API (enabled by `control: true` / `--control`), the out-of-process face of
 * fault injection. Documented in the package README; every answer is JSON, errors are
 * `{code, error}` with status 400 (bad request) or 404 (unknown uaid/endpoint/rule).
 */
export async function handleControl(
  service: PushService,
  path: string,
  req: IncomingMessage,
  res: ServerResponse,
) {
  try {
    const route = `${req.method} ${path.slice(controlPrefix.length - 1)}`;
    if (route === 'GET /status') return send(res, 200, service.status());
    if (route === 'GET /faults') return send(res, 200, { rules: service.faults.list() });
    if (route === 'POST /faults') {
      const id = service.faults.add((await readJson(req)) as unknown as FaultRule);
      return send(res, 201, { id });
    }
    if (route === 'DELETE /faults') {
      service.faults.clear();
      return send(res, 200, { cleared: true });
    }
    if (req.method === 'DELETE' && path.startsWith(`${controlPrefix}faults/`)) {
      const removed = service.faults.remove(path.slice(`${controlPrefix}faults/`.length));
      return send(
        res,
        removed ? 200 : 404,
        removed ? { removed: true } : { code: 'ERR_UNKNOWN_CLIENT', error: 'no such rule' },
      );
    }
    if (route === 'POST /refuse-connections') {
      const body = await readJson(req);
      service.faults.refuseConnections = body.refuse !== false;
      return send(res, 200, { refuseConnections: service.faults.refuseConnections });
    }
    if (route === 'POST /disconnect') {
      const body = await readJson(req);
      const backoff = body.backoff === true;
      if (body.all === true)
        return send(res, 200, { disconnected: service.disconnect(undefined, { backoff }) });
      return send(res, 200, { disconnected: service.disconnect(target(body), { backoff }) });
    }
    if (route === 'POST /expire') {
      const body = await readJson(req);
      if (typeof body.endpoint !== 'string') {
        throw new PushServiceError(
          'ERR_INVALID_OPTION',
          `expected {"endpoint": ...}, got ${JSON.stringify(body)}`,
        );
      }
      service.expireSubscription(body.endpoint);
      return send(res, 200, { expired: true });
    }
    if (route === 'POST /reset-uaid') {
      return send(res, 200, { reset: service.resetUserAgent(target(await readJson(req))) });
    }
    return send(res, 404, { code: 'ERR_INVALID_OPTION', error: `no control route ${route}` });
  } catch (error) {
    if (error instanceof PushServiceError) {
      return send(res, error.code === 'ERR_UNKNOWN_CLIENT' ? 404 : 400, {
        code: error.code,
        error: error.message,
      });
    }
    throw error;
  }
}
