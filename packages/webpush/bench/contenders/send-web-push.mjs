// web-push's sending: sendNotification with `concurrency` calls in flight. It speaks HTTPS
// only; it trusts the sink's self-signed certificate through its `agent` option, an
// https.Agent with the certificate as its CA and keep-alive on (Node 20's global agent
// defaults, so connections are reused exactly as they would be without the option).
import { Agent } from 'node:https';
import webpush from 'web-push';
import { subscriptionFor } from '../fixtures.mjs';
import { loadConfig, measure } from '../measure.mjs';

const config = loadConfig();
const { fixtures, sinkOrigin, concurrency } = config;
const options = {
  vapidDetails: {
    subject: fixtures.vapid.subject,
    publicKey: fixtures.vapid.publicKey,
    privateKey: fixtures.vapid.privateKey,
  },
  TTL: fixtures.ttl,
  contentEncoding: 'aes128gcm',
  agent: new Agent({ keepAlive: true, ca: config.cert }),
  timeout: 30_000,
};

await measure(config, async (start, count) => {
  const end = start + count;
  let next = start;
  let failures = 0;
  async function lane() {
    while (next < end) {
      const i = next++;
      try {
        const response = await webpush.sendNotification(
          subscriptionFor(fixtures, i, sinkOrigin),
          fixtures.payload,
          options,
        );
        if (response.statusCode !== 201) failures++;
      } catch {
        failures++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return failures;
});
options.agent.destroy();
