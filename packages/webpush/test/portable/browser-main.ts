/** Entry point for a browser page: the report's promise is left on `globalThis` for the driver. */
import { runSelfTest } from './self-test.js';

(globalThis as { heraldSelfTest?: ReturnType<typeof runSelfTest> }).heraldSelfTest = runSelfTest();
