/**
 * The portable self-test: a part of the webpush suite that runs unchanged on Node, Deno, Bun,
 * workerd and in a browser page. It imports only the package's public API (the built `dist/`,
 * resolved by each runtime's own export conditions) and web standards, so it compiles under
 * the package's portable tsconfig; `runtimes.test.ts` runs it everywhere and compares reports.
 */
import { decodeBase64Url, defaultBackend, encodeBase64Url } from '@herald/webpush';
import { assert, assertBytes, assertEqual, assertFailsWith } from './assertions.js';
import { rfc8291 } from './rfc8291-vector.js';

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
    'RFC 8291 Appendix A: ECDH of the sender key and the receiver key gives ecdh_secret',
    async () => {
      const sender = { publicKey: b64(rfc8291.asPublic), privateKey: b64(rfc8291.asPrivate) };
      const key = await defaultBackend.importEcdhPrivateKey(sender);
      const secret = await defaultBackend.agree(key, b64(rfc8291.uaPublic));
      assertBytes(secret, b64(rfc8291.ecdhSecret), 'ecdh_secret');
    },
  ],
  [
    'an ephemeral ECDH agreement matches the receiver side',
    async () => {
      const receiver = await defaultBackend.generateKeyPair();
      assert(await defaultBackend.isValidPublicKey(receiver.publicKey), 'generated key is on the curve');
      const { publicKey, secret } = await defaultBackend.ephemeralAgreement(receiver.publicKey);
      const key = await defaultBackend.importEcdhPrivateKey(receiver);
      assertBytes(await defaultBackend.agree(key, publicKey), secret, 'shared secret');
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
  [
    'AES-128-GCM round trips and a corrupted tag fails with ERR_DECRYPT_FAILED',
    async () => {
      const key = defaultBackend.randomBytes(16);
      const nonce = defaultBackend.randomBytes(12);
      const sealed = await defaultBackend.aes128GcmSeal(key, nonce, text.encode('watermelon'));
      assertBytes(
        await defaultBackend.aes128GcmOpen(key, nonce, sealed),
        text.encode('watermelon'),
        'opened',
      );
      sealed[sealed.length - 1]! ^= 1;
      await assertFailsWith(
        () => defaultBackend.aes128GcmOpen(key, nonce, sealed),
        'ERR_DECRYPT_FAILED',
        'corrupted tag',
      );
    },
  ],
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
