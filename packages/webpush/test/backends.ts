import type { CryptoBackend } from '../src/crypto/backend.js';
import { backend as webcrypto } from '../src/crypto/webcrypto-backend.js';
import { backend as node } from '../src/node/node-backend.js';

/** Both crypto backends: suites that take a backend run once for each. */
export const backends: readonly CryptoBackend[] = [node, webcrypto];
