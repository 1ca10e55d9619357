/**
 * What the browser keeps between page loads and service worker runs, in IndexedDB (database
 * `herald`, object store `kv`; see docs/payload.md). The page (`@herald/client`) and the service
 * worker share it because they share the origin: the SDK writes the registration, the worker
 * reads it to report receipts and to prove, after `pushsubscriptionchange`, that it held the
 * subscription it replaces.
 */

/** The subscription as last registered with the Herald server. */
export interface StoredRegistration {
  /** The Herald server's base URL, e.g. `https://push.example.com`. */
  server: string;
  /** The id the server gave the subscription. */
  id: string;
  endpoint: string;
  /** The subscription's auth secret (base64url): the proof of possession the server checks. */
  auth: string;
  /** The VAPID public key the subscription was made with (base64url). */
  applicationServerKey: string;
  topics: string[];
}

/** The keys of the `kv` store. */
export type StoreKey = 'registration' | 'receipts';

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open('herald', 1);
    request.onupgradeneeded = () => request.result.createObjectStore('kv');
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

async function transact<T>(mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const tx = db.transaction('kv', mode);
      const request = run(tx.objectStore('kv'));
      tx.oncomplete = () => resolve(request.result as T);
      tx.onerror = tx.onabort = () => reject(tx.error);
    });
  } finally {
    db.close();
  }
}

/**
 * Reads a stored value.
 *
 * @example
 * ```ts
 * const registration = await readStored<StoredRegistration>('registration');
 * ```
 */
export function readStored<T>(key: StoreKey): Promise<T | undefined> {
  return transact<T | undefined>('readonly', (store) => store.get(key));
}

/**
 * Writes (or, with `undefined`, deletes) a stored value.
 *
 * @example
 * ```ts
 * await writeStored('registration', undefined); // forget the subscription
 * ```
 */
export function writeStored(key: StoreKey, value: unknown): Promise<void> {
  return transact<void>('readwrite', (store) =>
    value === undefined ? store.delete(key) : store.put(value, key),
  );
}
