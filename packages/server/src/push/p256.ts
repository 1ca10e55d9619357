/**
 * P-256 public key validation by arithmetic (SEC 1 v2 §3.2.2.1): a 65-byte uncompressed point
 * 0x04 || X || Y is valid when X and Y are below the field prime p and y² = x³ − 3x + b (mod p).
 * P-256 has cofactor 1, so a point on the curve is in the prime-order group and the check is
 * complete. Done with BigInt it costs a few microseconds, against ~300 µs for building a
 * `KeyObject` through OpenSSL, which matters on the subscribe path (thousands per second).
 */
const p = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const b = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function toBigInt(bytes: Uint8Array, start: number): bigint {
  let hex = '0x';
  for (let i = start; i < start + 32; i++) hex += bytes[i]!.toString(16).padStart(2, '0');
  return BigInt(hex);
}

/**
 * True when `point` is a 65-byte uncompressed point on P-256.
 *
 * @example
 * ```ts
 * isP256Point(decodeBase64Url(subscription.keys.p256dh)); // true for a browser's key
 * ```
 */
export function isP256Point(point: Uint8Array): boolean {
  if (point.length !== 65 || point[0] !== 4) return false;
  const x = toBigInt(point, 1);
  const y = toBigInt(point, 33);
  if (x >= p || y >= p) return false;
  return (y * y - (x * x * x - 3n * x + b)) % p === 0n;
}
