/**
 * The VAPID part of the portable self-test: key import/export (the DER/PEM code and the
 * backend's public-key derivation), signing and verifying, on each runtime's own WebCrypto.
 */
import {
  defaultBackend,
  generateVapidKeys,
  importVapidKeys,
  importVapidPublicKey,
  VapidSigner,
  VapidVerifier,
  vapidKeysToJwk,
  vapidKeysToPem,
  vapidPublicKeyToPem,
} from '@herald/webpush';
import { assert, assertEqual, assertFailsWith } from './assertions.js';

type Check = readonly [name: string, run: () => Promise<void> | void];

// A PKCS#8 key without its optional public key (RFC 5915 §3), as Firefox's WebCrypto exports
// it: importing it needs the runtime to derive the public point. Made with node:crypto.
const bareKey = {
  pem: '-----BEGIN PRIVATE KEY-----\nMEECAQAwEwYHKoZIzj0CAQYIKoZIzj0DAQcEJzAlAgEBBCAeKDZjKceQwB432wWEof+T2Cm4Lgg+0k2vIwEsY4GoyQ==\n-----END PRIVATE KEY-----\n',
  publicKey: 'BPr3PTP2lXF7JK2ui0C6ymaG7FMqN9QgrivRtywHL8XdVouwj2ioAT0NoVWwdpI-VXK1Ns9AjEXtrBMarOATIrU',
  privateKey: 'Hig2YynHkMAeN9sFhKH_k9gpuC4IPtJNryMBLGOBqMk',
};

export const vapidChecks: readonly Check[] = [
  [
    'VAPID keys round trip through PEM and JWK, and a mixed pair is ERR_KEY_PAIR_MISMATCH',
    async () => {
      const bare = await importVapidKeys(bareKey.pem);
      assertEqual(bare.publicKey, bareKey.publicKey, 'public key derived from a bare PKCS#8 key');
      assertEqual(bare.privateKey, bareKey.privateKey, 'private key of a bare PKCS#8 key');
      const keys = await generateVapidKeys();
      for (const source of [
        vapidKeysToPem(keys, 'pkcs8'),
        vapidKeysToPem(keys, 'sec1'),
        vapidKeysToJwk(keys),
      ]) {
        const imported = await importVapidKeys(source);
        assertEqual(imported.privateKey, keys.privateKey, 'private key after a round trip');
        assertEqual(imported.publicKey, keys.publicKey, 'public key after a round trip');
      }
      assertEqual(await importVapidPublicKey(vapidPublicKeyToPem(keys.publicKey)), keys.publicKey, 'SPKI');
      await assertFailsWith(
        () => importVapidKeys({ publicKey: keys.publicKey, privateKey: bareKey.privateKey }),
        'ERR_KEY_PAIR_MISMATCH',
        'mixed pair',
      );
    },
  ],
  [
    'VAPID JWTs from VapidSigner verify with VapidVerifier; tampered ones do not',
    async () => {
      const keys = await generateVapidKeys();
      const signer = await VapidSigner.create({ subject: 'mailto:push@example.com', ...keys });
      const endpoint = 'https://push.example.net/wpush/v2/abc';
      const { authorization } = await signer.headers(endpoint);
      assert(signer.cachedHeaders(endpoint)?.authorization === authorization, 'the JWT is cached');
      const verifier = new VapidVerifier({ audience: 'https://push.example.net', backend: defaultBackend });
      const verified = await verifier.verify({ authorization, expectedPublicKey: keys.publicKey });
      assertEqual(verified.subject, 'mailto:push@example.com', 'verified subject');
      // Change the first character of the signature: still 64 bytes, no longer valid.
      const at = authorization.lastIndexOf('.') + 1;
      const swapped = authorization[at] === 'A' ? 'B' : 'A';
      const tampered = `${authorization.slice(0, at)}${swapped}${authorization.slice(at + 1)}`;
      const fresh = new VapidVerifier({ audience: 'https://push.example.net' });
      await assertFailsWith(
        () => fresh.verify({ authorization: tampered }),
        'ERR_VAPID_BAD_SIGNATURE',
        'tampered',
      );
      await assertFailsWith(
        () => VapidSigner.create({ subject: 'mailto:push@localhost', ...keys }),
        'ERR_VAPID_SUBJECT',
        'localhost subject',
      );
    },
  ],
];
