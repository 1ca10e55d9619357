// Headless user agents, many in one process: connect, subscribe, receive (decrypt and ack).
import { HeadlessUserAgent } from '../dist/index.js';
import { serve, settledMemory } from './ipc.mjs';

const agents = [];
let received = 0;

async function inBatches(count, size, make) {
  for (let done = 0; done < count; done += size) {
    await Promise.all(Array.from({ length: Math.min(size, count - done) }, (_, i) => make(done + i)));
  }
}

serve({
  /** Connects `count` agents; each subscribes once when `key` is given; `offline` ones disconnect after. */
  connect: async ({ url, count, key, offline }) => {
    const subscriptions = [];
    await inBatches(count, 200, async () => {
      const agent = await HeadlessUserAgent.connect(url, { buffer: false, timeoutMs: 60_000 });
      agent.on('message', () => {
        received++;
      });
      agents.push(agent);
      if (key) subscriptions.push((await agent.subscribe({ applicationServerKey: key })).toJSON());
      if (offline) agent.disconnect();
    });
    return subscriptions;
  },
  received: () => received,
  memory: () => settledMemory(),
  closeAll: () => {
    for (const agent of agents.splice(0)) agent.close();
    return true;
  },
});
