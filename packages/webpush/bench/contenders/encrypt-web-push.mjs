// web-push's encryption alone: its exported encrypt() (a new ECDH key pair, then http_ece).
import webpush from 'web-push';
import { subscriptionFor } from '../fixtures.mjs';
import { loadConfig, measure } from '../measure.mjs';

const config = loadConfig();
const { fixtures } = config;

let bodyBytes = 0;
await measure(config, async (start, count) => {
  for (let i = start; i < start + count; i++) {
    const { keys } = subscriptionFor(fixtures, i);
    bodyBytes += webpush.encrypt(keys.p256dh, keys.auth, fixtures.payload, 'aes128gcm').cipherText.length;
  }
  return 0;
});
if (bodyBytes === 0) throw new Error('no bodies were encrypted');
