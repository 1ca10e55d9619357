// The application server: @herald/webpush's sendMany (undici, VAPID JWT cached per origin) in its
// own process; reports the CPU it spent per sent message.
import { sendMany } from '@herald/webpush';
import { serve } from './ipc.mjs';

const payload = JSON.stringify({ title: 'Benchmark', body: 'x'.repeat(140) });

serve({
  send: async ({ subscriptions, count, vapid }) => {
    const items = function* () {
      for (let i = 0; i < count; i++)
        yield { subscription: subscriptions[i % subscriptions.length], payload };
    };
    const cpuBefore = process.cpuUsage();
    const start = performance.now();
    let failures = 0;
    let first;
    for await (const { result } of sendMany(items(), { vapid, ttl: 3600, allowHttp: true })) {
      if (result.kind !== 'delivered') {
        failures++;
        first ??= result;
      }
    }
    const cpu = process.cpuUsage(cpuBefore);
    if (failures > 0) throw new Error(`${failures} sends failed, first: ${JSON.stringify(first)}`);
    return { wallMs: performance.now() - start, cpuUs: cpu.user + cpu.system };
  },
});
