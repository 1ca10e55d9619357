// `npm run bench`: every package's benchmark (`packages/<name>/bench/run.mjs`, then the server's
// delivery benchmark `bench/delivery.mjs`), one after the other so that they never compete for
// the CPU. Arguments are passed on to each of them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packagesDir = fileURLToPath(new URL('../packages', import.meta.url));
const benches = readdirSync(packagesDir)
  .sort()
  .flatMap((name) => [
    { name, script: join(packagesDir, name, 'bench/run.mjs') },
    { name: `${name} (delivery)`, script: join(packagesDir, name, 'bench/delivery.mjs') },
  ])
  .filter(({ script }) => existsSync(script));

for (const { name, script } of benches) {
  console.log(`\n=== packages/${name} ===\n`);
  const { status } = spawnSync(process.execPath, [script, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (status !== 0) {
    console.error(`the ${name} benchmark failed (exit ${status})`);
    process.exit(status ?? 1);
  }
}
