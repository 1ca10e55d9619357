/** Messages: every message with its funnel, and a live progress bar while one is sending. */
import { ApiError, api, type Message } from './api.js';
import { funnel, progress } from './charts.js';
import { h, when } from './dom.js';

const live = (m: Message) => m.status === 'queued' || m.status === 'sending' || m.status === 'scheduled';

function audience(to: Message['to']): string {
  if (to.all) return 'Everyone';
  if (to.topics) return `Topic ${to.topics.join(', ')}`;
  if (to.userIds) return `User ${to.userIds.join(', ')}`;
  return `${to.subscriptionIds?.length ?? 0} subscriptions`;
}

/**
 * Renders the messages page and keeps it fresh while a message is on its way (polling once a
 * second, stopped when `signal` aborts, i.e. when the operator leaves the page).
 *
 * @example
 * ```ts
 * main.replaceChildren(await messages(highlightId, controller.signal));
 * ```
 */
export async function messages(highlight: string | undefined, signal: AbortSignal): Promise<Element> {
  const list = h('div', { class: 'messages' });
  // Why a cancel was refused, per message, kept across the re-renders of the polling loop.
  const refusals = new Map<string, string>();
  // A message still waiting is cancelled only if no worker has started it (unlessStarted): the
  // operator meant "do not send this", not "stop it halfway". One already sending can be stopped.
  const cancelButton = (m: Message) => {
    const waiting = m.status === 'scheduled' || m.status === 'queued';
    if (!waiting && m.status !== 'sending') return null;
    return h(
      'button',
      {
        class: 'small',
        onclick: async () => {
          let refusal: string | undefined;
          try {
            await api(`/messages/${m.id}/cancel${waiting ? '?unlessStarted=true' : ''}`, { method: 'POST' });
          } catch (error) {
            refusal = error instanceof ApiError ? error.message : String(error);
          }
          items = await load().catch(() => items);
          const now = items.find((i) => i.id === m.id)?.status;
          if (refusal === undefined) refusals.delete(m.id);
          else if (waiting && now === 'sending') {
            refusals.set(m.id, 'Not cancelled: it started sending first. “Stop sending” halts the rest.');
          } else refusals.set(m.id, `Not cancelled: ${refusal}`);
          render(items);
        },
      },
      waiting ? 'Cancel' : 'Stop sending',
    );
  };
  const render = (items: Message[]) =>
    list.replaceChildren(
      ...(items.length
        ? items.map((m) =>
            h(
              'article',
              { class: `card message${m.id === highlight ? ' highlight' : ''}`, 'data-id': m.id },
              h(
                'div',
                { class: 'message-head' },
                h(
                  'div',
                  {},
                  h('h3', {}, m.notification.title),
                  h('p', { class: 'muted' }, m.notification.body ?? ''),
                ),
                h(
                  'div',
                  { class: 'message-meta' },
                  h('span', { class: `badge ${m.status}` }, m.status),
                  h('small', {}, `${audience(m.to)} · ${when(m.createdAt)}`),
                  cancelButton(m),
                ),
              ),
              m.status === 'sending' || m.status === 'queued' ? progress(m.counts) : null,
              m.status === 'scheduled' ? h('p', { class: 'muted' }, `Scheduled for ${when(m.sendAt)}`) : null,
              funnel(m.counts),
              m.lastError ? h('p', { class: 'error' }, m.lastError) : null,
              refusals.has(m.id) ? h('p', { class: 'error cancel-error' }, refusals.get(m.id)) : null,
            ),
          )
        : [h('p', { class: 'empty card' }, 'No messages yet.')]),
    );
  const load = async () => (await api<{ items: Message[] }>('/messages?limit=50')).items;
  let items = await load();
  render(items);
  void (async () => {
    // Poll while anything is moving, and for a few seconds after (receipts arrive after sends).
    let quiet = 0;
    while (!signal.aborted && quiet < 10) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (signal.aborted) return;
      items = await load().catch(() => items);
      render(items);
      quiet = items.some(live) ? 0 : quiet + 1;
    }
  })();
  return h(
    'div',
    { class: 'page' },
    h(
      'header',
      { class: 'page-head' },
      h('h1', {}, 'Messages'),
      h('a', { class: 'button primary', href: '#/compose' }, 'New message'),
    ),
    list,
  );
}
