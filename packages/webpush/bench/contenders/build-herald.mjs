// Our request building: buildPushRequest with the VAPID details as plain strings, the way
// web-push takes them; the JWT is signed once per push service and then reused from cache.
import { buildPushRequest, defaultBackend } from '@herald/webpush';
import { subscriptionFor } from '../fixtures.mjs';
import { loadConfig, measure } from '../measure.mjs';

const config = loadConfig();
const { fixtures } = config;
if (defaultBackend.name !== 'node') throw new Error(`expected the node backend, got ${defaultBackend.name}`);
const options = { vapid: fixtures.vapid, ttl: fixtures.ttl, contentEncoding: 'aes128gcm' };

let bodyBytes = 0;
await measure(config, async (start, count) => {
  for (let i = start; i < start + count; i++) {
    const request = await buildPushRequest(subscriptionFor(fixtures, i), fixtures.payload, options);
    bodyBytes += request.body.length;
  }
  return 0;
});
if (bodyBytes === 0) throw new Error('no request bodies were built');
