import { createECDH, randomBytes } from 'node:crypto';
// http_ece is Mozilla's implementation, the one inside the `web-push` package.
import ece from 'http_ece';
import { describe, expect, test } from 'vitest';
import { parseAesgcmHeaders } from '../src/ece/aesgcm.js';
import { decrypt } from '../src/ece/decrypt.js';
import { type ContentEncoding, encrypt } from '../src/ece/encrypt.js';
import { backends } from './backends.js';

function userAgent() {
  const ecdh = createECDH('prime256v1');
  const publicKey = ecdh.generateKeys();
  const auth = randomBytes(16);
  return {
    ecdh,
    auth,
    // getPrivateKey() drops leading zero octets (1 key in 256 is 31 bytes): pad to the scalar's 32.
    keyPair: {
      publicKey: new Uint8Array(publicKey),
      privateKey: new Uint8Array(Buffer.from(ecdh.getPrivateKey('hex').padStart(64, '0'), 'hex')),
    },
  };
}

const payloads = [
  '',
  'héllo wörld ✓ 🎉',
  'x'.repeat(3000),
  JSON.stringify({ title: 'Breaking', body: 'news' }),
];
const encodings: ContentEncoding[] = ['aes128gcm', 'aesgcm'];

describe.each(backends.map((b) => [b.name, b] as const))('%s backend against http_ece', (_name, backend) => {
  for (const encoding of encodings) {
    test(`${encoding}: http_ece decrypts what we encrypt (with and without padding)`, async () => {
      for (const [i, payload] of payloads.entries()) {
        const ua = userAgent();
        const padding = i % 2 === 0 ? 0 : 17;
        const encrypted = await encrypt(
          payload,
          { p256dh: ua.keyPair.publicKey, auth: ua.auth },
          {
            contentEncoding: encoding,
            padding,
            backend,
          },
        );
        const params: Record<string, unknown> = {
          version: encoding,
          privateKey: ua.ecdh,
          authSecret: Buffer.from(ua.auth).toString('base64url'),
        };
        if (encoding === 'aesgcm') {
          params.dh = Buffer.from(encrypted.localPublicKey).toString('base64url');
          params.salt = Buffer.from(encrypted.salt).toString('base64url');
          expect(encrypted.headers.encryption).toBe(`salt=${params.salt}`);
          expect(encrypted.headers['crypto-key']).toBe(`dh=${params.dh}`);
        }
        const plaintext = ece.decrypt(Buffer.from(encrypted.body), params);
        expect(plaintext.toString('utf8')).toBe(payload);
      }
    });

    test(`${encoding}: we decrypt what http_ece encrypts, including multi-record bodies`, async () => {
      for (const [i, payload] of payloads.entries()) {
        const ua = userAgent();
        const sender = createECDH('prime256v1');
        sender.generateKeys();
        const salt = randomBytes(16);
        const rs = i === 2 ? 1000 : 4096;
        const body = ece.encrypt(Buffer.from(payload), {
          version: encoding,
          privateKey: sender,
          dh: Buffer.from(ua.keyPair.publicKey).toString('base64url'),
          authSecret: ua.auth.toString('base64url'),
          salt: salt.toString('base64url'),
          rs,
          pad: i,
        });
        const params =
          encoding === 'aes128gcm'
            ? ({ contentEncoding: 'aes128gcm' } as const)
            : {
                contentEncoding: 'aesgcm' as const,
                ...parseAesgcmHeaders(
                  `salt=${salt.toString('base64url')}${rs === 4096 ? '' : `;rs=${rs}`}`,
                  `dh=${sender.getPublicKey('base64url')};p256ecdsa=AAAA`,
                ),
              };
        const plaintext = await decrypt(
          new Uint8Array(body),
          { keyPair: ua.keyPair, auth: ua.auth },
          params,
          backend,
        );
        expect(new TextDecoder().decode(plaintext)).toBe(payload);
      }
    });
  }
});
