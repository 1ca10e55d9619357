// The measuring side of a contender process: warm up, then time N operations and report the
// wall time, this process's CPU time (user + system) and its peak resident set size.
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

/** The run's configuration and fixtures, passed by run.mjs as a JSON file path. */
export function loadConfig() {
  const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  config.fixtures = JSON.parse(readFileSync(config.fixturesPath, 'utf8'));
  return config;
}

/**
 * Runs `work(start, count)` once for `warmup` operations (JIT, connections, JWT caches), then
 * for `n` measured ones, and prints the result as one JSON line for run.mjs. `work` resolves
 * to the number of operations that failed.
 */
export async function measure({ n, warmup }, work, details = {}) {
  const warmupFailures = await work(0, warmup);
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const failures = await work(warmup, n);
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const result = {
    n,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    maxRssKb: process.resourceUsage().maxRSS,
    failures: failures + warmupFailures,
    ...details,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
