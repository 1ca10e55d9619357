/**
 * `@herald/webpush/node`: the parts of `@herald/webpush` that only run on Node.
 *
 * @packageDocumentation
 */
export { createUndiciTransport, type UndiciTransportOptions } from './undici-transport.js';
