/** Entry point for workerd: an ES module worker whose every request runs the self-test. */
import { runSelfTest } from './self-test.js';

export default {
  async fetch(): Promise<Response> {
    return Response.json(await runSelfTest());
  },
};
