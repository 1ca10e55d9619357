// Builds the static site the server serves (dist/public): the dashboard at /, the demo at /demo/,
// and the ready-made worker script at /herald-sw.js. esbuild bundles the TypeScript (already a
// dependency of the repository); the HTML and CSS are copied as they are.
import { copyFile, cp, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = `${root}dist/public`;
await mkdir(out, { recursive: true });
await cp(`${root}static`, out, { recursive: true });
const common = { bundle: true, minify: true, target: 'es2020', format: 'iife', logLevel: 'warning' };
await Promise.all([
  build({ ...common, entryPoints: [`${root}src/dashboard/main.ts`], outfile: `${out}/dashboard.js` }),
  build({ ...common, entryPoints: [`${root}src/demo/main.ts`], outfile: `${out}/demo/demo.js` }),
  // Built by @herald/sw's own build, which runs first (workspace order).
  copyFile(createRequire(import.meta.url).resolve('@herald/sw/herald-sw.js'), `${out}/herald-sw.js`),
]);
