/**
 * The transport `createTransport()` builds on Node, chosen through the package's `#transport`
 * import conditions: undici, far faster than `fetch` for many small requests.
 */
export { createUndiciTransport as createRuntimeTransport } from './undici-transport.js';
