// The push service under test, in its own process so that its CPU time and memory are its own.
import { PushService } from '../dist/index.js';
import { serve, settledMemory } from './ipc.mjs';

const service = await PushService.start({ port: 0 });
let acks = 0;
service.on('ua:ack', () => {
  acks++;
});

serve({
  info: () => ({ websocketUrl: service.websocketUrl, origin: service.origin }),
  cpu: () => process.cpuUsage(),
  acks: () => acks,
  status: () => service.status(),
  memory: () => settledMemory(),
  stop: async () => {
    await service.close();
    setImmediate(() => process.exit(0));
    return true;
  },
});
