import { createECDH } from 'node:crypto';
import { expect, test, vi } from 'vitest';
import {
  agreeBatch,
  agreeWithNodeCrypto,
  nativeAgreement,
  readAgreement,
} from '../src/node/agreement-batch.js';
import { offCurvePoint } from './helpers/subscriber.js';

const receivers = (count: number) =>
  Array.from({ length: count }, () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    return ecdh;
  });

test('the agreements run on @herald/ecdh-native here (npm install builds it)', () => {
  expect(nativeAgreement).toBe(true);
});

test.each([
  ['agreeBatch', (peers: Uint8Array) => agreeBatch(peers)],
  [
    'the node:crypto fallback',
    (peers: Uint8Array) => {
      const records = new Uint8Array((peers.length / 65) * 98);
      agreeWithNodeCrypto(peers, records);
      return records;
    },
  ],
])('%s: records a receiver can agree with, a bad key failing alone', (_name, agree) => {
  const [first, second] = receivers(2);
  const records = agree(Buffer.concat([first!.getPublicKey(), offCurvePoint(), second!.getPublicKey()]));
  for (const [index, receiver] of [
    [0, first!],
    [2, second!],
  ] as const) {
    const { publicKey, secret } = readAgreement(records, index);
    expect(Buffer.from(receiver.computeSecret(publicKey))).toEqual(Buffer.from(secret));
  }
  expect(() => readAgreement(records, 1)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_KEY' }));
});

test('HERALD_NATIVE_ECDH=0 switches to node:crypto, and the agreements still hold', async () => {
  vi.stubEnv('HERALD_NATIVE_ECDH', '0');
  vi.resetModules();
  try {
    const fresh = await import('../src/node/agreement-batch.js');
    expect(fresh.nativeAgreement).toBe(false);
    const receiver = receivers(1)[0]!;
    const { publicKey, secret } = fresh.readAgreement(fresh.agreeBatch(receiver.getPublicKey()), 0);
    expect(Buffer.from(receiver.computeSecret(publicKey))).toEqual(Buffer.from(secret));
  } finally {
    vi.unstubAllEnvs();
    vi.resetModules();
  }
});
