import { Agent, fetch as undiciFetch } from 'undici';
import { createUndiciTransport } from '../../src/node/undici-transport.js';
import { createFetchTransport } from '../../src/send/fetch-transport.js';
import type { Transport } from '../../src/send/transport.js';
import type { Certificate } from './http-server.js';

/** Both transports, each able to trust a test certificate. */
export const transportFactories: readonly (readonly [string, (tls?: Certificate) => Transport])[] = [
  ['undici', (tls) => createUndiciTransport(tls ? { connect: { ca: tls.cert } } : undefined)],
  [
    'fetch',
    (tls) => {
      if (!tls) return createFetchTransport();
      // The global fetch cannot be told about a CA: use undici's fetch with a dispatcher that trusts it.
      const dispatcher = new Agent({ connect: { ca: tls.cert } });
      const fetchWithCa = (url: string, init: object) => undiciFetch(url, { ...init, dispatcher });
      return createFetchTransport({ fetch: fetchWithCa as unknown as typeof fetch });
    },
  ],
];
