/**
 * The transport `createTransport()` builds on runtimes other than Node, chosen through the
 * package's `#transport` import conditions (Node gets `../node/runtime-transport.ts`).
 */
export { createFetchTransport as createRuntimeTransport } from './fetch-transport.js';
