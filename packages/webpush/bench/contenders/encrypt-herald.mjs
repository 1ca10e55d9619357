// Our encryption alone: encrypt() with the runtime's default backend (node:crypto on Node),
// decoding the subscription's base64url keys per message as a sender holding JSON would.
import { decodeBase64Url, defaultBackend, encrypt } from '@herald/webpush';
import { subscriptionFor } from '../fixtures.mjs';
import { loadConfig, measure } from '../measure.mjs';

const config = loadConfig();
const { fixtures } = config;
if (defaultBackend.name !== 'node') throw new Error(`expected the node backend, got ${defaultBackend.name}`);

let bodyBytes = 0;
await measure(config, async (start, count) => {
  for (let i = start; i < start + count; i++) {
    const { keys } = subscriptionFor(fixtures, i);
    const message = await encrypt(fixtures.payload, {
      p256dh: decodeBase64Url(keys.p256dh),
      auth: decodeBase64Url(keys.auth),
    });
    bodyBytes += message.body.length;
  }
  return 0;
});
if (bodyBytes === 0) throw new Error('no bodies were encrypted');
