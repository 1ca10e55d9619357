import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { bundle } from './helpers/browser.js';

const budget = 4096;
const gzipped = async (entry: string, format: 'iife' | 'esm') =>
  gzipSync(await bundle(fileURLToPath(new URL(entry, import.meta.url)), { minify: true, format })).length;

test(`the ready-made worker script is at most ${budget} bytes minified and gzipped`, async () => {
  const size = await gzipped('../src/script.ts', 'iife');
  console.log(`herald-sw.js: ${size} bytes min+gz`);
  expect(size).toBeLessThanOrEqual(budget);
});

test(`the whole module, every export bundled, is at most ${budget} bytes minified and gzipped`, async () => {
  const size = await gzipped('../src/index.ts', 'esm');
  console.log(`@herald/sw (all exports): ${size} bytes min+gz`);
  expect(size).toBeLessThanOrEqual(budget);
});
