/**
 * The request and sending part of the portable self-test: `buildPushRequest` end to end (the
 * body decrypts, the VAPID JWT verifies) and `sendNotification`'s classification through an
 * in-memory transport, so the sending code runs on every runtime without a network.
 */
import {
  buildPushRequest,
  decodeBase64Url,
  decrypt,
  encryptedSize,
  generateVapidKeys,
  type PushRequest,
  sendNotification,
  type Transport,
  type TransportResponse,
  VapidVerifier,
} from '@herald/webpush';
import rfc8291 from '../vectors/rfc8291-appendix-a.json' with { type: 'json' };
import { assert, assertBytes, assertEqual, assertFailsWith } from './assertions.js';

type Check = readonly [name: string, run: () => Promise<void> | void];

const endpoint = 'https://push.example.net/wpush/v2/gAAAAABk?token=1';
const subscription = { endpoint, keys: { p256dh: rfc8291.uaPublicKey, auth: rfc8291.authSecret } };
const receiver = {
  keyPair: {
    publicKey: decodeBase64Url(rfc8291.uaPublicKey),
    privateKey: decodeBase64Url(rfc8291.uaPrivateKey),
  },
  auth: decodeBase64Url(rfc8291.authSecret),
};

/** A transport that records each request and answers with the next canned response. */
function cannedTransport(responses: TransportResponse[]): Transport & { requests: PushRequest[] } {
  const requests: PushRequest[] = [];
  return {
    requests,
    async send(request) {
      requests.push(request);
      const response = responses.shift();
      if (response === undefined) throw new Error('no canned response left');
      return response;
    },
    async close() {},
  };
}

export const requestChecks: readonly Check[] = [
  [
    'buildPushRequest: RFC 8030 headers, a body that decrypts, and a VAPID JWT that verifies',
    async () => {
      const vapid = { subject: 'mailto:push@example.com', ...(await generateVapidKeys()) };
      const payload = '{"title":"Herald"}';
      const request = await buildPushRequest(subscription, payload, {
        vapid,
        ttl: 60,
        urgency: 'high',
        topic: 'inbox',
      });
      assertEqual(request.url, endpoint, 'url keeps the query string');
      assertEqual(request.method, 'POST', 'method');
      const { headers } = request;
      assertEqual(headers.ttl, '60', 'ttl');
      assertEqual(headers.urgency, 'high', 'urgency');
      assertEqual(headers.topic, 'inbox', 'topic');
      assertEqual(headers['content-encoding'], 'aes128gcm', 'content-encoding');
      assertEqual(headers['content-length'], String(request.body?.length), 'content-length');
      const plaintext = await decrypt(request.body!, receiver, { contentEncoding: 'aes128gcm' });
      assertBytes(plaintext, new TextEncoder().encode(payload), 'decrypted body');
      const verifier = new VapidVerifier({ audience: 'https://push.example.net' });
      const verified = await verifier.verify({
        authorization: headers.authorization!,
        expectedPublicKey: vapid.publicKey,
      });
      assertEqual(verified.subject, vapid.subject, 'VAPID subject');
      const again = await buildPushRequest(subscription, payload, { vapid });
      assertEqual(again.headers.authorization, headers.authorization, 'the JWT is reused per audience');
      assertEqual(again.headers.ttl, '2419200', 'default ttl');
    },
  ],
  [
    'buildPushRequest refuses bad input with typed errors before encrypting',
    async () => {
      await assertFailsWith(
        () => buildPushRequest({ endpoint, keys: { p256dh: rfc8291.uaPublicKey, auth: 'c2hvcnQ' } }, 'x'),
        'ERR_INVALID_SUBSCRIPTION',
        'short auth secret',
      );
      await assertFailsWith(
        () => buildPushRequest(subscription, 'x', { topic: 'a topic with spaces' }),
        'ERR_INVALID_ARGUMENT',
        'bad topic',
      );
      await assertFailsWith(
        () => buildPushRequest(subscription, new Uint8Array(4000)),
        'ERR_PAYLOAD_TOO_LARGE',
        'oversized payload',
      );
    },
  ],
  [
    'sendNotification classifies answers: delivered, gone, throttled with Retry-After',
    async () => {
      const transport = cannedTransport([
        { status: 201, headers: { location: 'https://push.example.net/m/1' }, body: '' },
        { status: 410, headers: {}, body: '{"errno":106}' },
        { status: 429, headers: { 'retry-after': '120' }, body: '' },
      ]);
      const kinds = [];
      for (let i = 0; i < 3; i++) {
        const result = await sendNotification(subscription, 'hi', { transport, ttl: 60 });
        kinds.push(result.kind);
        if (result.kind === 'throttled') assertEqual(result.retryAfterMs, 120_000, 'Retry-After in ms');
      }
      assertEqual(kinds.join(), 'delivered,gone,throttled', 'result kinds');
      assert(
        transport.requests.every((request) => request.body?.length === encryptedSize(2)),
        'each request carries an encrypted body',
      );
    },
  ],
];
