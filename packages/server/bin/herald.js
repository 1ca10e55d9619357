#!/usr/bin/env node
// The `herald` command. A committed file (not a build output) so npm can link it and keep it
// executable before `tsc -b` has produced dist/.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
