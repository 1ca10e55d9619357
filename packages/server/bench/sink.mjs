// The push service stand-in for the delivery benchmark: its own process (its CPU is not charged
// to the sender), HTTPS with the run's self-signed certificate, keep-alive, answering 201 at once.
// Endpoints are /push/<n>; a byte per n counts how often each subscription was reached, so the
// run can tell "every subscriber exactly once" from "as many requests as subscribers". Every
// request is checked (POST, TTL, aes128gcm, VAPID); the body is not decrypted (the webpush
// benchmark's sink samples decryption; here the keys are shared among many subscriptions).
// Driven over IPC by run.mjs: {type:'reset', size}, {type:'stats'}, {type:'watch', on} (report
// each arrival's time, for latency runs).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const config = JSON.parse(process.argv[2]);
const bucketMs = 250;
let seen = new Uint8Array(0);
let stats;
let watching = false;

function reset(size) {
  seen = new Uint8Array(size);
  stats = {
    received: 0,
    malformed: 0,
    duplicates: 0,
    firstAt: 0,
    lastAt: 0,
    buckets: {},
    firstProblem: null,
  };
}
reset(0);

const server = createServer(
  { key: readFileSync(config.keyPath), cert: readFileSync(config.certPath), keepAliveTimeout: 60_000 },
  (request, response) => {
    const now = performance.timeOrigin + performance.now();
    const headers = request.headers;
    const n = Number(request.url.slice('/push/'.length));
    if (
      request.method !== 'POST' ||
      !Number.isInteger(n) ||
      headers.ttl === undefined ||
      headers['content-encoding'] !== 'aes128gcm' ||
      !headers.authorization?.startsWith('vapid t=')
    ) {
      stats.malformed++;
      stats.firstProblem ??= `${request.method} ${request.url} ${JSON.stringify(headers)}`;
    }
    stats.received++;
    if (n < seen.length) {
      if (seen[n] !== 0) stats.duplicates++;
      if (seen[n] < 255) seen[n]++;
    }
    if (stats.firstAt === 0) stats.firstAt = now;
    stats.lastAt = now;
    const bucket = Math.floor(now / bucketMs) * bucketMs;
    stats.buckets[bucket] = (stats.buckets[bucket] ?? 0) + 1;
    if (watching) process.send({ type: 'arrival', n, at: now });
    request.resume();
    request.on('end', () => {
      response.writeHead(201, { location: `/m/${stats.received}`, 'content-length': '0' });
      response.end();
    });
  },
);
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));

process.on('message', (message) => {
  if (message.type === 'reset') {
    reset(message.size);
    process.send({ type: 'reset' });
  } else if (message.type === 'watch') {
    watching = message.on;
    process.send({ type: 'watch' });
  } else if (message.type === 'stats') {
    let missing = 0;
    for (let i = 0; i < seen.length; i++) if (seen[i] === 0) missing++;
    process.send({ type: 'stats', stats: { ...stats, missing, cpu: process.cpuUsage() } });
  }
});
process.on('disconnect', () => process.exit(0));
