/**
 * `@herald/sw`: Herald's service worker. It shows every push as a notification (Declarative Web
 * Push payloads, with a fallback for anything else), opens or focuses the right tab on click,
 * re-subscribes on `pushsubscriptionchange`, and reports receipts to the Herald server.
 *
 * @packageDocumentation
 */
export { fromBase64Url, toBase64Url } from './base64url.js';
export { clickTarget, focusOrOpen } from './click.js';
export { type HeraldWorker, type HeraldWorkerOptions, installHerald } from './install.js';
export {
  type HeraldAction,
  type HeraldDelivery,
  type HeraldNotification,
  type HeraldNotificationData,
  type HeraldNotificationOptions,
  type HeraldPush,
  parsePush,
} from './payload.js';
export { type Receipt, type ReceiptEvent, sendReceipt } from './receipts.js';
export { readStored, type StoredRegistration, type StoreKey, writeStored } from './store.js';
export { resubscribe } from './subscription-change.js';
