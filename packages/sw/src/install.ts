/**
 * The service worker itself: `installHerald` adds the `push`, `notificationclick`,
 * `notificationclose` and `pushsubscriptionchange` listeners.
 */
import { clickTarget, focusOrOpen } from './click.js';
import {
  type HeraldNotification,
  type HeraldNotificationData,
  type HeraldPush,
  parsePush,
} from './payload.js';
import { type ReceiptEvent, sendReceipt } from './receipts.js';
import { readStored, type StoredRegistration } from './store.js';
import { resubscribe } from './subscription-change.js';

declare const self: ServiceWorkerGlobalScope;

/** Options of {@link installHerald}; read at each event, so they may be changed later. */
export interface HeraldWorkerOptions {
  /** The Herald server's base URL; default: the one `@herald/client` registered with. */
  server?: string;
  /**
   * Called for every push before anything is shown. Return a notification to show instead of
   * Herald's (e.g. for a data push), or nothing to show Herald's. A notification is always shown:
   * if the hook throws, Herald's is shown.
   */
  onPush?: (
    push: HeraldPush,
    event: PushEvent,
  ) => HeraldNotification | undefined | Promise<HeraldNotification | undefined>;
  /** Called on a click before Herald opens the URL; return `true` when the hook handled it. */
  onClick?: (event: NotificationEvent) => boolean | undefined | Promise<boolean | undefined>;
}

/** What {@link installHerald} returns: the options and the handlers, callable directly. */
export interface HeraldWorker {
  options: HeraldWorkerOptions;
  /** Shows the notification for a push payload and reports it delivered. */
  showPush(text: string | undefined, event?: PushEvent): Promise<void>;
  /** Opens (or focuses) what a click on `notification` (or on its `action`) targets; reports it clicked. */
  click(notification: Notification, action?: string): Promise<void>;
  /** Subscribes again and registers the new subscription in place of the old (see {@link resubscribe}). */
  resubscribe(
    oldSubscription: PushSubscription | null,
    newSubscription: PushSubscription | null,
  ): Promise<StoredRegistration | undefined>;
}

/**
 * Installs Herald's service worker handlers. Call it during the worker's first evaluation
 * (browsers only deliver events to listeners added then).
 *
 * @example
 * ```ts
 * // sw.js, bundled
 * import { installHerald } from '@herald/sw';
 * installHerald({ onPush: (push) => (push.json ? undefined : { title: 'Update', options: push.notification.options }) });
 * ```
 */
export function installHerald(options: HeraldWorkerOptions = {}): HeraldWorker {
  const receipt = async (data: HeraldNotificationData | undefined, event: ReceiptEvent) => {
    if (!data?.herald) return;
    const server =
      options.server ?? (await readStored<StoredRegistration>('registration').catch(() => undefined))?.server;
    if (server) await sendReceipt(server, { ...data.herald, event });
  };

  const worker: HeraldWorker = {
    options,
    async showPush(text, event) {
      const push = parsePush(text, self.registration.scope);
      let shown = push.notification;
      try {
        shown = (event && (await options.onPush?.(push, event))) || shown;
      } catch (error) {
        console.error('Herald: the onPush hook failed; showing the notification as received', error);
      }
      await self.registration.showNotification(shown.title, shown.options);
      await receipt(push.notification.options.data, 'delivered');
    },
    async click(notification, action = '') {
      notification.close();
      const data = notification.data as HeraldNotificationData | undefined;
      await Promise.all([focusOrOpen(clickTarget(data, action)), receipt(data, 'clicked')]);
    },
    resubscribe: (oldSubscription, newSubscription) =>
      resubscribe(oldSubscription, newSubscription, options.server),
  };

  self.addEventListener('push', (event) => {
    event.waitUntil(worker.showPush(event.data?.text(), event));
  });
  self.addEventListener('notificationclick', (event) => {
    event.waitUntil(
      (async () => {
        if (await options.onClick?.(event)) return receipt(event.notification.data, 'clicked');
        return worker.click(event.notification, event.action);
      })(),
    );
  });
  self.addEventListener('notificationclose', (event) => {
    event.waitUntil(receipt(event.notification.data, 'closed'));
  });
  self.addEventListener('pushsubscriptionchange', (event) => {
    event.waitUntil(worker.resubscribe(event.oldSubscription, event.newSubscription));
  });
  return worker;
}
