// The push service stand-in: its own process (so its CPU is not charged to a contender), HTTPS
// with the run's self-signed certificate, keep-alive, answering 201 at once like an RFC 8030
// service. It checks the headers of every request and decrypts a sample with Mozilla's
// http_ece, so a contender that sent malformed messages fast would be caught.
// Driven over IPC by run.mjs: {type:'stats'} answers and resets the counters.
import { createECDH } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import ece from 'http_ece';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const fixtures = JSON.parse(readFileSync(config.fixturesPath, 'utf8'));
const byId = new Map(fixtures.subscriptions.map((s) => [s.id, s]));
const sampleEvery = 500;

let stats;
function resetStats() {
  stats = { received: 0, malformed: 0, sampled: 0, decrypted: 0, connections: 0, firstProblem: null };
}
resetStats();

function problem(message) {
  stats.malformed++;
  stats.firstProblem ??= message;
}

function verify(request, body) {
  const subscription = byId.get(request.url.slice('/push/'.length));
  stats.sampled++;
  try {
    const receiver = createECDH('prime256v1');
    receiver.setPrivateKey(Buffer.from(subscription.uaPrivateKey, 'base64url'));
    const plaintext = ece.decrypt(body, {
      version: 'aes128gcm',
      privateKey: receiver,
      authSecret: subscription.keys.auth,
    });
    if (plaintext.toString('utf8') === fixtures.payload) stats.decrypted++;
    else problem(`decrypted payload differs for ${request.url}`);
  } catch (error) {
    problem(`cannot decrypt ${request.url}: ${error.message}`);
  }
}

const server = createServer(
  { key: readFileSync(config.keyPath), cert: readFileSync(config.certPath), keepAliveTimeout: 30_000 },
  (request, response) => {
    const n = ++stats.received;
    const headers = request.headers;
    if (
      request.method !== 'POST' ||
      !request.url.startsWith('/push/') ||
      headers.ttl === undefined ||
      headers['content-encoding'] !== 'aes128gcm' ||
      !headers.authorization?.startsWith('vapid t=')
    ) {
      problem(`unexpected request ${request.method} ${request.url} ${JSON.stringify(headers)}`);
    }
    const sample = n % sampleEvery === 0;
    const chunks = [];
    if (sample) request.on('data', (chunk) => chunks.push(chunk));
    else request.resume();
    request.on('end', () => {
      if (sample) verify(request, Buffer.concat(chunks));
      response.writeHead(201, { location: `/message/${n}`, 'content-length': '0' });
      response.end();
    });
  },
);
server.on('secureConnection', () => stats.connections++);
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }));

process.on('message', (message) => {
  if (message.type === 'stats') {
    process.send({ type: 'stats', stats });
    resetStats();
  }
});
process.on('disconnect', () => process.exit(0));
