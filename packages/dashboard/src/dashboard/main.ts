/**
 * The dashboard's entry point: sign-in with an API key, the shell (navigation) and a hash router
 * (`#/overview`, `#/compose`, `#/messages/<id>`, `#/subscriptions`, `#/keys`).
 */
import { ApiError, api, apiKey } from './api.js';
import { compose } from './compose.js';
import { h } from './dom.js';
import { keys } from './keys.js';
import { messages } from './messages.js';
import { overview } from './overview.js';
import { subscriptions } from './subscriptions.js';

const pages = [
  ['overview', 'Overview'],
  ['compose', 'Compose'],
  ['messages', 'Messages'],
  ['subscriptions', 'Subscriptions'],
  ['keys', 'Keys'],
] as const;

const root = document.getElementById('app')!;
let leave = new AbortController();

function signIn(problem?: string): void {
  const key = h('input', {
    name: 'apiKey',
    type: 'password',
    required: true,
    placeholder: 'hk_…',
    autocomplete: 'current-password',
    autofocus: true,
  });
  const error = h('p', { class: 'error', role: 'alert' }, problem ?? '');
  root.replaceChildren(
    h(
      'div',
      { class: 'signin' },
      h(
        'form',
        {
          class: 'card',
          onsubmit: async (event: Event) => {
            event.preventDefault();
            try {
              await api('/vapid-keys', { key: key.value.trim() });
              apiKey.set(key.value.trim());
              location.hash = '#/overview';
              void route();
            } catch (e) {
              error.textContent =
                e instanceof ApiError && e.status === 401
                  ? 'That API key is not valid.'
                  : `Could not sign in: ${String(e)}`;
            }
          },
        },
        h('div', { class: 'brand big' }, h('span', { class: 'logo' }, 'H'), 'Herald'),
        h(
          'p',
          { class: 'muted' },
          'Sign in with an admin API key. The server printed one when it first started.',
        ),
        h('label', { class: 'field' }, h('span', {}, 'API key'), key),
        error,
        h('button', { class: 'primary wide', type: 'submit' }, 'Sign in'),
      ),
    ),
  );
}

async function route(notice?: Node): Promise<void> {
  if (!apiKey.get()) return signIn();
  leave.abort();
  leave = new AbortController();
  const [name = 'overview', id] = location.hash.replace(/^#\/?/, '').split('/');
  const main = h('main', { class: 'content' }, h('p', { class: 'loading' }, 'Loading…'));
  root.replaceChildren(
    h(
      'div',
      { class: 'shell' },
      h(
        'nav',
        { class: 'sidebar' },
        h('div', { class: 'brand' }, h('span', { class: 'logo' }, 'H'), 'Herald'),
        ...pages.map(([page, label]) =>
          h('a', { href: `#/${page}`, class: page === name ? 'active' : '' }, label),
        ),
        h('a', { href: '/demo/', class: 'subtle bottom' }, 'Demo site ↗'),
        h('a', { href: '/docs', class: 'subtle' }, 'API docs ↗'),
        h(
          'button',
          {
            class: 'signout',
            onclick: () => {
              apiKey.clear();
              signIn();
            },
          },
          'Sign out',
        ),
      ),
      main,
    ),
  );
  try {
    const page =
      name === 'compose'
        ? compose((sent) => {
            location.hash = `#/messages/${sent}`;
          })
        : name === 'messages'
          ? await messages(id, leave.signal)
          : name === 'subscriptions'
            ? await subscriptions()
            : name === 'keys'
              ? await keys((next) => void route(next), notice)
              : await overview();
    main.replaceChildren(page);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      apiKey.clear();
      return signIn('Your API key is no longer valid. Sign in again.');
    }
    main.replaceChildren(
      h(
        'p',
        { class: 'error card' },
        `Could not load this page: ${e instanceof Error ? e.message : String(e)}`,
      ),
    );
  }
}

addEventListener('hashchange', () => void route());
void route();
