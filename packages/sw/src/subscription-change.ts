/**
 * `pushsubscriptionchange`: the push service dropped or replaced the subscription (Firefox fires
 * it when the push service resets its uaid; Chrome never does, which is why `@herald/client` also
 * reconciles on page load). The worker subscribes again with the same VAPID key and registers the
 * new subscription with `replaces` carrying the old one's id and auth secret, the proof that it
 * held it, so the server moves topics and user link over and deletes the old one.
 */
import { fromBase64Url, toBase64Url } from './base64url.js';
import { readStored, type StoredRegistration, writeStored } from './store.js';

declare const self: ServiceWorkerGlobalScope;

async function post(url: string, body: unknown): Promise<Response> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok && response.status !== 403 && response.status !== 404) {
    throw new Error(`Herald server answered ${response.status} to ${url}`);
  }
  return response;
}

/**
 * Subscribes again (unless the browser already did) and registers the result, replacing the
 * subscription last registered. Returns the new registration, or `undefined` when this worker
 * never registered one (no server to tell).
 *
 * @param server - the Herald server; default: the one the stored registration names.
 * @example
 * ```ts
 * self.addEventListener('pushsubscriptionchange', (event) =>
 *   event.waitUntil(resubscribe(event.oldSubscription, event.newSubscription)));
 * ```
 */
export async function resubscribe(
  oldSubscription: PushSubscription | null,
  newSubscription: PushSubscription | null,
  server?: string,
): Promise<StoredRegistration | undefined> {
  const stored = await readStored<StoredRegistration>('registration');
  const base = (server ?? stored?.server)?.replace(/\/$/, '');
  if (!base) return undefined;
  let subscription = newSubscription ?? (await self.registration.pushManager.getSubscription());
  const oldKey = oldSubscription?.options.applicationServerKey;
  const key = subscription?.options.applicationServerKey ?? oldKey;
  const applicationServerKey = key
    ? toBase64Url(key)
    : ((await (await fetch(`${base}/api/v1/vapid-public-key`)).json()) as { publicKey: string }).publicKey;
  if (!subscription || subscription.endpoint === oldSubscription?.endpoint) {
    subscription = await self.registration.pushManager.subscribe({
      userVisibleOnly: true,
      applicationServerKey: fromBase64Url(applicationServerKey),
    });
  }
  const json = subscription.toJSON();
  const topics = stored?.topics ?? [];
  const url = `${base}/api/v1/subscriptions`;
  const fresh = { subscription: json, applicationServerKey, topics };
  // Without topics the server keeps the replaced subscription's topics and user link. If it no
  // longer has the old one (pruned after a 410), the proof fails (403/404): register afresh.
  let response = stored
    ? await post(url, {
        subscription: json,
        applicationServerKey,
        replaces: { id: stored.id, auth: stored.auth },
      })
    : await post(url, fresh);
  if (!response.ok) response = await post(url, fresh);
  if (!response.ok) throw new Error(`Herald server answered ${response.status} to ${url}`);
  const { id } = (await response.json()) as { id: string };
  const registration: StoredRegistration = {
    server: base,
    id,
    endpoint: subscription.endpoint,
    auth: json.keys?.auth ?? '',
    applicationServerKey,
    topics,
  };
  await writeStored('registration', registration);
  return registration;
}
