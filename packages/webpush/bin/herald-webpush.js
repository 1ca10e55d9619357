#!/usr/bin/env node
// The `herald-webpush` command. A committed file (not a build output) so that npm links it, and
// keeps it executable, before `tsc -b` has produced dist/.
import '../dist/node/cli.js';
