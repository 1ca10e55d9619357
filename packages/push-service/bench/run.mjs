// `npm run bench:push-service`: what the push service costs, measured in one run against the
// sender that feeds it. Three processes: the service, the headless user agents, and the sender
// (@herald/webpush's sendMany), so each one's CPU time and memory are its own.
//
// 1. accepted: N pushes to subscriptions whose user agents are offline (stored, not delivered);
// 2. delivered: N pushes to connected user agents, until every one is acknowledged;
//    for both, the service's CPU per message against the sender's CPU per sent message;
// 3. connections: a fresh service holds C connected user agents; memory per connection.
//
// Options: --n=10000 --agents=500 --connections=10000 --json=<file>
import { execFileSync, fork } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, ready } from './ipc.mjs';

const options = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key, value ?? 'true'];
  }),
);
const n = Number(options.n ?? 10_000);
const agentCount = Number(options.agents ?? 500);
const connections = Number(options.connections ?? 10_000);
const warmup = 1000;

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const rootDir = join(benchDir, '../../..');
execFileSync(join(rootDir, 'node_modules/.bin/tsc'), ['-b', join(benchDir, '../tsconfig.json')], {
  stdio: 'inherit',
});
const { generateVapidKeys } = await import('@herald/webpush');

const children = [];
async function start(script, execArgv = []) {
  const child = fork(join(benchDir, script), [], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  await ready(child);
  return client(child);
}
const cpuDelta = (before, after) => after.user + after.system - (before.user + before.system);
const us = (value) => value.toFixed(1).padStart(8);
const kib = (bytes) => (bytes / 1024).toFixed(1);

async function until(check, what, timeoutMs = 120_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

try {
  console.log(
    `push-service benchmark: n=${n} messages per phase, ${agentCount} agents online + ${agentCount} offline, ` +
      `${connections} connections; load average ${loadavg()[0].toFixed(2)}`,
  );
  const keys = await generateVapidKeys();
  const vapid = { subject: 'mailto:bench@example.com', ...keys };

  let service = await start('service.mjs', [
    '--expose-gc',
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=/tmp/pushprof'] : []),
  ]);
  const agents = await start('agents.mjs', ['--expose-gc']);
  const sender = await start('sender.mjs');
  const { websocketUrl } = await service('info');
  const online = await agents('connect', { url: websocketUrl, count: agentCount, key: keys.publicKey });
  const offline = await agents('connect', {
    url: websocketUrl,
    count: agentCount,
    key: keys.publicKey,
    offline: true,
  });

  // Warm up both paths: JIT, keep-alive connections, the sender's JWT and the service's VAPID cache.
  await sender('send', { subscriptions: online, count: warmup, vapid });
  await sender('send', { subscriptions: offline, count: warmup, vapid });
  await until(async () => (await service('acks')) >= warmup, 'the warm-up acks');

  async function phase(subscriptions, waitForAcks) {
    const acks = await service('acks');
    const before = await service('cpu');
    const sent = await sender('send', { subscriptions, count: n, vapid });
    if (waitForAcks) await until(async () => (await service('acks')) >= acks + n, 'every ack');
    const after = await service('cpu');
    return {
      serviceUs: cpuDelta(before, after) / n,
      senderUs: sent.cpuUs / n,
      rate: (n / sent.wallMs) * 1000,
    };
  }
  const accepted = await phase(offline, false);
  const delivered = await phase(online, true);
  const stored = (await service('status')).messages;
  await service('stop');
  await agents('closeAll');

  // A fresh service for the memory figures, so that stored messages and history do not count.
  service = await start('service.mjs', ['--expose-gc']);
  const fresh = await service('info');
  const serviceBase = await service('memory');
  const agentsBase = await agents('memory');
  const started = Date.now();
  await agents('connect', { url: fresh.websocketUrl, count: connections });
  const connectSeconds = (Date.now() - started) / 1000;
  const status = await service('status');
  if (status.connected !== connections)
    throw new Error(`only ${status.connected} of ${connections} connected`);
  const serviceHeld = await service('memory');
  const agentsHeld = await agents('memory');
  await service('stop');

  const perConnection = {
    rss: (serviceHeld.rss - serviceBase.rss) / connections,
    heap: (serviceHeld.heapUsed - serviceBase.heapUsed) / connections,
    external: (serviceHeld.external - serviceBase.external) / connections,
  };
  const perAgent = {
    rss: (agentsHeld.rss - agentsBase.rss) / connections,
    heap: (agentsHeld.heapUsed - agentsBase.heapUsed) / connections,
  };

  console.log(
    '\nCPU per message (µs, user + system)      service   sender (@herald/webpush)   ratio   msg/s sent',
  );
  for (const [name, r] of [
    ['accepted (user agent offline, stored)', accepted],
    ['delivered (connected, acknowledged)  ', delivered],
  ]) {
    console.log(
      `  ${name}    ${us(r.serviceUs)}   ${us(r.senderUs)}                  ${(r.serviceUs / r.senderUs).toFixed(2).padStart(5)}   ${Math.round(r.rate)}`,
    );
  }
  console.log(`  (${stored} messages left stored for the offline agents, as expected)`);
  console.log(
    `\n${connections} connected headless user agents (hello done), connected in ${connectSeconds.toFixed(1)} s:`,
  );
  console.log(
    `  service: ${kib(perConnection.rss)} KiB RSS, ${kib(perConnection.heap)} KiB JS heap, ` +
      `${kib(perConnection.external)} KiB external per connection (total RSS ${(serviceHeld.rss / 2 ** 20).toFixed(0)} MiB)`,
  );
  console.log(
    `  agents process: ${kib(perAgent.rss)} KiB RSS, ${kib(perAgent.heap)} KiB JS heap per agent ` +
      `(total RSS ${(agentsHeld.rss / 2 ** 20).toFixed(0)} MiB)`,
  );
  const goals = [
    ['accepted: service CPU <= half of the sender', accepted.serviceUs <= accepted.senderUs / 2],
    ['delivered: service CPU <= half of the sender', delivered.serviceUs <= delivered.senderUs / 2],
    [`${connections} connections held in one process`, status.connected === connections],
  ];
  console.log('\nGoals:');
  for (const [goal, met] of goals) console.log(`  ${met ? 'met    ' : 'MISSED '} ${goal}`);
  if (options.json) {
    writeFileSync(
      options.json,
      `${JSON.stringify({ n, agentCount, connections, accepted, delivered, perConnection, perAgent }, null, 2)}\n`,
    );
  }
} finally {
  for (const child of children) child.kill();
}
