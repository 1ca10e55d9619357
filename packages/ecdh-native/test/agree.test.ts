/**
 * The addon against node:crypto: every secret must be the one the receiver agrees with the
 * record's public key, every key pair new, every CEK and nonce what node:crypto's HKDF gives
 * (RFC 8291 §3.4, RFC 8188 §2.2-2.3), and every bad key refused with status 1 without
 * disturbing its neighbours in the batch.
 */
import { createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { derive, loadError } from '@herald/ecdh-native';
import { describe, expect, test } from 'vitest';

// P-256's field prime (FIPS 186-4 D.1.2.3): coordinates must be below it.
const fieldPrime = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex');

function receivers(count: number) {
  return Array.from({ length: count }, () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    return { ecdh, auth: randomBytes(16), salt: randomBytes(16) };
  });
}

type Receiver = ReturnType<typeof receivers>[number];
const input = (r: Receiver, key: Uint8Array = r.ecdh.getPublicKey()) => Buffer.concat([key, r.auth, r.salt]);

function run(inputs: Uint8Array): Uint8Array {
  const records = new Uint8Array((inputs.length / 97) * 126);
  derive!(inputs, records);
  return records;
}

/** Checks one record against node:crypto: the receiver's own ECDH and HKDF. */
function expectRecordFor(receiver: Receiver, record: Uint8Array) {
  expect(record[0]).toBe(0);
  const asPublic = record.subarray(1, 66);
  const secret = receiver.ecdh.computeSecret(asPublic);
  expect(Buffer.from(record.subarray(66, 98))).toEqual(secret);
  const info = Buffer.concat([Buffer.from('WebPush: info\0'), receiver.ecdh.getPublicKey(), asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', secret, receiver.auth, info, 32));
  const cek = hkdfSync('sha256', ikm, receiver.salt, 'Content-Encoding: aes128gcm\0', 16);
  const nonce = hkdfSync('sha256', ikm, receiver.salt, 'Content-Encoding: nonce\0', 12);
  expect(Buffer.from(record.subarray(98, 114))).toEqual(Buffer.from(cek));
  expect(Buffer.from(record.subarray(114, 126))).toEqual(Buffer.from(nonce));
}

test('the addon is built and loads (npm install compiles it)', () => {
  expect(loadError).toBeUndefined();
  expect(derive).toBeTypeOf('function');
});

test('each record holds a new key pair, its secret and the key schedule node:crypto derives', () => {
  const all = receivers(200);
  const records = run(Buffer.concat(all.map((r) => input(r))));
  const publicKeys = new Set<string>();
  all.forEach((receiver, i) => {
    const record = records.subarray(i * 126, (i + 1) * 126);
    expectRecordFor(receiver, record);
    publicKeys.add(Buffer.from(record.subarray(1, 66)).toString('hex'));
  });
  expect(publicKeys.size).toBe(200);
});

describe('keys that are not points on P-256 get status 1, and the rest of the batch is unharmed', () => {
  const good = () => receivers(1)[0]!.ecdh.getPublicKey();
  const cases: [string, () => Uint8Array][] = [
    [
      'y off the curve',
      () => {
        const key = good();
        key[64]! ^= 1;
        return key;
      },
    ],
    [
      'x equal to the field prime',
      () => {
        const key = good();
        fieldPrime.copy(key, 1);
        return key;
      },
    ],
    [
      'a compressed-point prefix on 65 bytes',
      () => {
        const key = good();
        key[0] = 2;
        return key;
      },
    ],
    ['all zeros (the point at infinity is not encodable)', () => Buffer.alloc(65)],
  ];
  test.each(cases)('%s', (_name, bad) => {
    const [before, middle, after] = receivers(3);
    const records = run(Buffer.concat([input(before!), input(middle!, bad()), input(after!)]));
    expect(records[126]).toBe(1);
    expectRecordFor(before!, records.subarray(0, 126));
    expectRecordFor(after!, records.subarray(252, 378));
  });
});

test('wrong arguments throw typed errors and write nothing', () => {
  const records = new Uint8Array(126).fill(9);
  const one = input(receivers(1)[0]!);
  const call = derive as (a: unknown, b?: unknown) => void;
  expect(() => call(one.subarray(0, 96), records)).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
  );
  expect(() => call(one, new Uint8Array(125))).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
  );
  expect(() => call('key', records)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(() => call(one, new Uint16Array(63))).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
  );
  expect(() => call(one)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  expect(records.every((b) => b === 9)).toBe(true);
});

test('worker threads load their own instance and derive in parallel', async () => {
  const all = receivers(2);
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { derive } = require(workerData.addon);
    const records = new Uint8Array(workerData.inputs.length / 97 * 126);
    for (let i = 0; i < 500; i++) derive(workerData.inputs, records);
    parentPort.postMessage(records);
  `;
  const inputs = Buffer.concat(all.map((r) => input(r)));
  const results = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          const worker = new Worker(source, {
            eval: true,
            workerData: { addon: createRequire(import.meta.url).resolve('@herald/ecdh-native'), inputs },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  for (const records of results) {
    all.forEach((receiver, i) => {
      expectRecordFor(receiver, records.subarray(i * 126, (i + 1) * 126));
    });
  }
});
