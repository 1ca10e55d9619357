/** Subscriptions: the list with topic and user filters, cursor pagination and deletion. */
import { api, type Subscription } from './api.js';
import { h, pushServiceName, when } from './dom.js';

/**
 * Renders the subscriptions page.
 *
 * @example
 * ```ts
 * main.replaceChildren(await subscriptions());
 * ```
 */
export async function subscriptions(): Promise<Element> {
  const topic = h('input', { name: 'topic', placeholder: 'Filter by topic' });
  const user = h('input', { name: 'userId', placeholder: 'Filter by user id' });
  const body = h('tbody');
  const more = h('button', { class: 'small', hidden: true }, 'Load more');
  const summary = h('small', { class: 'muted' });
  let cursor: string | null = null;
  let shown = 0;

  const row = (s: Subscription) => {
    const tr = h(
      'tr',
      {},
      h('td', {}, h('code', {}, s.id)),
      h('td', {}, pushServiceName(s.pushService)),
      h('td', {}, ...(s.topics.length ? s.topics.map((t) => h('span', { class: 'tag' }, t)) : ['—'])),
      h('td', {}, s.userId ?? '—'),
      h('td', {}, when(s.createdAt)),
      h(
        'td',
        {},
        h(
          'button',
          {
            class: 'small danger',
            onclick: async () => {
              if (!confirm(`Delete subscription ${s.id}? The browser stops receiving messages.`)) return;
              await api(`/subscriptions/${s.id}`, { method: 'DELETE' });
              tr.remove();
            },
          },
          'Delete',
        ),
      ),
    );
    return tr;
  };

  const load = async (reset: boolean) => {
    if (reset) {
      body.replaceChildren();
      cursor = null;
      shown = 0;
    }
    const query = new URLSearchParams({ limit: '50' });
    if (topic.value.trim()) query.set('topic', topic.value.trim());
    if (user.value.trim()) query.set('userId', user.value.trim());
    if (cursor) query.set('cursor', cursor);
    const page = await api<{ items: Subscription[]; nextCursor: string | null }>(`/subscriptions?${query}`);
    body.append(...page.items.map(row));
    shown += page.items.length;
    cursor = page.nextCursor;
    more.hidden = !cursor;
    summary.textContent = `${shown} shown${cursor ? ', more available' : ''}`;
    if (!shown) body.append(h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No subscriptions match.')));
  };
  more.addEventListener('click', () => load(false));
  await load(true);
  return h(
    'div',
    { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', {}, 'Subscriptions'), summary),
    h(
      'form',
      {
        class: 'filters',
        onsubmit: (event: Event) => {
          event.preventDefault();
          void load(true);
        },
      },
      topic,
      user,
      h('button', { type: 'submit' }, 'Filter'),
    ),
    h(
      'div',
      { class: 'card table-card' },
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ...['Id', 'Push service', 'Topics', 'User', 'Subscribed', ''].map((t) => h('th', {}, t)),
          ),
        ),
        body,
      ),
    ),
    more,
  );
}
