/** A few lines of DOM building: the dashboard has no framework, on purpose (no build-time weight). */

type Child = Node | string | number | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

function apply(element: Element, attributes: Attributes, children: Child[]): void {
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'number' ? String(child) : child);
  }
}

/**
 * Creates an HTML element; `on*` attributes become listeners.
 *
 * @example
 * ```ts
 * h('button', { class: 'primary', onclick: () => send() }, 'Send');
 * ```
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  apply(element, attributes, children);
  return element;
}

/**
 * Creates an SVG element.
 *
 * @example
 * ```ts
 * s('rect', { x: 0, y: 0, width: 10, height: 10 });
 * ```
 */
export function s(tag: string, attributes: Attributes = {}, ...children: Child[]): SVGElement {
  const element = document.createElementNS('http://www.w3.org/2000/svg', tag) as SVGElement;
  apply(element, attributes, children);
  return element;
}

/** Formats a count with thousands separators. */
export const count = (n: number) => n.toLocaleString('en-US');

/** Formats an ISO time as a short local date and time. */
export const when = (iso: string | null) =>
  iso
    ? new Date(iso).toLocaleString('en-GB', {
        day: 'numeric',
        month: 'short',
        hour: '2-digit',
        minute: '2-digit',
      })
    : '—';

/**
 * A browser-friendly name for a push service origin (field notes: the known hosts).
 *
 * @example
 * ```ts
 * pushServiceName('https://fcm.googleapis.com'); // 'Chrome · FCM'
 * ```
 */
export function pushServiceName(origin: string): string {
  const host = (() => {
    try {
      return new URL(origin).host;
    } catch {
      return origin;
    }
  })();
  if (host === 'fcm.googleapis.com') return 'Chrome · FCM';
  if (host === 'updates.push.services.mozilla.com') return 'Firefox · Mozilla';
  if (host.endsWith('.push.apple.com')) return 'Safari · Apple';
  if (host.endsWith('.notify.windows.com')) return 'Edge · WNS';
  return `${host} · self-hosted`;
}
