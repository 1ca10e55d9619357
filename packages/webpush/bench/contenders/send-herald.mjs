// Our sending: sendMany over the undici transport (one keep-alive Pool per push-service
// origin), default concurrency. The transport trusts the sink's self-signed certificate
// through its `connect: { ca }` TLS option. With `threads` in the config, the key agreements
// run on that many worker threads (createParallelBackend); otherwise all on this one thread.
import { defaultBackend, sendMany } from '@herald/webpush';
import { createParallelBackend, createUndiciTransport } from '@herald/webpush/node';
import { subscriptionFor } from '../fixtures.mjs';
import { loadConfig, measure } from '../measure.mjs';

const config = loadConfig();
const { fixtures, sinkOrigin } = config;
if (defaultBackend.name !== 'node') throw new Error(`expected the node backend, got ${defaultBackend.name}`);
const transport = createUndiciTransport({ connect: { ca: config.cert } });
const backend = config.threads ? createParallelBackend({ threads: config.threads }) : undefined;
const options = {
  vapid: fixtures.vapid,
  ttl: fixtures.ttl,
  contentEncoding: 'aes128gcm',
  transport,
  ...(backend ? { backend } : {}),
  ...(config.concurrency ? { concurrency: config.concurrency } : {}),
};

function* items(start, count) {
  for (let i = start; i < start + count; i++) {
    yield { subscription: subscriptionFor(fixtures, i, sinkOrigin), payload: fixtures.payload };
  }
}

await measure(config, async (start, count) => {
  let failures = 0;
  for await (const { result } of sendMany(items(start, count), options)) {
    if (result.kind !== 'delivered') {
      if (failures++ === 0) process.stderr.write(`first failure: ${JSON.stringify(result)}\n`);
    }
  }
  return failures;
});
await transport.close();
await backend?.close();
