/**
 * Opening a notification's URL: focus a tab already showing it, open one otherwise. Opening a
 * second tab of a page the user already has open is one of the commonest complaints about push.
 */
import type { HeraldNotificationData } from './payload.js';

declare const self: ServiceWorkerGlobalScope;

const withoutHash = (url: string) => url.split('#')[0];

/**
 * Focuses a window client showing `url` (the fragment aside), or opens a new one.
 *
 * @example
 * ```ts
 * self.addEventListener('notificationclick', (event) => event.waitUntil(focusOrOpen('https://a.example/')));
 * ```
 */
export async function focusOrOpen(url: string): Promise<WindowClient | null> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => withoutHash(client.url) === withoutHash(url));
  return open ? open.focus() : self.clients.openWindow(url);
}

/**
 * The URL a click opens: the action's own, else the notification's, else the worker's scope
 * (a notification that another script showed without Herald's data).
 *
 * @example
 * ```ts
 * const url = clickTarget(event.notification.data, event.action);
 * ```
 */
export function clickTarget(data: HeraldNotificationData | undefined, action: string): string {
  return (action && data?.actions?.[action]) || data?.url || self.registration.scope;
}
