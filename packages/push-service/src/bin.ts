#!/usr/bin/env node
// The `herald-push-service` binary: parses the command line, starts the service, prints its
// URLs and the Firefox prefs, and stops cleanly on SIGINT/SIGTERM.
import { describeService, parseCli, usage } from './cli.js';
import { PushService, type PushServiceOptions } from './service.js';

let options: PushServiceOptions | 'help';
try {
  options = parseCli(process.argv.slice(2));
} catch (error) {
  console.error(`herald-push-service: ${(error as Error).message}\n\n${usage}`);
  process.exit(2);
}
if (options === 'help') {
  console.log(usage);
} else {
  try {
    const service = await PushService.start(options);
    console.log(describeService(service, options));
    const stop = () => {
      service.close().then(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  } catch (error) {
    console.error(`herald-push-service: ${(error as Error).message}`);
    process.exit(1);
  }
}
