import { expect, test } from 'vitest';
import { SendLine } from '../src/delivery/send-line.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

test('slots go in claim order; encryption starts at most concurrency ahead, topped up in blocks', async () => {
  const line = new SendLine(4, 10);
  const prepared: number[] = [];
  const granted: number[] = [];
  for (let i = 0; i < 12; i++) {
    const waiting = line.take(() => prepared.push(i));
    if (waiting) void waiting.then(() => granted.push(i));
    else granted.push(i);
  }
  await tick();
  // 4 in flight (prepared when they took their slot); 3 prepared ahead, since the line is only
  // topped up while at most half of the limit (4) is prepared and waiting.
  expect(granted).toEqual([0, 1, 2, 3]);
  expect(prepared).toEqual([0, 1, 2, 3, 4, 5, 6]);

  // An answer: 4 goes, 2 prepared pushes remain (half the limit), so a block tops them up to 4.
  line.release();
  await tick();
  expect(granted).toEqual([0, 1, 2, 3, 4]);
  expect(prepared).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);

  // Another: 3 prepared remain, more than half: nothing new starts.
  line.release();
  await tick();
  expect(granted).toEqual([0, 1, 2, 3, 4, 5]);
  expect(prepared).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);

  // Another: down to 2 again, the next block of 2 starts.
  line.release();
  await tick();
  expect(granted).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(prepared).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);

  // Draining: every push is prepared before it is granted, each once.
  for (let i = 0; i < 12; i++) line.release();
  await tick();
  expect(granted).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  expect(prepared.toSorted((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
});

test('room() waits while a chunk or more waits for a slot', async () => {
  const line = new SendLine(1, 2);
  line.take(() => undefined);
  let roomy = false;
  void line.take(() => undefined);
  void line.take(() => undefined);
  void line.room().then(() => {
    roomy = true;
  });
  await tick();
  expect(roomy).toBe(false);
  line.release();
  await tick();
  expect(roomy).toBe(true);
});
