/**
 * The demo site (`/demo/`): subscribes through `@herald/client` with the worker at
 * `/demo/sw.js` (which imports `@herald/sw`'s ready-made script), shows which state the SDK is
 * in, changes topics, and sends a test push to this browser through the admin API.
 */
import { createHerald, type HeraldState } from '@herald/client';
import { readStored, type StoredRegistration } from '@herald/sw/store';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const explanations: Record<HeraldState, string> = {
  unsupported:
    'This browser cannot receive push notifications here (it needs service workers, the Push API and a secure context).',
  denied: 'Notifications are blocked for this site. Allow them in the browser’s site settings, then reload.',
  prompt: 'Not asked yet. Subscribing asks the browser for permission.',
  unsubscribed: 'Notifications are allowed but this browser is not subscribed.',
  subscribed: 'Subscribed: messages sent to this browser, its topics or everyone arrive here.',
};

function log(text: string, bad = false): void {
  const item = document.createElement('li');
  item.textContent = `${new Date().toLocaleTimeString()}  ${text}`;
  if (bad) item.className = 'bad';
  $('log').prepend(item);
}

const topics = () =>
  [...document.querySelectorAll<HTMLInputElement>('#topics input:checked')].map((input) => input.value);
const failed = (error: unknown) =>
  log(`${(error as { code?: string }).code ?? 'Error'}: ${(error as Error).message}`, true);

const herald = createHerald({
  server: location.origin,
  serviceWorker: '/demo/sw.js',
  scope: '/demo/',
  onError: failed,
});
(globalThis as unknown as { heraldDemo: unknown }).heraldDemo = { herald };

async function show(): Promise<HeraldState> {
  const state = await herald.getState();
  for (const item of document.querySelectorAll<HTMLElement>('#states li')) {
    item.classList.toggle('current', item.dataset.state === state);
  }
  $('explain').textContent = explanations[state];
  const subscribed = state === 'subscribed';
  $<HTMLButtonElement>('subscribe').disabled = state === 'unsupported' || state === 'denied' || subscribed;
  $<HTMLButtonElement>('save-topics').disabled = !subscribed;
  $<HTMLButtonElement>('unsubscribe').disabled = !subscribed;
  $<HTMLButtonElement>('test-push').disabled = !subscribed;
  document.body.dataset.state = state;
  return state;
}

const apiKey = $<HTMLInputElement>('api-key');
apiKey.value = sessionStorage.getItem('herald-api-key') ?? '';
apiKey.addEventListener('change', () => sessionStorage.setItem('herald-api-key', apiKey.value.trim()));

$('subscribe').addEventListener('click', async () => {
  try {
    const subscription = await herald.subscribe({ topics: topics() });
    log(`subscribed: ${new URL(subscription.endpoint).host}`);
  } catch (error) {
    failed(error);
  }
  await show();
});
$('save-topics').addEventListener('click', () =>
  herald.setTopics(topics()).then(() => log(`topics: ${topics().join(', ') || 'none'}`), failed),
);
$('unsubscribe').addEventListener('click', async () => {
  await herald.unsubscribe().then(() => log('unsubscribed'), failed);
  await show();
});
$('test-push').addEventListener('click', async () => {
  const registration = await readStored<StoredRegistration>('registration');
  if (!registration) return failed(new Error('no registered subscription'));
  const response = await fetch('/api/v1/messages', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey.value.trim()}` },
    body: JSON.stringify({
      to: { subscriptionIds: [registration.id] },
      notification: {
        title: 'Hello from Herald',
        body: `A test push sent at ${new Date().toLocaleTimeString()}`,
        url: `${location.origin}/demo/`,
      },
      ttl: 300,
    }),
  });
  const answer = (await response.json()) as { id?: string; error?: { code: string; message: string } };
  if (answer.error) failed(Object.assign(new Error(answer.error.message), { code: answer.error.code }));
  else log(`test push queued: message ${answer.id}`);
});

herald.ready.then(show).then((state) => log(`state: ${state}`));
