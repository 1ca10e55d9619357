/**
 * The portable self-test: a part of the webpush suite that runs unchanged on Node, Deno, Bun,
 * workerd and in a browser page. It imports only the package's public API (the built `dist/`,
 * resolved by each runtime's own export conditions) and web standards, so it compiles under
 * the package's portable tsconfig; `runtimes.test.ts` runs it everywhere and compares reports.
 */
import {
  decodeBase64Url,
  decrypt,
  defaultBackend,
  encodeBase64Url,
  encrypt,
  maxPayloadLength,
  parseAesgcmHeaders,
} from '@herald/webpush';
import rfc8291 from '../vectors/rfc8291-appendix-a.json' with { type: 'json' };
import { assert, assertBytes, assertEqual, assertFailsWith } from './assertions.js';
import { requestChecks } from './request-checks.js';
import { vapidChecks } from './vapid-checks.js';

/** What a runtime reports after running every check. */
export interface SelfTestReport {
  /** `defaultBackend.name`: which crypto backend the runtime's export conditions selected. */
  backend: string;
  /** The names of the checks that passed, in order. */
  passed: string[];
  /** The checks that failed, with the assertion's message. */
  failed: { name: string; error: string }[];
}

type Check = readonly [name: string, run: () => Promise<void> | void];

const text = new TextEncoder();
const b64 = (value: string) => decodeBase64Url(value);

/** The user agent's side of the RFC 8291 Appendix A vector. */
function receiverKeys() {
  return {
    keyPair: { publicKey: b64(rfc8291.uaPublicKey), privateKey: b64(rfc8291.uaPrivateKey) },
    auth: b64(rfc8291.authSecret),
  };
}

const checks: readonly Check[] = [
  [
    'base64url matches RFC 4648 §10 and round trips every length',
    () => {
      const vectors = ['', 'Zg', 'Zm8', 'Zm9v', 'Zm9vYg', 'Zm9vYmE', 'Zm9vYmFy'];
      for (const [i, encoded] of vectors.entries()) {
        assertEqual(encodeBase64Url(text.encode('foobar'.slice(0, i))), encoded, `encode of ${i} bytes`);
      }
      assertBytes(decodeBase64Url('-_8='), new Uint8Array([251, 255]), 'padded decode');
      const bytes = defaultBackend.randomBytes(67);
      for (let n = 0; n <= bytes.length; n++) {
        assertBytes(
          decodeBase64Url(encodeBase64Url(bytes.subarray(0, n))),
          bytes.subarray(0, n),
          `${n} bytes`,
        );
      }
    },
  ],
  [
    'bad input fails with a typed WebPushError and a stable code',
    async () => {
      await assertFailsWith(() => decodeBase64Url('a$b'), 'ERR_INVALID_BASE64URL', 'bad character');
      await assertFailsWith(() => decodeBase64Url('abcde'), 'ERR_INVALID_BASE64URL', 'impossible length');
      await assertFailsWith(
        () => defaultBackend.ephemeralAgreement(new Uint8Array(33)),
        'ERR_INVALID_KEY',
        'compressed point',
      );
    },
  ],
  [
    'RFC 8291 Appendix A: the published message decrypts to the published plaintext',
    async () => {
      const plaintext = await decrypt(b64(rfc8291.body), receiverKeys(), { contentEncoding: 'aes128gcm' });
      assertBytes(plaintext, b64(rfc8291.plaintext), 'plaintext');
    },
  ],
  [
    'aes128gcm and aesgcm messages encrypt and decrypt back, with a fresh key and salt each',
    async () => {
      const keys = receiverKeys();
      const subscription = { p256dh: keys.keyPair.publicKey, auth: keys.auth };
      const payload = text.encode('When I grow up, I want to be a watermelon');
      const first = await encrypt(payload, subscription, { padding: 3 });
      const second = await encrypt(payload, subscription);
      assertEqual(first.contentEncoding, 'aes128gcm', 'default encoding');
      assert(encodeBase64Url(first.salt) !== encodeBase64Url(second.salt), 'a new salt per message');
      assert(
        encodeBase64Url(first.localPublicKey) !== encodeBase64Url(second.localPublicKey),
        'a new ephemeral key per message',
      );
      assertBytes(await decrypt(first.body, keys, { contentEncoding: 'aes128gcm' }), payload, 'aes128gcm');
      const legacy = await encrypt(payload, subscription, { contentEncoding: 'aesgcm' });
      const params = parseAesgcmHeaders(legacy.headers.encryption!, legacy.headers['crypto-key']!);
      assertBytes(
        await decrypt(legacy.body, keys, { contentEncoding: 'aesgcm', ...params }),
        payload,
        'aesgcm',
      );
    },
  ],
  [
    'a payload too large for push services fails with ERR_PAYLOAD_TOO_LARGE',
    async () => {
      const keys = receiverKeys();
      const subscription = { p256dh: keys.keyPair.publicKey, auth: keys.auth };
      const fits = new Uint8Array(maxPayloadLength());
      assertEqual((await encrypt(fits, subscription)).body.length, 4096, 'largest body');
      await assertFailsWith(
        () => encrypt(new Uint8Array(fits.length + 1), subscription),
        'ERR_PAYLOAD_TOO_LARGE',
        'one byte more',
      );
    },
  ],
  [
    'a tampered message fails with ERR_DECRYPT_FAILED',
    async () => {
      const body = b64(rfc8291.body);
      body[body.length - 1]! ^= 1;
      await assertFailsWith(
        () => decrypt(body, receiverKeys(), { contentEncoding: 'aes128gcm' }),
        'ERR_DECRYPT_FAILED',
        'flipped tag bit',
      );
    },
  ],
  [
    'ES256 signatures verify and a tampered one does not',
    async () => {
      const pair = await defaultBackend.generateKeyPair();
      const data = text.encode('header.payload');
      const signature = await defaultBackend.sign(await defaultBackend.importSigningKey(pair), data);
      assertEqual(signature.length, 64, 'signature length');
      const key = await defaultBackend.importVerifyingKey(pair.publicKey);
      assert(await defaultBackend.verify(key, data, signature), 'signature verifies');
      signature[7]! ^= 1;
      assert(!(await defaultBackend.verify(key, data, signature)), 'tampered signature is rejected');
    },
  ],
  ...vapidChecks,
  ...requestChecks,
];

/**
 * Runs every check, catching each failure so one broken check does not hide the others.
 *
 * @example
 * ```ts
 * const report = await runSelfTest();
 * console.log(JSON.stringify(report));
 * ```
 */
export async function runSelfTest(): Promise<SelfTestReport> {
  const report: SelfTestReport = { backend: defaultBackend.name, passed: [], failed: [] };
  for (const [name, run] of checks) {
    try {
      await run();
      report.passed.push(name);
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      report.failed.push({ name, error: message });
    }
  }
  return report;
}
