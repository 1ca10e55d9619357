/** Overview: subscriber numbers and charts, and the latest messages. */
import { api, type Message, type Stats } from './api.js';
import { barChart, funnel, growthChart } from './charts.js';
import { count, h, pushServiceName } from './dom.js';

/**
 * Renders the overview page.
 *
 * @example
 * ```ts
 * main.replaceChildren(await overview());
 * ```
 */
export async function overview(): Promise<Element> {
  const [stats, messages] = await Promise.all([
    api<Stats>('/stats'),
    api<{ items: Message[] }>('/messages?limit=5'),
  ]);
  const subs = stats.subscriptions;
  const today = new Date().toISOString().slice(0, 10);
  const week = new Date(Date.now() - 6 * 86_400_000).toISOString().slice(0, 10);
  const newToday = subs.byDay.find((d) => d.day === today)?.added ?? 0;
  const lastWeek = subs.byDay.filter((d) => d.day >= week);
  const newWeek = lastWeek.reduce((sum, d) => sum + d.added, 0);
  const goneWeek = lastWeek.reduce((sum, d) => sum + d.removed, 0);
  const last = messages.items[0];
  const rate = (part: number, whole: number) => (whole ? `${Math.round((100 * part) / whole)}%` : '—');
  return h(
    'div',
    { class: 'page' },
    h(
      'header',
      { class: 'page-head' },
      h('h1', {}, 'Overview'),
      h('a', { class: 'button primary', href: '#/compose' }, 'New message'),
    ),
    h(
      'div',
      { class: 'stats' },
      stat('Subscribers', count(subs.total), 'active push subscriptions'),
      stat('New today', count(newToday), `${count(newWeek)} new, ${count(goneWeek)} gone in the last 7 days`),
      stat('Push services', count(subs.byPushService.length), 'browsers reaching you'),
      stat(
        'Last message',
        last ? rate(last.counts.clicked, last.counts.delivered) : '—',
        last ? `click rate of “${last.notification.title}”` : 'no message sent yet',
      ),
    ),
    h(
      'div',
      { class: 'grid two' },
      h('section', { class: 'card' }, h('h2', {}, 'Subscribers over time'), growthChart(subs.byDay)),
      h(
        'section',
        { class: 'card' },
        h('h2', {}, 'By push service'),
        barChart(subs.byPushService.map((p) => ({ label: pushServiceName(p.pushService), value: p.count }))),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', {}, 'Latest messages'),
      messages.items.length
        ? h(
            'div',
            { class: 'latest' },
            ...messages.items.map((m) =>
              h(
                'a',
                { class: 'latest-row', href: '#/messages' },
                h('strong', {}, m.notification.title),
                h('span', { class: `badge ${m.status}` }, m.status),
                funnel(m.counts),
              ),
            ),
          )
        : h(
            'p',
            { class: 'empty' },
            'No messages yet. ',
            h('a', { href: '#/compose' }, 'Compose the first one.'),
          ),
    ),
  );
}

function stat(label: string, value: string, note: string): Element {
  return h(
    'div',
    { class: 'stat card' },
    h('span', { class: 'stat-label' }, label),
    h('strong', {}, value),
    h('small', {}, note),
  );
}
