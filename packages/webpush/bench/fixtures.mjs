// The inputs every contender shares: real P-256 subscriptions, one VAPID key pair and one
// payload, generated once per run and handed to each child process as a JSON file.
import { createECDH, randomBytes } from 'node:crypto';

/** A realistic notification: JSON a site would send, about 180 bytes. */
export const payload = JSON.stringify({
  title: 'Herald weekly',
  body: 'Three new articles are waiting for you, including one you bookmarked last week.',
  url: 'https://news.example.com/articles/2026/11/27/herald',
  tag: 'digest',
});

export const vapidSubject = 'mailto:bench@news.example.com';
export const ttl = 2_419_200;

// Request building is measured against the real push services' origins (the VAPID audience
// is the origin, so a sender signs or caches one JWT per origin).
const pushServices = [
  (id) => `https://fcm.googleapis.com/fcm/send/${id}`,
  (id) => `https://updates.push.services.mozilla.com/wpush/v2/${id}`,
  (id) => `https://web.push.apple.com/${id}`,
  (id) => `https://wns2-par02p.notify.windows.com/w/?token=${id}`,
];

function rawKeyPair() {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  // getPrivateKey drops leading zero bytes; keys on the wire are always 32 bytes.
  const privateKey = Buffer.alloc(32);
  const d = ecdh.getPrivateKey();
  d.copy(privateKey, 32 - d.length);
  return { publicKey: publicKey.toString('base64url'), privateKey: privateKey.toString('base64url') };
}

/**
 * `count` subscriptions, each with its user agent's private key so the sink can decrypt a
 * sample of what it receives.
 */
export function generateFixtures(count) {
  const subscriptions = [];
  for (let i = 0; i < count; i++) {
    const { publicKey, privateKey } = rawKeyPair();
    subscriptions.push({
      id: i.toString(36).padStart(8, '0'),
      keys: { p256dh: publicKey, auth: randomBytes(16).toString('base64url') },
      uaPrivateKey: privateKey,
    });
  }
  return { subscriptions, vapid: { subject: vapidSubject, ...rawKeyPair() }, payload, ttl };
}

/** The subscription a contender sends message `i` to: real push services, or the sink. */
export function subscriptionFor(fixtures, i, sinkOrigin) {
  const s = fixtures.subscriptions[i % fixtures.subscriptions.length];
  const endpoint = sinkOrigin ? `${sinkOrigin}/push/${s.id}` : pushServices[i % pushServices.length](s.id);
  return { endpoint, keys: s.keys };
}
