/** Entry point for runtimes that run a module from the command line (Node, Deno, Bun). */
import { runSelfTest } from './self-test.js';

console.log(JSON.stringify(await runSelfTest()));
