import { encodeBase64Url } from '../../src/base64url.js';
import { backend } from '../../src/node/node-backend.js';
import type { PushSubscriptionJSON } from '../../src/subscription.js';

/** A user agent's keys and the subscription JSON it would hand out for `endpoint`. */
export async function subscriber(endpoint: string) {
  const keyPair = await backend.generateKeyPair();
  const auth = backend.randomBytes(16);
  const json: PushSubscriptionJSON = {
    endpoint,
    expirationTime: null,
    keys: { p256dh: encodeBase64Url(keyPair.publicKey), auth: encodeBase64Url(auth) },
  };
  return { keyPair, auth, json };
}

/** 65 bytes shaped like an uncompressed point (0x04 prefix) that is not on P-256. */
export function offCurvePoint(): Uint8Array {
  const point = new Uint8Array(65);
  point[0] = 4;
  point[64] = 7;
  return point;
}
