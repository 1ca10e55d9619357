/**
 * `@herald/client`: the browser SDK of Herald. Subscribes this browser to push notifications
 * and registers it with a Herald server, and keeps the two in step.
 *
 * @packageDocumentation
 */
export { callApi } from './api.js';
export {
  createHerald,
  type HeraldClient,
  type HeraldOptions,
  type HeraldState,
  type SubscribeOptions,
} from './client.js';
export { errorCodes, HeraldClientError, type HeraldClientErrorCode } from './errors.js';
