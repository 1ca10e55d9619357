/** Compose: a message form with a live preview of the notification as a desktop browser shows it. */
import { ApiError, api } from './api.js';
import { h } from './dom.js';

const ttlChoices: [string, number][] = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['1 week', 604_800],
  ['4 weeks', 2_419_200],
];

/**
 * Renders the compose page; `onSent` receives the new message's id.
 *
 * @example
 * ```ts
 * main.replaceChildren(compose((id) => (location.hash = `#/messages/${id}`)));
 * ```
 */
export function compose(onSent: (id: string) => void): Element {
  const field = (label: string, input: HTMLElement, hint?: string) =>
    h('label', { class: 'field' }, h('span', {}, label), input, hint ? h('small', {}, hint) : null);
  const title = h('input', { name: 'title', required: true, maxlength: 120, placeholder: 'Sale starts now' });
  const body = h('textarea', {
    name: 'body',
    rows: 3,
    maxlength: 400,
    placeholder: 'Everything 20% off until midnight',
  });
  const icon = h('input', { name: 'icon', type: 'url', placeholder: 'https://example.com/icon.png' });
  const url = h('input', { name: 'url', type: 'url', placeholder: 'https://example.com/sale' });
  const actions = [0, 1].map(() => ({
    title: h('input', { placeholder: 'Button label', maxlength: 40 }),
    url: h('input', { type: 'url', placeholder: 'https://… (optional)' }),
  }));
  const audience = h(
    'select',
    { name: 'audience' },
    h('option', { value: 'all' }, 'Everyone'),
    h('option', { value: 'topic' }, 'A topic'),
    h('option', { value: 'user' }, 'A user'),
  );
  const audienceValue = h('input', { name: 'audienceValue', placeholder: 'news', disabled: true });
  const ttl = h(
    'select',
    { name: 'ttl' },
    ...ttlChoices.map(([label, seconds]) =>
      h('option', { value: seconds, selected: seconds === 86_400 }, label),
    ),
  );
  const urgency = h(
    'select',
    { name: 'urgency' },
    ...['very-low', 'low', 'normal', 'high'].map((u) =>
      h('option', { value: u, selected: u === 'normal' }, u),
    ),
  );
  const when = h(
    'select',
    { name: 'when' },
    h('option', { value: 'now' }, 'Now'),
    h('option', { value: 'at' }, 'At a time'),
  );
  const at = h('input', { name: 'at', type: 'datetime-local', disabled: true });
  const error = h('p', { class: 'error', role: 'alert' });
  const submit = h('button', { class: 'primary', type: 'submit' }, 'Send now');

  const preview = h('div', { class: 'preview' });
  const render = () => {
    const host = (() => {
      try {
        return new URL(url.value || location.href).host;
      } catch {
        return location.host;
      }
    })();
    const buttons = actions.filter((a) => a.title.value.trim());
    preview.replaceChildren(
      h(
        'div',
        { class: 'notification' },
        h(
          'div',
          { class: 'notification-head' },
          h('span', { class: 'app' }, 'Chrome'),
          h('span', {}, `· ${host}`),
          h(
            'span',
            { class: 'now' },
            when.value === 'at' && at.value ? new Date(at.value).toLocaleString() : 'now',
          ),
        ),
        h(
          'div',
          { class: 'notification-body' },
          h(
            'div',
            {},
            h('strong', {}, title.value || 'Notification title'),
            h('p', {}, body.value || 'The body of the notification appears here.'),
          ),
          icon.value ? h('img', { src: icon.value, alt: '' }) : h('span', { class: 'icon-placeholder' }, 'H'),
        ),
        buttons.length
          ? h('div', { class: 'notification-actions' }, ...buttons.map((a) => h('span', {}, a.title.value)))
          : null,
      ),
      h('p', { class: 'preview-note' }, `Opens ${url.value || 'the site’s home page'} when clicked.`),
    );
    audienceValue.disabled = audience.value === 'all';
    audienceValue.placeholder = audience.value === 'user' ? 'user id, e.g. user-42' : 'topic, e.g. news';
    at.disabled = when.value !== 'at';
    submit.textContent = when.value === 'at' ? 'Schedule' : 'Send now';
  };

  const form = h(
    'form',
    {
      class: 'card compose-form',
      oninput: render,
      onchange: render,
      onsubmit: async (event: Event) => {
        event.preventDefault();
        error.textContent = '';
        const target =
          audience.value === 'all'
            ? { all: true }
            : audience.value === 'topic'
              ? { topics: [audienceValue.value.trim()] }
              : { userIds: [audienceValue.value.trim()] };
        const notification = {
          title: title.value.trim(),
          ...(body.value.trim() ? { body: body.value.trim() } : {}),
          ...(icon.value ? { icon: icon.value } : {}),
          ...(url.value ? { url: url.value } : {}),
          ...(actions.some((a) => a.title.value.trim())
            ? {
                actions: actions
                  .filter((a) => a.title.value.trim())
                  .map((a, i) => ({
                    action: `action-${i + 1}`,
                    title: a.title.value.trim(),
                    ...(a.url.value ? { url: a.url.value } : {}),
                  })),
              }
            : {}),
        };
        submit.disabled = true;
        try {
          const { id } = await api<{ id: string }>('/messages', {
            method: 'POST',
            body: {
              to: target,
              notification,
              ttl: Number(ttl.value),
              urgency: urgency.value,
              ...(when.value === 'at' && at.value ? { sendAt: new Date(at.value).toISOString() } : {}),
            },
          });
          onSent(id);
        } catch (e) {
          error.textContent = e instanceof ApiError ? `${e.message} (${e.code})` : String(e);
        } finally {
          submit.disabled = false;
        }
      },
    },
    field('Title', title),
    field('Body', body),
    h('div', { class: 'row' }, field('Icon URL', icon), field('Link', url, 'Where a click goes')),
    h(
      'fieldset',
      {},
      h('legend', {}, 'Action buttons'),
      ...actions.map((a, i) =>
        h('div', { class: 'row' }, field(`Button ${i + 1}`, a.title), field('Opens', a.url)),
      ),
    ),
    h('div', { class: 'row' }, field('Audience', audience), field('Topic or user', audienceValue)),
    h(
      'div',
      { class: 'row three' },
      field('Expires after (TTL)', ttl),
      field('Urgency', urgency),
      field('Send', when),
    ),
    field('Send at', at),
    error,
    h('div', { class: 'form-actions' }, submit),
  );
  render();
  return h(
    'div',
    { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', {}, 'Compose')),
    h(
      'div',
      { class: 'grid compose' },
      form,
      h('aside', { class: 'card sticky' }, h('h2', {}, 'Preview'), preview),
    ),
  );
}
