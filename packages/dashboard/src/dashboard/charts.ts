/** SVG charts drawn by hand: a growth area chart, horizontal bars and a message funnel. */
import type { MessageCounts, SubscriberDay } from './api.js';
import { count, h, s } from './dom.js';

const palette = ['#4f46e5', '#0ea5e9', '#f59e0b', '#10b981', '#ef4444', '#8b5cf6'];

/**
 * An area chart of the subscribers held day by day (the server's history keeps removed
 * subscriptions, so the line falls when they go rather than rewriting the past). Each day has a
 * tooltip with what changed.
 *
 * @example
 * ```ts
 * growthChart([{ day: '2026-11-01', added: 3, removed: 0, total: 3 }, { day: '2026-11-02', added: 1, removed: 2, total: 2 }]);
 * ```
 */
export function growthChart(byDay: SubscriberDay[]): Element {
  const width = 640;
  const height = 220;
  const pad = { left: 44, right: 16, top: 16, bottom: 28 };
  if (byDay.length === 0) return h('p', { class: 'empty' }, 'No subscribers yet.');
  // Every day from the first to today: a day without changes keeps the previous total.
  const days: SubscriberDay[] = [];
  const changes = new Map(byDay.map((d) => [d.day, d]));
  let total = 0;
  const today = new Date().toISOString().slice(0, 10);
  const last = byDay.at(-1)!.day > today ? byDay.at(-1)!.day : today;
  for (let t = Date.parse(byDay[0]!.day); ; t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const change = changes.get(day);
    total = change?.total ?? total;
    days.push({ day, added: change?.added ?? 0, removed: change?.removed ?? 0, total });
    if (day >= last) break;
  }
  if (days.length === 1) days.unshift({ day: '', added: 0, removed: 0, total: 0 });
  const max = Math.max(...days.map((d) => d.total), 1);
  const x = (i: number) => pad.left + (i / (days.length - 1)) * (width - pad.left - pad.right);
  const y = (v: number) => pad.top + (1 - v / max) * (height - pad.top - pad.bottom);
  const line = days.map((d, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(d.total).toFixed(1)}`).join('');
  const area = `${line}L${x(days.length - 1)},${y(0)}L${x(0)},${y(0)}Z`;
  const grid = [0, 0.5, 1].map((f) =>
    s(
      'g',
      {},
      s('line', { x1: pad.left, x2: width - pad.right, y1: y(max * f), y2: y(max * f), class: 'grid' }),
      s(
        'text',
        { x: pad.left - 8, y: y(max * f) + 4, 'text-anchor': 'end', class: 'axis' },
        count(Math.round(max * f)),
      ),
    ),
  );
  const label = (i: number, anchor: string) =>
    s('text', { x: x(i), y: height - 8, 'text-anchor': anchor, class: 'axis' }, days[i]!.day || '');
  return s(
    'svg',
    { viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img', 'aria-label': 'Subscribers over time' },
    s(
      'defs',
      {},
      s(
        'linearGradient',
        { id: 'growth', x1: 0, x2: 0, y1: 0, y2: 1 },
        s('stop', { offset: '0%', 'stop-color': '#4f46e5', 'stop-opacity': 0.28 }),
        s('stop', { offset: '100%', 'stop-color': '#4f46e5', 'stop-opacity': 0.02 }),
      ),
    ),
    ...grid,
    s('path', { d: area, fill: 'url(#growth)' }),
    s('path', { d: line, fill: 'none', stroke: '#4f46e5', 'stroke-width': 2.5, 'stroke-linejoin': 'round' }),
    s('circle', { cx: x(days.length - 1), cy: y(days.at(-1)!.total), r: 4, fill: '#4f46e5' }),
    ...days.map((d, i) =>
      d.day
        ? s(
            'circle',
            { cx: x(i), cy: y(d.total), r: 8, class: 'day', 'data-day': d.day, 'data-total': d.total },
            s(
              'title',
              {},
              `${d.day}: ${count(d.total)} subscribers (+${count(d.added)}, −${count(d.removed)})`,
            ),
          )
        : null,
    ),
    label(0, 'start'),
    label(days.length - 1, 'end'),
  );
}

/**
 * Horizontal bars with labels and values.
 *
 * @example
 * ```ts
 * barChart([{ label: 'Firefox', value: 12 }]);
 * ```
 */
export function barChart(rows: { label: string; value: number }[]): Element {
  if (rows.length === 0) return h('p', { class: 'empty' }, 'Nothing to show yet.');
  const width = 420;
  const row = 34;
  const max = Math.max(...rows.map((r) => r.value), 1);
  const total = rows.reduce((sum, r) => sum + r.value, 0);
  return s(
    'svg',
    {
      viewBox: `0 0 ${width} ${rows.length * row}`,
      class: 'chart bars',
      role: 'img',
      'aria-label': 'Breakdown',
    },
    ...rows.map((r, i) =>
      s(
        'g',
        { transform: `translate(0 ${i * row})` },
        s('text', { x: 0, y: 13, class: 'bar-label' }, r.label),
        s('rect', { x: 0, y: 18, width: width - 70, height: 9, rx: 4.5, class: 'track' }),
        s('rect', {
          x: 0,
          y: 18,
          width: Math.max(6, ((width - 70) * r.value) / max),
          height: 9,
          rx: 4.5,
          fill: palette[i % palette.length]!,
        }),
        s(
          'text',
          { x: width, y: 27, 'text-anchor': 'end', class: 'bar-value' },
          `${count(r.value)} · ${Math.round((100 * r.value) / total)}%`,
        ),
      ),
    ),
  );
}

/** The stages of a message's funnel, in order, with their colours. */
export const funnelStages: { key: keyof MessageCounts; label: string; color: string }[] = [
  { key: 'targeted', label: 'Targeted', color: '#94a3b8' },
  { key: 'sent', label: 'Sent', color: '#4f46e5' },
  { key: 'delivered', label: 'Delivered', color: '#0ea5e9' },
  { key: 'clicked', label: 'Clicked', color: '#10b981' },
  { key: 'failed', label: 'Failed', color: '#ef4444' },
  { key: 'gone', label: 'Gone', color: '#f59e0b' },
];

/**
 * A message's funnel: one bar per stage, relative to the targeted count.
 *
 * @example
 * ```ts
 * funnel(message.counts);
 * ```
 */
export function funnel(counts: MessageCounts): Element {
  const base = Math.max(counts.targeted, 1);
  return h(
    'div',
    { class: 'funnel' },
    ...funnelStages.map((stage) => {
      const value = counts[stage.key] ?? 0;
      return h(
        'div',
        { class: 'stage', title: `${stage.label}: ${count(value)}` },
        h('span', { class: 'stage-label' }, stage.label),
        h(
          'span',
          { class: 'stage-bar' },
          h('span', { style: `width:${Math.min(100, (100 * value) / base)}%;background:${stage.color}` }),
        ),
        h('span', { class: 'stage-value' }, count(value)),
      );
    }),
  );
}

/**
 * The sending progress of a message: done (sent, failed, gone) out of targeted.
 *
 * @example
 * ```ts
 * progress(message.counts);
 * ```
 */
export function progress(counts: MessageCounts): Element {
  const done = counts.sent + counts.failed + counts.gone;
  const percent = counts.targeted ? Math.round((100 * done) / counts.targeted) : 0;
  return h(
    'div',
    {
      class: 'progress',
      role: 'progressbar',
      'aria-valuenow': percent,
      'aria-valuemin': 0,
      'aria-valuemax': 100,
    },
    h('span', { style: `width:${percent}%` }),
    h('em', {}, `${count(done)} / ${count(counts.targeted)} · ${percent}%`),
  );
}
