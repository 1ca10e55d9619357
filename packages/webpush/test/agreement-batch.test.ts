import { createECDH, randomBytes } from 'node:crypto';
import { expect, test, vi } from 'vitest';
import { deriveRecordKeys } from '../src/ece/aes128gcm.js';
import { webPushIkm } from '../src/ece/rfc8291.js';
import {
  checkSecrets,
  deriveBatch,
  deriveWithNodeCrypto,
  inputLength,
  nativeAgreement,
  readRecord,
  recordLength,
  writeInput,
} from '../src/node/agreement-batch.js';
import { backend } from '../src/node/node-backend.js';
import { offCurvePoint } from './helpers/subscriber.js';

const receivers = (count: number) =>
  Array.from({ length: count }, () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    return { ecdh, auth: randomBytes(16), salt: randomBytes(16) };
  });

test('the agreements run on @herald/ecdh-native here (npm install builds it)', () => {
  expect(nativeAgreement).toBe(true);
});

test.each([
  ['deriveBatch', (inputs: Uint8Array) => deriveBatch(inputs)],
  [
    'the node:crypto fallback',
    async (inputs: Uint8Array) => {
      const records = new Uint8Array((inputs.length / inputLength) * recordLength);
      await deriveWithNodeCrypto(inputs, records);
      return records;
    },
  ],
])('%s: records match the portable key schedule, a bad key failing alone', async (_name, derive) => {
  const [first, second] = receivers(2);
  const inputs = new Uint8Array(3 * inputLength);
  writeInput(inputs, 0, first!.ecdh.getPublicKey(), first!.auth, first!.salt);
  writeInput(inputs, 1, offCurvePoint(), first!.auth, first!.salt);
  writeInput(inputs, 2, second!.ecdh.getPublicKey(), second!.auth, second!.salt);
  const records = await derive(inputs);
  for (const [index, receiver] of [
    [0, first!],
    [2, second!],
  ] as const) {
    const { publicKey, secret, key, nonce } = readRecord(records, index);
    expect(Buffer.from(receiver.ecdh.computeSecret(publicKey))).toEqual(Buffer.from(secret));
    // The portable code's derivation (the one the RFC 8291 vectors pin) from the same secret.
    const ikm = await webPushIkm(backend, secret, receiver.auth, receiver.ecdh.getPublicKey(), publicKey);
    expect(await deriveRecordKeys(backend, ikm, receiver.salt)).toEqual({ key, nonce });
  }
  expect(() => readRecord(records, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_KEY' }));
});

test('auth secrets and salts of any length but 16 are refused before any work', () => {
  expect(() => checkSecrets(new Uint8Array(17), undefined)).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/auth/) }),
  );
  expect(() => checkSecrets(new Uint8Array(16), new Uint8Array(15))).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT', message: expect.stringMatching(/salt/) }),
  );
  expect(() => checkSecrets(new Uint8Array(16), new Uint8Array(16))).not.toThrow();
});

test('HERALD_NATIVE_ECDH=0 switches to node:crypto, and the agreements still hold', async () => {
  vi.stubEnv('HERALD_NATIVE_ECDH', '0');
  vi.resetModules();
  try {
    const fresh = await import('../src/node/agreement-batch.js');
    expect(fresh.nativeAgreement).toBe(false);
    const receiver = receivers(1)[0]!;
    const inputs = new Uint8Array(inputLength);
    fresh.writeInput(inputs, 0, receiver.ecdh.getPublicKey());
    const { publicKey, secret } = fresh.readRecord(await fresh.deriveBatch(inputs), 0);
    expect(Buffer.from(receiver.ecdh.computeSecret(publicKey))).toEqual(Buffer.from(secret));
  } finally {
    vi.unstubAllEnvs();
    vi.resetModules();
  }
});
