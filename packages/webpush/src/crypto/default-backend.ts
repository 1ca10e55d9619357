/**
 * `defaultBackend`: the backend the public API uses by default. The `#backend` import resolves per runtime
 * through the package's `imports` conditions: `node:crypto` on Node, WebCrypto on Deno, Bun,
 * workerd and in browsers (those are listed before `node`, since Deno and Bun match it too).
 *
 * @example
 * ```ts
 * import { defaultBackend } from '@herald/webpush';
 * console.log(defaultBackend.name); // 'node' or 'webcrypto'
 * ```
 */
export { backend as defaultBackend } from '#backend';
