/**
 * The addon against node:crypto, which runs the same OpenSSL calls plus a self-check: every
 * secret must be the one node:crypto agrees with the record's public key, every key pair new,
 * and every bad key refused with status 1 without disturbing its neighbours in the batch.
 */
import { createECDH } from 'node:crypto';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { agree, loadError } from '@herald/ecdh-native';
import { describe, expect, test } from 'vitest';

// P-256's field prime (FIPS 186-4 D.1.2.3): coordinates must be below it.
const fieldPrime = Buffer.from('ffffffff00000001000000000000000000000000ffffffffffffffffffffffff', 'hex');

function receivers(count: number) {
  return Array.from({ length: count }, () => {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    return ecdh;
  });
}

function run(peers: Uint8Array): Uint8Array {
  const records = new Uint8Array((peers.length / 65) * 98);
  agree!(peers, records);
  return records;
}

test('the addon is built and loads (npm install compiles it)', () => {
  expect(loadError).toBeUndefined();
  expect(agree).toBeTypeOf('function');
});

test('each record holds a new key pair whose secret is the one node:crypto agrees', () => {
  const ecdhs = receivers(200);
  const records = run(Buffer.concat(ecdhs.map((e) => e.getPublicKey())));
  const publicKeys = new Set<string>();
  ecdhs.forEach((receiver, i) => {
    const record = records.subarray(i * 98, (i + 1) * 98);
    expect(record[0]).toBe(0);
    publicKeys.add(Buffer.from(record.subarray(1, 66)).toString('hex'));
    // The receiver's side of the agreement, as a browser would compute it.
    expect(Buffer.from(receiver.computeSecret(record.subarray(1, 66)))).toEqual(
      Buffer.from(record.subarray(66)),
    );
  });
  expect(publicKeys.size).toBe(200);
});

describe('keys that are not points on P-256 get status 1, and the rest of the batch is unharmed', () => {
  const good = () => receivers(1)[0]!.getPublicKey();
  const flipY = () => {
    const key = good();
    key[64]! ^= 1;
    return key;
  };
  const xAbovePrime = () => {
    const key = good();
    fieldPrime.copy(key, 1);
    return key;
  };
  const compressedPrefix = () => {
    const key = good();
    key[0] = 2;
    return key;
  };
  const cases: [string, () => Buffer][] = [
    ['y off the curve', flipY],
    ['x equal to the field prime', xAbovePrime],
    ['a compressed-point prefix on 65 bytes', compressedPrefix],
    ['all zeros (the point at infinity is not encodable)', () => Buffer.alloc(65)],
  ];
  test.each(cases)('%s', (_name, bad) => {
    const [before, after] = receivers(2);
    const records = run(Buffer.concat([before!.getPublicKey(), bad(), after!.getPublicKey()]));
    expect([records[0], records[98], records[196]]).toEqual([0, 1, 0]);
    expect(Buffer.from(after!.computeSecret(records.subarray(197, 262)))).toEqual(
      Buffer.from(records.subarray(262, 294)),
    );
  });
});

test('wrong arguments throw typed errors and write nothing', () => {
  const records = new Uint8Array(98).fill(9);
  const key = receivers(1)[0]!.getPublicKey();
  expect(() => agree!(key.subarray(0, 64), records)).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
  );
  expect(() => agree!(key, new Uint8Array(97))).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }),
  );
  expect(() => (agree as (a: unknown, b: unknown) => void)('key', records)).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
  );
  expect(() => (agree as (a: unknown, b: unknown) => void)(key, new Uint16Array(49))).toThrow(
    expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }),
  );
  expect(records.every((b) => b === 9)).toBe(true);
});

test('worker threads load their own instance and agree in parallel', async () => {
  const ecdhs = receivers(2);
  const source = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { agree } = require(workerData.addon);
    const records = new Uint8Array(workerData.peers.length / 65 * 98);
    for (let i = 0; i < 500; i++) agree(workerData.peers, records);
    parentPort.postMessage(records);
  `;
  const peers = Buffer.concat(ecdhs.map((e) => e.getPublicKey()));
  const results = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<Uint8Array>((resolve, reject) => {
          const worker = new Worker(source, {
            eval: true,
            workerData: { addon: createRequire(import.meta.url).resolve('@herald/ecdh-native'), peers },
          });
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
    ),
  );
  for (const records of results) {
    ecdhs.forEach((receiver, i) => {
      expect(records[i * 98]).toBe(0);
      expect(Buffer.from(receiver.computeSecret(records.subarray(i * 98 + 1, i * 98 + 66)))).toEqual(
        Buffer.from(records.subarray(i * 98 + 66, (i + 1) * 98)),
      );
    });
  }
});
