// The baseline: the web-push library sending the same broadcast (payload, TTL, VAPID key) to
// the same sink, with `concurrency` sendNotification calls in flight, over an https.Agent with
// keep-alive that trusts the sink's certificate (web-push's `agent` option). Prints one JSON line.
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import webpush from 'web-push';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { keys, sinkOrigin, payload, vapid, n, warmup, concurrency, offset } = config;
const options = {
  vapidDetails: vapid,
  TTL: 86_400,
  contentEncoding: 'aes128gcm',
  agent: new Agent({ keepAlive: true, ca: readFileSync(config.certPath, 'utf8') }),
  timeout: 30_000,
};

async function run(start, count) {
  let next = start;
  let failures = 0;
  const end = start + count;
  async function lane() {
    while (next < end) {
      const i = next++;
      const key = keys[i % keys.length];
      try {
        const response = await webpush.sendNotification(
          { endpoint: `${sinkOrigin}/push/${i}`, keys: key },
          payload,
          options,
        );
        if (response.statusCode !== 201) failures++;
      } catch {
        failures++;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  return failures;
}

await run(offset, warmup);
const cpuBefore = process.cpuUsage();
const start = performance.now();
const failures = await run(offset + warmup, n);
const wallMs = performance.now() - start;
const cpu = process.cpuUsage(cpuBefore);
process.stdout.write(
  `${JSON.stringify({ n, concurrency, wallMs, cpuUs: cpu.user + cpu.system, failures, maxRssKb: process.resourceUsage().maxRSS })}\n`,
);
options.agent.destroy();
