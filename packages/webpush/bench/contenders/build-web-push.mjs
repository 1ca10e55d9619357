// web-push's request building: generateRequestDetails encrypts the payload (http_ece) and
// signs a fresh VAPID JWT from the PEM-encoded key on every call.
import webpush from 'web-push';
import { subscriptionFor } from '../fixtures.mjs';
import { loadConfig, measure } from '../measure.mjs';

const config = loadConfig();
const { fixtures } = config;
const options = {
  vapidDetails: {
    subject: fixtures.vapid.subject,
    publicKey: fixtures.vapid.publicKey,
    privateKey: fixtures.vapid.privateKey,
  },
  TTL: fixtures.ttl,
  contentEncoding: 'aes128gcm',
};

let bodyBytes = 0;
await measure(config, async (start, count) => {
  for (let i = start; i < start + count; i++) {
    const details = webpush.generateRequestDetails(subscriptionFor(fixtures, i), fixtures.payload, options);
    bodyBytes += details.body.length;
  }
  return 0;
});
if (bodyBytes === 0) throw new Error('no request bodies were built');
