import { createECDH, generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { expect, test } from 'vitest';
import { isP256Point } from '../src/push/p256.js';

function opensslAccepts(point: Uint8Array): boolean {
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(Buffer.alloc(32, 1));
    ecdh.computeSecret(point);
    return true;
  } catch {
    return false;
  }
}

function realPoint(): Uint8Array {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  return Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x!, 'base64url'),
    Buffer.from(jwk.y!, 'base64url'),
  ]);
}

// Byte 0 is left alone: OpenSSL also accepts the hybrid forms 0x06/0x07, which Web Push does not
// use (RFC 8291 §3.1 says uncompressed); the prefix is checked in the next test.
test('isP256Point agrees with OpenSSL on real points and on points with one coordinate byte changed', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 255 }), (index, delta) => {
      const point = realPoint();
      expect(isP256Point(point)).toBe(true);
      const changed = Uint8Array.from(point);
      changed[index] = (changed[index]! + delta) & 255;
      expect(isP256Point(changed)).toBe(opensslAccepts(changed));
    }),
    { numRuns: 200 },
  );
});

test('isP256Point refuses wrong lengths, compressed points, and coordinates at or above p', () => {
  const point = realPoint();
  expect(isP256Point(point.slice(0, 64))).toBe(false);
  expect(isP256Point(Uint8Array.from([2, ...point.slice(1, 33)]))).toBe(false);
  expect(isP256Point(Uint8Array.from([6, ...point.slice(1)]))).toBe(false);
  expect(isP256Point(Uint8Array.from([4, ...new Array(64).fill(255)]))).toBe(false);
  expect(isP256Point(new Uint8Array(65))).toBe(false);
});
