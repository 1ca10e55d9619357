import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { expect, test } from 'vitest';
import { bundle } from '../../sw/test/helpers/browser.js';

const budget = 4096;

test(`the SDK, every export bundled, is at most ${budget} bytes minified and gzipped`, async () => {
  const code = await bundle(fileURLToPath(new URL('../src/index.ts', import.meta.url)), {
    minify: true,
    format: 'esm',
  });
  const size = gzipSync(code).length;
  console.log(`@herald/client: ${code.length} bytes minified, ${size} bytes min+gz`);
  expect(size).toBeLessThanOrEqual(budget);
});
