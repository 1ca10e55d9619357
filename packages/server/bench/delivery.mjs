// `npm run bench:delivery`: the delivery engine, measured end to end on real processes. A real
// `herald serve` (the compiled CLI) sends broadcasts to a sink in its own process (sink.mjs,
// HTTPS, 201 at once); the baseline is the web-push library sending the same messages to the
// same sink at its best concurrency. Server CPU and memory are read from /proc (all threads);
// the sink counts what each subscription received. Parts (--parts=a,b,...):
//   baseline    web-push sendNotification on a sample (--baseline-n=20000) at 10, 50, 200 in flight
//   throughput  SQLite, a broadcast to --n=100000 subscriptions
//   million     SQLite, a broadcast to --big=1000000: peak RSS, first-push latency, throughput
//   latency     single-subscriber messages on an idle server (--latency-n=200): p50/p99
//   postgres    PostgreSQL, --n subscriptions with 1 and with 2 worker processes; DB CPU per message
// --json=<file> keeps the results; --svg=<dir> writes the throughput and memory plots;
// --concurrency and --chunk-size set HERALD_CONCURRENCY and HERALD_CHUNK_SIZE of the server,
// --node-options its NODE_OPTIONS (e.g. V8 heap flags, to study memory), --cpu-prof=<dir> and
// --heap-prof=<dir> write a V8 CPU or allocation profile of each server process, and
// --native=0 runs the server with HERALD_NATIVE_ECDH=0 (node:crypto instead of @herald/ecdh-native).
import { execFileSync, fork, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createCertificate } from '../../webpush/bench/certificate.mjs';
import { timelineSvg } from './plot.mjs';
import { receiverKeys, seedPostgres, seedSqlite, subscriptionId } from './seed.mjs';

const options = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, ...value] = arg.replace(/^--/, '').split('=');
    return [key, value.length > 0 ? value.join('=') : 'true'];
  }),
);
const n = Number(options.n ?? 100_000);
const big = Number(options.big ?? 1_000_000);
const baselineN = Number(options['baseline-n'] ?? 20_000);
const latencyN = Number(options['latency-n'] ?? 200);
const parts = (options.parts ?? 'baseline,throughput,million,latency,postgres').split(',');
const postgresUrl = process.env.HERALD_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const packageDir = join(benchDir, '..');
const rootDir = join(packageDir, '../..');
const bin = join(packageDir, 'bin/herald.js');
const apiKey = 'hk_bench_0123456789abcdefghijklmnopqrstuv';
const payload = {
  title: 'Herald weekly',
  body: 'Three new articles are waiting for you.',
  url: '/articles/2026/11/27',
};
const fmt = (value, digits = 0) =>
  Number(value).toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

// The server runs from dist/: bring it up to date first (a no-op when it is).
execFileSync(join(rootDir, 'node_modules/.bin/tsc'), ['-b'], { cwd: rootDir, stdio: 'inherit' });

const workDir = mkdtempSync(join(tmpdir(), 'herald-delivery-bench-'));
const certificate = createCertificate(workDir);
const sink = await startSink();
const sinkOrigin = `https://127.0.0.1:${sink.port}`;
// A few thousand distinct receiver keys, reused cyclically: every push still costs one ECDH.
const keys = receiverKeys(2_000);
let cachedPair;
const results = { machine: { cpus: cpus().length, model: cpus()[0]?.model, loadavg: loadavg() }, parts: {} };
console.log(
  `delivery benchmark: ${cpus().length} CPUs, Node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);

try {
  if (parts.includes('baseline')) results.parts.baseline = await baseline();
  if (parts.includes('throughput')) results.parts.throughput = await sqliteBroadcast('throughput', n);
  if (parts.includes('million')) results.parts.million = await sqliteBroadcast('million', big);
  if (parts.includes('latency')) results.parts.latency = await latency();
  if (parts.includes('postgres')) results.parts.postgres = await postgresScaleOut();
  report(results);
  if (options.json) writeFileSync(options.json, JSON.stringify(results, null, 2));
  if (options.svg) writePlots(results, options.svg);
} finally {
  sink.child.kill();
  rmSync(workDir, { recursive: true, force: true });
}

// ---------------------------------------------------------------------------------------------

function startSink() {
  const child = fork(join(benchDir, 'sink.mjs'), [JSON.stringify(certificate)], { stdio: 'inherit' });
  const waiting = new Map();
  child.on('message', (message) => {
    if (message.type === 'arrival') sink.onArrival?.(message);
    else waiting.get(message.type)?.(message);
  });
  const call = (request) =>
    new Promise((resolve) => {
      waiting.set(request.type, resolve);
      child.send(request);
    });
  return new Promise((resolve) => {
    waiting.set('ready', ({ port }) => resolve({ child, port, call, onArrival: undefined }));
  });
}

/** CPU seconds (user + system, all threads) of a process and its peak/current RSS, from /proc. */
function procStats(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`${name}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { cpuSeconds: ticks / 100, rssMb: kb('VmRSS') / 1024, peakRssMb: kb('VmHWM') / 1024 };
}

/** CPU seconds of every PostgreSQL process on this machine (the database's cost). */
function postgresCpuSeconds() {
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
    } catch {
      // The process ended while we looked.
    }
  }
  return ticks / 100;
}

function startHerald(env, role) {
  // --cpu-prof=<dir> / --heap-prof=<dir>: a V8 CPU or sampling allocation profile of each server
  // process (written when it stops).
  const profile = [
    ...(options['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${options['cpu-prof']}`] : []),
    ...(options['heap-prof'] ? ['--heap-prof', `--heap-prof-dir=${options['heap-prof']}`] : []),
  ];
  const child = spawn(process.execPath, [...profile, bin, 'serve', '--role', role], {
    env: {
      PATH: process.env.PATH,
      PORT: '0',
      HERALD_HOST: '127.0.0.1',
      HERALD_API_KEY: apiKey,
      HERALD_RATE_LIMIT: '0',
      HERALD_VAPID_SUBJECT: 'mailto:bench@news.example.com',
      HERALD_SITE_URL: 'https://news.example.com/',
      HERALD_ALLOW_PUSH_HOSTS: '127.0.0.1:*',
      // The sink's self-signed certificate, trusted as an extra CA: TLS is checked as in production.
      NODE_EXTRA_CA_CERTS: certificate.certPath,
      ...(options.concurrency ? { HERALD_CONCURRENCY: options.concurrency } : {}),
      ...(options['chunk-size'] ? { HERALD_CHUNK_SIZE: options['chunk-size'] } : {}),
      ...(options['node-options'] ? { NODE_OPTIONS: options['node-options'] } : {}),
      ...(options.native === '0' ? { HERALD_NATIVE_ECDH: '0' } : {}),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const ready = new Promise((resolve, reject) => {
    let said = false;
    const onData = (chunk) => {
      output += chunk;
      const crypto = /Herald delivery: (.*)/.exec(output);
      if (crypto && !said) {
        said = true;
        console.log(`  server (${role}): ${crypto[1]}`);
      }
      const api = /listening: API (http:\/\/\S+)\/api\/v1/.exec(output);
      if (api) resolve(api[1].replace('localhost', '127.0.0.1'));
      else if (role === 'worker' && /worker started/.test(output)) resolve(undefined);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`herald exited with ${code}:\n${output}`)));
  });
  return {
    child,
    ready,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function api(base, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const json = await response.json();
  if (!response.ok) throw new Error(`${path}: ${response.status} ${JSON.stringify(json)}`);
  return json;
}

/** Migrates a database through the real CLI and makes its VAPID key; returns the key id. */
async function prepare(env) {
  execFileSync(process.execPath, [bin, 'migrate'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: 'ignore',
  });
  // The first start generates the VAPID key pair; seeding needs its id.
  const server = startHerald(env, 'api');
  await server.ready;
  await server.stop();
}

/**
 * Sends one broadcast through `apiBase` and follows it: samples the server processes' CPU and
 * RSS every 250 ms, waits for completion, and asks the sink what arrived.
 */
async function followBroadcast(apiBase, pids, size, label) {
  await sink.call({ type: 'reset', size });
  const before = pids.map(procStats);
  const samples = [];
  const t0 = performance.timeOrigin + performance.now();
  const { id } = await api(apiBase, '/messages', { to: { all: true }, notification: payload, ttl: 86_400 });
  const accepted = performance.timeOrigin + performance.now();
  let message;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const stats = pids.map(procStats);
    samples.push({ at: Date.now(), rssMb: stats.reduce((sum, s) => sum + s.rssMb, 0) });
    message = await api(apiBase, `/messages/${id}`);
    if (message.status === 'completed') break;
  }
  const after = pids.map(procStats);
  const { stats } = await sink.call({ type: 'stats' });
  const cpuSeconds = after.reduce((sum, s, i) => sum + s.cpuSeconds - before[i].cpuSeconds, 0);
  const sendSeconds = (stats.lastAt - stats.firstAt) / 1000;
  const result = {
    size,
    counts: message.counts,
    received: stats.received,
    missing: stats.missing,
    duplicates: stats.duplicates,
    malformed: stats.malformed,
    firstPushMs: stats.firstAt - t0,
    apiMs: accepted - t0,
    sendSeconds,
    msgsPerSecond: stats.received / sendSeconds,
    endToEndSeconds: (stats.lastAt - t0) / 1000,
    cpuUsPerMessage: (cpuSeconds * 1e6) / stats.received,
    peakRssMb: Math.max(...after.map((s) => s.peakRssMb)),
    timeline: Object.entries(stats.buckets)
      .map(([at, count]) => ({ at: Number(at), perSecond: count * 4 }))
      .sort((a, b) => a.at - b.at),
    memory: samples,
  };
  if (stats.malformed > 0)
    throw new Error(`the sink got ${stats.malformed} malformed requests: ${stats.firstProblem}`);
  if (stats.missing > 0) throw new Error(`${stats.missing} subscribers got nothing`);
  console.log(
    `  ${label}: ${fmt(result.msgsPerSecond)} msgs/s, ${fmt(result.cpuUsPerMessage)} µs CPU/msg, peak RSS ${fmt(result.peakRssMb)} MB, first push ${fmt(result.firstPushMs)} ms after the API call, ${stats.duplicates} duplicates`,
  );
  return result;
}

async function baseline() {
  console.log(`\nweb-push baseline: ${fmt(baselineN)} messages at 10, 50, 200 in flight (one process each)`);
  const configPath = join(workDir, 'baseline.json');
  const runs = [];
  for (const concurrency of [10, 50, 200]) {
    await sink.call({ type: 'reset', size: 0 });
    writeFileSync(
      configPath,
      JSON.stringify({
        keys,
        sinkOrigin,
        payload: JSON.stringify({
          web_push: 8030,
          notification: { ...payload, navigate: 'https://news.example.com/' },
        }),
        vapid: { subject: 'mailto:bench@news.example.com', ...vapidPair() },
        n: baselineN,
        warmup: 1_000,
        concurrency,
        offset: 0,
        certPath: certificate.certPath,
      }),
    );
    const out = execFileSync(process.execPath, [join(benchDir, 'baseline-web-push.mjs'), configPath], {
      encoding: 'utf8',
    });
    const run = JSON.parse(out.trim().split('\n').at(-1));
    run.msgsPerSecond = (run.n / run.wallMs) * 1000;
    run.cpuUsPerMessage = run.cpuUs / run.n;
    if (run.failures > 0)
      throw new Error(`web-push had ${run.failures} failures at concurrency ${concurrency}`);
    console.log(
      `  concurrency ${concurrency}: ${fmt(run.msgsPerSecond)} msgs/s, ${fmt(run.cpuUsPerMessage)} µs CPU/msg`,
    );
    runs.push(run);
  }
  const best = runs.reduce((a, b) => (b.msgsPerSecond > a.msgsPerSecond ? b : a));
  return { runs, best };
}

function vapidPair() {
  if (cachedPair) return cachedPair;
  const out = execFileSync(
    process.execPath,
    ['-e', "import('web-push').then((w) => console.log(JSON.stringify(w.default.generateVAPIDKeys())))"],
    { encoding: 'utf8', cwd: rootDir },
  );
  cachedPair = JSON.parse(out);
  return cachedPair;
}

async function sqliteBroadcast(label, size) {
  console.log(`\n${label}: SQLite, a broadcast to ${fmt(size)} subscriptions`);
  const dataDir = mkdtempSync(join(workDir, `${label}-`));
  const env = { HERALD_DATA_DIR: dataDir };
  await prepare(env);
  const file = join(dataDir, 'herald.db');
  const seedStart = performance.now();
  seedSqlite(file, { count: size, keys, sinkOrigin, vapidKeyId: sqliteVapidKeyId(file) });
  console.log(`  seeded in ${fmt((performance.now() - seedStart) / 1000, 1)} s`);
  const server = startHerald(env, 'all');
  const base = await server.ready;
  try {
    return await followBroadcast(base, [server.child.pid], size, label);
  } finally {
    await server.stop();
  }
}

function sqliteVapidKeyId(file) {
  const out = execFileSync(
    process.execPath,
    [
      '-e',
      `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(file)}); console.log(db.prepare('SELECT id FROM vapid_keys WHERE active').get().id);`,
    ],
    { encoding: 'utf8', cwd: packageDir },
  );
  return out.trim();
}

async function latency() {
  console.log(`\nlatency: ${latencyN} single-subscriber messages, one at a time, idle server (SQLite)`);
  const dataDir = mkdtempSync(join(workDir, 'latency-'));
  const env = { HERALD_DATA_DIR: dataDir };
  await prepare(env);
  const file = join(dataDir, 'herald.db');
  seedSqlite(file, { count: 1_000, keys, sinkOrigin, vapidKeyId: sqliteVapidKeyId(file) });
  const server = startHerald(env, 'all');
  const base = await server.ready;
  try {
    await sink.call({ type: 'reset', size: 1_000 });
    await sink.call({ type: 'watch', on: true });
    const latencies = [];
    for (let i = 0; i < latencyN + 20; i++) {
      const target = i % 1_000;
      const arrived = new Promise((resolve) => {
        sink.onArrival = (arrival) => {
          if (arrival.n === target) resolve(arrival.at);
        };
      });
      const t0 = performance.timeOrigin + performance.now();
      await api(base, '/messages', {
        to: { subscriptionIds: [subscriptionId(target)] },
        notification: payload,
      });
      const at = await arrived;
      // The first 20 warm up (JIT, the connection to the sink, the JWT cache).
      if (i >= 20) latencies.push(at - t0);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sink.call({ type: 'watch', on: false });
    latencies.sort((a, b) => a - b);
    const pick = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
    const result = {
      n: latencies.length,
      p50: pick(0.5),
      p90: pick(0.9),
      p99: pick(0.99),
      max: latencies.at(-1),
    };
    console.log(
      `  API call to the push leaving: p50 ${fmt(result.p50, 1)} ms, p99 ${fmt(result.p99, 1)} ms, max ${fmt(result.max, 1)} ms`,
    );
    return result;
  } finally {
    await server.stop();
  }
}

async function postgresScaleOut() {
  console.log(`\npostgres: PostgreSQL, a broadcast to ${fmt(n)} subscriptions with 1 and 2 worker processes`);
  const database = `herald_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  const env = { DATABASE_URL: url.href };
  const runs = [];
  try {
    await prepare(env);
    const client = new pg.Client({ connectionString: url.href });
    await client.connect();
    const vapidKeyId = (await client.query('SELECT id FROM vapid_keys WHERE active')).rows[0].id;
    await seedPostgres(url.href, 'public', { count: n, keys, sinkOrigin, vapidKeyId });
    for (const workers of [1, 2]) {
      const apiServer = startHerald(env, 'api');
      const base = await apiServer.ready;
      // The server's own rule (cores - 1 crypto threads) applied to each worker's share of the
      // cores, so two workers do not oversubscribe: on 2 cores, 1 worker has 1 thread and each of
      // 2 workers does its key agreements on its event loop.
      const threads = String(Math.max(0, Math.floor(cpus().length / workers) - 1));
      const workerProcesses = Array.from({ length: workers }, () =>
        startHerald({ ...env, HERALD_CRYPTO_THREADS: threads }, 'worker'),
      );
      await Promise.all(workerProcesses.map((w) => w.ready));
      const xactBefore = await dbActivity(client, database);
      const pgCpuBefore = postgresCpuSeconds();
      try {
        const result = await followBroadcast(
          base,
          [apiServer.child.pid, ...workerProcesses.map((w) => w.child.pid)],
          n,
          `${workers} worker${workers > 1 ? 's' : ''}`,
        );
        const xactAfter = await dbActivity(client, database);
        result.workers = workers;
        result.dbCpuUsPerMessage = ((postgresCpuSeconds() - pgCpuBefore) * 1e6) / result.received;
        result.transactionsPerThousand = ((xactAfter.xact - xactBefore.xact) * 1000) / result.received;
        console.log(
          `    database: ${fmt(result.dbCpuUsPerMessage, 1)} µs PostgreSQL CPU per message, ${fmt(result.transactionsPerThousand, 1)} transactions per 1,000 messages`,
        );
        runs.push(result);
      } finally {
        for (const w of workerProcesses) await w.stop();
        await apiServer.stop();
      }
    }
    await client.end();
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
  return { runs };
}

async function dbActivity(client, database) {
  const row = (await client.query('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [database]))
    .rows[0];
  return { xact: Number(row.xact_commit) };
}

function report({ parts: p }) {
  console.log('\nsummary');
  const base = p.baseline?.best;
  if (base)
    console.log(
      `  web-push at its best (${base.concurrency} in flight): ${fmt(base.msgsPerSecond)} msgs/s, ${fmt(base.cpuUsPerMessage)} µs CPU/msg`,
    );
  for (const key of ['throughput', 'million']) {
    const r = p[key];
    if (!r) continue;
    const ratio = base
      ? `, ${fmt(r.msgsPerSecond / base.msgsPerSecond, 2)}x web-push, CPU/msg ${fmt(r.cpuUsPerMessage / base.cpuUsPerMessage, 2)} of web-push's`
      : '';
    console.log(
      `  ${key} (${fmt(r.size)}): ${fmt(r.msgsPerSecond)} msgs/s${ratio}; peak RSS ${fmt(r.peakRssMb)} MB; first push ${fmt(r.firstPushMs)} ms`,
    );
  }
  if (p.throughput && p.million)
    console.log(
      `  1M throughput vs 100k: ${fmt((p.million.msgsPerSecond / p.throughput.msgsPerSecond) * 100, 1)} %`,
    );
  if (p.latency) console.log(`  single subscriber: p99 ${fmt(p.latency.p99, 1)} ms`);
  for (const r of p.postgres?.runs ?? [])
    console.log(
      `  PostgreSQL, ${r.workers} worker(s): ${fmt(r.msgsPerSecond)} msgs/s, ${fmt(r.dbCpuUsPerMessage, 1)} µs DB CPU/msg`,
    );
}

function writePlots({ parts: p }, dir) {
  const series = ['throughput', 'million'].filter((key) => p[key]);
  for (const key of series) {
    const r = p[key];
    const start = r.timeline[0]?.at ?? 0;
    writeFileSync(
      join(dir, `delivery-${key}.svg`),
      timelineSvg({
        title: `Broadcast to ${fmt(r.size)} subscriptions (SQLite, one process)`,
        left: { label: 'msgs/s', points: r.timeline.map((b) => [(b.at - start) / 1000, b.perSecond]) },
        right: { label: 'RSS MB', points: r.memory.map((m) => [(m.at - start) / 1000, m.rssMb]) },
      }),
    );
  }
}
