// `npm run bench:server`: subscription registrations per second and their latency, as browsers
// make them after a permission prompt goes out: 50 clients, each with one keep-alive connection,
// POST /api/v1/subscriptions back to back (a new endpoint each time, real P-256 keys), rate limit
// off. The server runs in its own process (`herald serve`, as built), on SQLite and then on
// PostgreSQL, so the load generator's CPU is not counted as the server's.
//
// Options: --duration=10 (seconds measured) --warmup=2 --clients=50 --db=sqlite,postgres --json=<file>
// --profile=<dir> (V8 CPU profile of the server)
import { execFileSync, spawn } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const options = Object.fromEntries(
  process.argv.slice(2).map((arg) => {
    const [key, value] = arg.replace(/^--/, '').split('=');
    return [key, value ?? 'true'];
  }),
);
const duration = Number(options.duration ?? 10) * 1000;
const warmup = Number(options.warmup ?? 2) * 1000;
const clients = Number(options.clients ?? 50);
const databases = (options.db ?? 'sqlite,postgres').split(',');
const postgresUrl = process.env.HERALD_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const benchDir = fileURLToPath(new URL('.', import.meta.url));
const rootDir = join(benchDir, '../../..');
execFileSync(join(rootDir, 'node_modules/.bin/tsc'), ['-b', join(benchDir, '../tsconfig.json')], {
  stdio: 'inherit',
});
const bin = join(benchDir, '../bin/herald.js');

// A pool of real browser keys: the server checks each p256dh is a point on P-256.
const keys = Array.from({ length: 200 }, () => {
  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([
    Buffer.from([4]),
    Buffer.from(jwk.x, 'base64url'),
    Buffer.from(jwk.y, 'base64url'),
  ]);
  return { p256dh: point.toString('base64url'), auth: randomBytes(16).toString('base64url') };
});
let sequence = 0;
const body = () => {
  const n = sequence++;
  return JSON.stringify({
    subscription: {
      endpoint: `https://fcm.googleapis.com/fcm/send/bench-${process.pid}-${n}`,
      keys: keys[n % keys.length],
    },
    topics: ['news'],
  });
};

function startServer(env) {
  return new Promise((resolve, reject) => {
    // --profile=<dir>: the server writes a V8 CPU profile there when it stops.
    const profile = options.profile ? ['--cpu-prof', `--cpu-prof-dir=${options.profile}`] : [];
    const child = spawn(process.execPath, [...profile, bin, 'serve'], {
      env: { ...process.env, PORT: '0', HERALD_HOST: '127.0.0.1', HERALD_RATE_LIMIT: '0', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = /Herald is listening: API (http:\/\/[^/\s]+)\/api\/v1/.exec(out);
      if (match) resolve({ child, url: match[1] });
    });
    child.on('exit', (code) => reject(new Error(`herald serve exited with ${code}:\n${out}`)));
  });
}

function post(agent, url) {
  const payload = body();
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/api/v1/subscriptions`,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 201) reject(new Error(`registration answered ${res.statusCode}`));
          else resolve(performance.now() - started);
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// The server process's CPU time (user + system, all threads) from /proc, in ms: the cost per
// registration is the server's own, whatever else runs on this shared machine.
const clockTick = 10;
function cpuMs(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * clockTick;
}

async function load(url, pid) {
  const agent = new Agent({ keepAlive: true, maxSockets: clients });
  const latencies = [];
  let phase = 'warmup';
  const clientLoop = async () => {
    while (phase !== 'done') {
      const ms = await post(agent, url);
      if (phase === 'measure') latencies.push(ms);
    }
  };
  const running = Array.from({ length: clients }, clientLoop);
  await new Promise((resolve) => setTimeout(resolve, warmup));
  phase = 'measure';
  const cpuBefore = cpuMs(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, duration));
  phase = 'done';
  const elapsed = performance.now() - started;
  const cpu = cpuMs(pid) - cpuBefore;
  await Promise.all(running);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return {
    cpuUsPerRegistration: (cpu * 1000) / latencies.length,
    perSecond: (latencies.length / elapsed) * 1000,
    n: latencies.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: latencies.at(-1),
  };
}

async function run(db) {
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'herald-bench-'));
    const { child, url } = await startServer({ HERALD_DATA_DIR: dir });
    try {
      return await load(url, child.pid);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const database = `herald_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  try {
    const { child, url: serverUrl } = await startServer({ DATABASE_URL: url.href });
    try {
      return await load(serverUrl, child.pid);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

console.log(
  `server registration benchmark: ${clients} clients, ${warmup / 1000} s warm-up, ${duration / 1000} s measured, ` +
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
);
const results = {};
for (const db of databases) {
  const r = await run(db);
  results[db] = r;
  const f = (ms) => `${ms.toFixed(1)} ms`;
  console.log(
    `${db.padEnd(8)} ${r.perSecond.toFixed(0).padStart(6)} registrations/s  (n=${r.n})  ` +
      `p50 ${f(r.p50)}  p95 ${f(r.p95)}  p99 ${f(r.p99)}  max ${f(r.max)}  ` +
      `server CPU ${r.cpuUsPerRegistration.toFixed(0)} µs/registration`,
  );
}
const goal = results.sqlite;
if (goal) {
  const met = goal.perSecond >= 3000 && goal.p99 < 50;
  console.log(`goal (SQLite >= 3,000/s with p99 < 50 ms): ${met ? 'met' : 'NOT met'}`);
}
if (options.json) writeFileSync(options.json, JSON.stringify({ clients, duration, results }, null, 2));
