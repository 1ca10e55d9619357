/** Keys: the VAPID key pairs (rotate, import) and the admin API keys (create, revoke). */
import { ApiError, api } from './api.js';
import { h, when } from './dom.js';

interface VapidKey {
  id: string;
  publicKey: string;
  active: boolean;
  createdAt: string;
}
interface ApiKey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/**
 * Renders the keys page; `refresh` re-renders it after a change.
 *
 * @example
 * ```ts
 * main.replaceChildren(await keys((notice) => route(notice)));
 * ```
 */
export async function keys(refresh: (notice?: Node) => void, message?: Node): Promise<Element> {
  const [vapid, apiKeys] = await Promise.all([
    api<{ items: VapidKey[] }>('/vapid-keys'),
    api<{ items: ApiKey[] }>('/api-keys'),
  ]);
  const notice = message
    ? h('div', { class: 'notice success', role: 'status' }, message)
    : h('div', { class: 'notice', hidden: true });
  const fail = (e: unknown) => {
    notice.hidden = false;
    notice.className = 'notice error';
    notice.textContent = e instanceof ApiError ? `${e.message} (${e.code})` : String(e);
  };
  const importPublic = h('input', { placeholder: 'Public key (base64url)', required: true });
  const importPrivate = h('input', {
    placeholder: 'Private key (base64url)',
    required: true,
    type: 'password',
  });
  const keyName = h('input', { placeholder: 'Name, e.g. ci-deploy', required: true, maxlength: 100 });
  return h(
    'div',
    { class: 'page' },
    h('header', { class: 'page-head' }, h('h1', {}, 'Keys')),
    notice,
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'card-head' },
        h('h2', {}, 'VAPID keys'),
        h(
          'button',
          {
            class: 'primary',
            onclick: async () => {
              if (
                !confirm(
                  'Rotate the VAPID key? New subscriptions use the new key; existing ones keep theirs.',
                )
              )
                return;
              await api('/vapid-keys/rotate', { method: 'POST' }).then(() => refresh(), fail);
            },
          },
          'Rotate key',
        ),
      ),
      h(
        'p',
        { class: 'muted' },
        'Each subscription keeps sending with the key it was made with, so rotating never loses subscribers.',
      ),
      h(
        'table',
        {},
        h('thead', {}, h('tr', {}, h('th', {}, 'Public key'), h('th', {}, 'Status'), h('th', {}, 'Created'))),
        h(
          'tbody',
          {},
          ...vapid.items.map((k) =>
            h(
              'tr',
              {},
              h('td', {}, h('code', { class: 'key', title: k.publicKey }, `${k.publicKey.slice(0, 28)}…`)),
              h(
                'td',
                {},
                k.active
                  ? h('span', { class: 'badge completed' }, 'active')
                  : h('span', { class: 'badge plain' }, 'kept for older subscriptions'),
              ),
              h('td', {}, when(k.createdAt)),
            ),
          ),
        ),
      ),
      h(
        'form',
        {
          class: 'inline-form',
          onsubmit: async (event: Event) => {
            event.preventDefault();
            await api('/vapid-keys/import', {
              method: 'POST',
              body: { publicKey: importPublic.value.trim(), privateKey: importPrivate.value.trim() },
            }).then(() => refresh(), fail);
          },
        },
        h('strong', {}, 'Import a key pair'),
        importPublic,
        importPrivate,
        h('button', { type: 'submit' }, 'Import'),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'API keys')),
      h(
        'table',
        {},
        h(
          'thead',
          {},
          h('tr', {}, ...['Name', 'Created', 'Last used', 'Status', ''].map((t) => h('th', {}, t))),
        ),
        h(
          'tbody',
          {},
          ...apiKeys.items.map((k) =>
            h(
              'tr',
              {},
              h('td', {}, k.name),
              h('td', {}, when(k.createdAt)),
              h('td', {}, when(k.lastUsedAt)),
              h(
                'td',
                {},
                k.revokedAt
                  ? h('span', { class: 'badge cancelled' }, 'revoked')
                  : h('span', { class: 'badge completed' }, 'active'),
              ),
              h(
                'td',
                {},
                k.revokedAt
                  ? null
                  : h(
                      'button',
                      {
                        class: 'small danger',
                        onclick: async () => {
                          if (!confirm(`Revoke the API key “${k.name}”?`)) return;
                          await api(`/api-keys/${k.id}`, { method: 'DELETE' }).then(() => refresh(), fail);
                        },
                      },
                      'Revoke',
                    ),
              ),
            ),
          ),
        ),
      ),
      h(
        'form',
        {
          class: 'inline-form',
          onsubmit: async (event: Event) => {
            event.preventDefault();
            try {
              const created = await api<{ key: string; name: string }>('/api-keys', {
                method: 'POST',
                body: { name: keyName.value.trim() },
              });
              // Shown once: the server keeps only a hash.
              refresh(
                h(
                  'span',
                  {},
                  `New key “${created.name}”. Copy it now, it is not shown again: `,
                  h('code', { class: 'new-key' }, created.key),
                ),
              );
            } catch (e) {
              fail(e);
            }
          },
        },
        h('strong', {}, 'Create an API key'),
        keyName,
        h('button', { type: 'submit' }, 'Create'),
      ),
    ),
  );
}
