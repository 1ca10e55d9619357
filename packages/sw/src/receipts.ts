/**
 * Receipts: the service worker tells the Herald server that a delivery was shown (`delivered`),
 * clicked or closed, with the delivery's token from the payload (docs/payload.md). A receipt that
 * cannot be sent (offline, server down) waits in IndexedDB and goes with the next batch, so a
 * burst of pushes while the server is unreachable costs one request later rather than many.
 */
import type { HeraldDelivery } from './payload.js';
import { readStored, writeStored } from './store.js';

/** What a receipt reports. */
export type ReceiptEvent = 'delivered' | 'clicked' | 'closed';

/** One receipt as the server's `POST /api/v1/receipts` takes it. */
export interface Receipt extends HeraldDelivery {
  event: ReceiptEvent;
}

// The route accepts at most 100 receipts per request; older pending ones beyond that are dropped
// rather than grow the store without bound.
const maxBatch = 100;

/**
 * Sends a receipt together with any that are still pending; keeps them all pending on failure.
 *
 * @example
 * ```ts
 * await sendReceipt('https://push.example.com', { ...delivery, event: 'clicked' });
 * ```
 */
export async function sendReceipt(server: string, receipt: Receipt): Promise<void> {
  const pending = (await readStored<Receipt[]>('receipts').catch(() => undefined)) ?? [];
  const batch = [...pending, receipt].slice(-maxBatch);
  try {
    // String concatenation, not `new URL(path, server)`: a server mounted under a path keeps it.
    const response = await fetch(`${server.replace(/\/$/, '')}/api/v1/receipts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ receipts: batch }),
      keepalive: true,
    });
    // 4xx other than 429 will not get better by retrying: drop the batch.
    if (response.status === 429 || response.status >= 500) throw new Error(`status ${response.status}`);
    if (pending.length) await writeStored('receipts', undefined);
  } catch {
    await writeStored('receipts', batch);
  }
}
