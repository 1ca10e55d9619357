/**
 * The browser SDK: permission, subscription and registration with the Herald server, kept in
 * step with the browser on every page load.
 */
import { fromBase64Url, toBase64Url } from '@herald/sw/base64url';
import { readStored, type StoredRegistration, writeStored } from '@herald/sw/store';
import { callApi } from './api.js';
import { HeraldClientError } from './errors.js';

/** Options of {@link createHerald}. */
export interface HeraldOptions {
  /** The Herald server's base URL, e.g. `https://push.example.com`. */
  server: string;
  /** The service worker script (which imports `@herald/sw`); default `/sw.js`. */
  serviceWorker?: string;
  /** The service worker's scope; default: the script's directory. */
  scope?: string;
  /** How long `subscribe` waits for the browser's push service, in ms; default 20 000. */
  timeout?: number;
  /** Receives the errors of the quiet reconciliation that runs on page load. */
  onError?: (error: unknown) => void;
}

/** Where this browser stands; see {@link HeraldClient.getState}. */
export type HeraldState = 'unsupported' | 'denied' | 'prompt' | 'subscribed' | 'unsubscribed';

/** Options of {@link HeraldClient.subscribe}. */
export interface SubscribeOptions {
  /** The topics to receive; default: those registered before, or none. */
  topics?: string[];
  /** A short-lived token from the site's backend that links this browser to the site's user. */
  userToken?: string;
}

/** What {@link createHerald} returns. */
export interface HeraldClient {
  /** `unsupported`, `denied` (notifications blocked), `prompt` (never asked), `subscribed` or `unsubscribed`. */
  getState(): Promise<HeraldState>;
  /** Asks permission (call it from a click), subscribes and registers; returns the subscription. */
  subscribe(options?: SubscribeOptions): Promise<PushSubscription>;
  /** Unsubscribes and removes the subscription from the server. */
  unsubscribe(): Promise<void>;
  /** Replaces the topics this browser receives. */
  setTopics(topics: string[]): Promise<void>;
  /** Links this browser to the site's user with a token the site's backend signed. */
  linkUser(userToken: string): Promise<void>;
  /** Registers a subscription the browser changed behind the SDK's back (run on creation). */
  reconcile(): Promise<void>;
  /** Settles when the reconciliation started on creation has finished (it never rejects). */
  ready: Promise<void>;
}

const supported = () =>
  typeof navigator !== 'undefined' &&
  'serviceWorker' in navigator &&
  typeof PushManager !== 'undefined' &&
  typeof Notification !== 'undefined';

const keyOf = (subscription: PushSubscription) => {
  const key = subscription.options.applicationServerKey;
  return key ? toBase64Url(key) : undefined;
};

/**
 * Creates the SDK for one Herald server and starts a quiet reconciliation: if the browser's
 * subscription is not the one last registered (Chrome replaces subscriptions without firing
 * `pushsubscriptionchange`) or was made with a retired VAPID key, the new one is registered in
 * place of the old.
 *
 * @example
 * ```ts
 * const herald = createHerald({ server: 'https://push.example.com' });
 * button.onclick = () => herald.subscribe({ topics: ['news'] });
 * ```
 */
export function createHerald(options: HeraldOptions): HeraldClient {
  const { server, serviceWorker = '/sw.js', scope, timeout = 20_000 } = options;

  const registration = () =>
    navigator.serviceWorker.register(serviceWorker, scope ? { scope } : undefined).then(async (r) => {
      await navigator.serviceWorker.ready;
      return r;
    });
  const current = async () =>
    (await navigator.serviceWorker.getRegistration(scope))?.pushManager.getSubscription();
  const stored = () => readStored<StoredRegistration>('registration');
  const serverKey = async () =>
    (await callApi<{ publicKey: string }>(server, 'GET', '/vapid-public-key')).publicKey;

  const pushSubscribe = async (pushManager: PushManager, key: string) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      return await Promise.race([
        pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: fromBase64Url(key) }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${timeout} ms`)), timeout);
        }),
      ]);
    } catch (cause) {
      if ((cause as DOMException).name === 'NotAllowedError') {
        throw new HeraldClientError('ERR_PERMISSION_DENIED', 'the browser refused the subscription', {
          cause,
        });
      }
      throw new HeraldClientError(
        'ERR_PUSH_SERVICE_UNREACHABLE',
        `expected the browser's push service to create a subscription, it failed: ${(cause as Error).message}`,
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }
  };

  /**
   * Registers `subscription` with the server and stores it. A subscription the browser replaced
   * names its predecessor with proof (`replaces`), so the server moves topics and user link over
   * and retires it; if the server no longer has the predecessor (pruned after a 410, or deleted)
   * the proof fails and the subscription is registered afresh with the stored topics.
   */
  const register = async (subscription: PushSubscription, key: string, body: SubscribeOptions) => {
    const previous = await stored();
    const json = subscription.toJSON();
    const topics = body.topics ?? previous?.topics ?? [];
    const replaces = previous && previous.endpoint !== subscription.endpoint;
    const post = (proof: boolean) =>
      callApi<{ id: string }>(server, 'POST', '/subscriptions', {
        subscription: json,
        applicationServerKey: key,
        // Without topics the server keeps the replaced subscription's topics and user link.
        ...(proof && !body.topics ? {} : { topics }),
        ...(proof ? { replaces: { id: previous!.id, auth: previous!.auth } } : {}),
      });
    const { id } = await post(!!replaces).catch((error: HeraldClientError) => {
      if (replaces && (error.status === 403 || error.status === 404)) return post(false);
      throw error;
    });
    const record: StoredRegistration = {
      server,
      id,
      endpoint: subscription.endpoint,
      auth: json.keys?.auth ?? '',
      applicationServerKey: key,
      topics,
    };
    await writeStored('registration', record);
    if (body.userToken) await link(record, body.userToken);
    return record;
  };

  const link = (record: StoredRegistration, token: string) =>
    callApi(record.server, 'POST', `/subscriptions/${record.id}/link`, { auth: record.auth, token });

  /** Subscribes with the server's active key, replacing a subscription made with another one. */
  const ensure = async (pushManager: PushManager, body: SubscribeOptions) => {
    const key = await serverKey();
    let subscription = await pushManager.getSubscription();
    if (subscription && keyOf(subscription) !== key) {
      // A subscription is bound to its key: the browser refuses a second subscribe with another.
      await subscription.unsubscribe();
      subscription = null;
    }
    subscription ??= await pushSubscribe(pushManager, key);
    const previous = await stored();
    if (
      previous?.endpoint !== subscription.endpoint ||
      previous.server !== server ||
      body.topics ||
      body.userToken
    ) {
      await register(subscription, key, body);
    }
    return subscription;
  };

  const need = async () => {
    const record = await stored();
    if (!record) {
      throw new HeraldClientError(
        'ERR_NOT_SUBSCRIBED',
        'expected a registered subscription, found none: subscribe first',
      );
    }
    return record;
  };

  const client: HeraldClient = {
    async getState() {
      if (!supported()) return 'unsupported';
      if (Notification.permission === 'denied') return 'denied';
      if (Notification.permission === 'default') return 'prompt';
      const [subscription, record] = await Promise.all([current(), stored()]);
      return subscription && subscription.endpoint === record?.endpoint ? 'subscribed' : 'unsubscribed';
    },

    async subscribe(body = {}) {
      if (!supported()) {
        throw new HeraldClientError(
          'ERR_NOT_SUPPORTED',
          'expected service workers, the Push API and notifications',
        );
      }
      await client.ready;
      if (Notification.permission === 'default') {
        // Browsers ignore or penalise prompts not caused by the user (Chrome's quiet UI, Firefox's
        // outright refusal): refuse early with a clear error instead.
        if (navigator.userActivation && !navigator.userActivation.isActive) {
          throw new HeraldClientError(
            'ERR_USER_GESTURE_REQUIRED',
            'expected subscribe() to be called from a click or key press, it was called without a user gesture',
          );
        }
        await Notification.requestPermission();
      }
      if (Notification.permission !== 'granted') {
        throw new HeraldClientError(
          'ERR_PERMISSION_DENIED',
          `notification permission is '${Notification.permission}'`,
        );
      }
      return ensure((await registration()).pushManager, body);
    },

    async unsubscribe() {
      const [subscription, record] = await Promise.all([current(), stored()]);
      if (record) {
        // A server that cannot be told still prunes the subscription at the next send (410).
        await callApi(record.server, 'POST', `/subscriptions/${record.id}/unsubscribe`, {
          auth: record.auth,
        }).catch((error: unknown) => options.onError?.(error));
      }
      await subscription?.unsubscribe();
      await writeStored('registration', undefined);
    },

    async setTopics(topics) {
      const record = await need();
      await callApi(record.server, 'PUT', `/subscriptions/${record.id}/topics`, {
        auth: record.auth,
        topics,
      });
      await writeStored('registration', { ...record, topics });
    },

    async linkUser(userToken) {
      await link(await need(), userToken);
    },

    async reconcile() {
      if (!supported() || Notification.permission !== 'granted') return;
      const [r, record] = await Promise.all([navigator.serviceWorker.getRegistration(scope), stored()]);
      // Nothing to keep in step until this browser has subscribed through the SDK.
      if (r && record) await ensure(r.pushManager, {});
    },

    ready: Promise.resolve(),
  };
  client.ready = client.reconcile().catch((error: unknown) => options.onError?.(error));
  return client;
}
