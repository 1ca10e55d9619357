/**
 * `@herald/webpush/node`: the parts of `@herald/webpush` that only run on Node.
 *
 * @packageDocumentation
 */

export { nativeAgreement } from './agreement-batch.js';
export { parseCliArgs } from './cli-args.js';
export {
  createParallelBackend,
  type ParallelBackend,
  type ParallelBackendOptions,
} from './parallel-backend.js';
export { createUndiciTransport, type UndiciTransportOptions } from './undici-transport.js';
