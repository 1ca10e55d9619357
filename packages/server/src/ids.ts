import { randomBytes } from 'node:crypto';

// Crockford base32: ASCII order equals numeric order, so ids sort by creation time in SQLite's
// BINARY collation and PostgreSQL's "C" collation alike.
const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
let lastTail: number[] = [];

/**
 * A new id: `prefix_` + 10 characters of millisecond time + 16 characters (80 bits) of random.
 * Within one process ids are strictly increasing: in the same millisecond the random part is
 * incremented instead of drawn again (as ULID's monotonic mode does). Later ids sorting after
 * earlier ones keeps inserts at the end of the primary key index and gives listings "newest
 * first" for free.
 *
 * @example
 * ```ts
 * newId('sub'); // 'sub_01JDX3V0Q8K2M7T4ZB5N9W6CRA'
 * ```
 */
export function newId(prefix: string, now: number = Date.now()): string {
  let tail: number[];
  if (now <= lastTime) {
    tail = [...lastTail];
    for (let i = tail.length - 1; i >= 0; i--) {
      tail[i] = (tail[i]! + 1) & 31;
      if (tail[i] !== 0) break;
    }
    now = lastTime;
  } else {
    const random = randomBytes(16);
    tail = [...random].map((byte) => byte & 31);
    // Leave headroom so increments within one millisecond never wrap around.
    tail[0] = tail[0]! & 15;
  }
  lastTime = now;
  lastTail = tail;
  let time = '';
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = alphabet[t % 32]! + time;
    t = Math.floor(t / 32);
  }
  return `${prefix}_${time}${tail.map((digit) => alphabet[digit]).join('')}`;
}
