// Builds the ready-made worker script `dist/herald-sw.js` (an IIFE for `importScripts`) from
// `src/script.ts`, minified: this is the file sites serve, and the one whose size the budget is for.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../src/script.ts', import.meta.url).pathname],
  outfile: new URL('../dist/herald-sw.js', import.meta.url).pathname,
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  logLevel: 'warning',
});
