import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { decodeBase64Url as b64, encodeBase64Url } from '../src/base64url.js';
import { decodeAes128gcm, deriveRecordKeys, sealRecords } from '../src/ece/aes128gcm.js';
import { decrypt } from '../src/ece/decrypt.js';
import { encryptWith } from '../src/ece/encrypt.js';
import { backends } from './backends.js';

const load = (name: string) => JSON.parse(readFileSync(new URL(`vectors/${name}`, import.meta.url), 'utf8'));
const rfc8291 = load('rfc8291-appendix-a.json');
const rfc8188 = load('rfc8188-section3.json') as {
  examples: {
    section: string;
    plaintext: string;
    ikm: string;
    salt: string;
    recordSize: number;
    keyId: string;
    records: { length: number; padding: number }[];
    body: string;
  }[];
};

describe.each(backends.map((b) => [b.name, b] as const))('%s backend', (_name, backend) => {
  test('RFC 8291 Appendix A: encryption with the given salt and key pair reproduces the body byte for byte', async () => {
    const asKeyPair = { publicKey: b64(rfc8291.asPublicKey), privateKey: b64(rfc8291.asPrivateKey) };
    const receiver = { p256dh: b64(rfc8291.uaPublicKey), auth: b64(rfc8291.authSecret) };
    const secret = await backend.agree(await backend.importEcdhPrivateKey(asKeyPair), receiver.p256dh);
    const encrypted = await encryptWith(
      b64(rfc8291.plaintext),
      receiver,
      { backend },
      { salt: b64(rfc8291.salt), agreement: { publicKey: asKeyPair.publicKey, secret } },
    );
    expect(encodeBase64Url(encrypted.body)).toBe(rfc8291.body);
    expect(encodeBase64Url(encrypted.body.subarray(0, 86))).toBe(rfc8291.header);
    expect(encodeBase64Url(encrypted.body.subarray(86))).toBe(rfc8291.ciphertext);
  });

  test('RFC 8291 Appendix A: the user agent decrypts the published body', async () => {
    const keyPair = { publicKey: b64(rfc8291.uaPublicKey), privateKey: b64(rfc8291.uaPrivateKey) };
    const plaintext = await decrypt(
      b64(rfc8291.body),
      { keyPair, auth: b64(rfc8291.authSecret) },
      { contentEncoding: 'aes128gcm' },
      backend,
    );
    expect(encodeBase64Url(plaintext)).toBe(rfc8291.plaintext);
    expect(new TextDecoder().decode(plaintext)).toBe('When I grow up, I want to be a watermelon');
  });

  for (const example of rfc8188.examples) {
    test(`RFC 8188 §${example.section}: encoding reproduces the example byte for byte, and decodes back`, async () => {
      const data = new TextEncoder().encode(example.plaintext);
      const salt = b64(example.salt);
      const keys = await deriveRecordKeys(backend, b64(example.ikm), salt);
      let offset = 0;
      const records = example.records.map(({ length, padding }) => {
        const record = { data: data.subarray(offset, offset + length), padding };
        offset += length;
        return record;
      });
      const body = await sealRecords(
        backend,
        keys,
        { salt, recordSize: example.recordSize, keyId: new TextEncoder().encode(example.keyId) },
        records,
      );
      expect(encodeBase64Url(body)).toBe(example.body);
      const decoded = await decodeAes128gcm(backend, b64(example.body), b64(example.ikm));
      expect(new TextDecoder().decode(decoded)).toBe(example.plaintext);
    });
  }
});
