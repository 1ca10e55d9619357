/**
 * Calls to the Herald server's public API (docs/payload.md), each failure turned into a
 * {@link HeraldClientError}: unreachable (network, CORS) or refused (a non-2xx answer, with the
 * server's `{ error: { code, message } }`).
 */
import { HeraldClientError } from './errors.js';

/**
 * Sends one request and returns the parsed JSON answer (`undefined` for 204).
 *
 * @example
 * ```ts
 * const { publicKey } = await callApi<{ publicKey: string }>('https://push.example.com', 'GET', '/vapid-public-key');
 * ```
 */
export async function callApi<T>(server: string, method: string, path: string, body?: unknown): Promise<T> {
  const where = `${method} ${path}`;
  let response: Response;
  try {
    response = await fetch(`${server.replace(/\/$/, '')}/api/v1${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
  } catch (cause) {
    throw new HeraldClientError(
      'ERR_SERVER_UNREACHABLE',
      `${where}: could not reach the Herald server at ${server}`,
      {
        cause,
      },
    );
  }
  if (!response.ok) {
    const detail = (await response.json().catch(() => undefined)) as
      | { error?: { code?: string; message?: string } }
      | undefined;
    const error = detail?.error;
    throw new HeraldClientError(
      'ERR_SERVER_REFUSED',
      `${where}: expected a 2xx answer, the Herald server answered ${response.status}${error ? ` ${error.code}: ${error.message}` : ''}`,
      { status: response.status, ...(error?.code ? { serverCode: error.code } : {}) },
    );
  }
  return (response.status === 204 ? undefined : await response.json()) as T;
}
