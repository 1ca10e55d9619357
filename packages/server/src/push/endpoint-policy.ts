import { ServerError } from '../errors.js';

/**
 * The push services browsers use (field notes): a subscription endpoint must be on one of them,
 * over https on the default port, or on a host the operator allowed. Without this policy the
 * server would POST to any URL a caller hands it, internal addresses included (SSRF).
 */
const knownPushHosts = [
  'fcm.googleapis.com', // Chrome, Edge on Android, Opera, Samsung Internet
  'updates.push.services.mozilla.com', // Firefox
  '*.push.apple.com', // Safari
  '*.notify.windows.com', // Edge on Windows (WNS)
];

const maxEndpointLength = 2048;

/** A parsed `host[:port]` pattern: `*.` prefix for subdomains, `*` port for any port. */
interface HostPattern {
  host: string;
  wildcardSubdomain: boolean;
  /** `null`: the scheme's default port only; `'*'`: any port. */
  port: string | null;
}

function parsePattern(pattern: string): HostPattern {
  const match = /^(\*\.)?([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\*|\d{1,5}))?$/i.exec(pattern.trim());
  if (!match) {
    throw new ServerError(
      'ERR_INVALID_CONFIG',
      `HERALD_ALLOW_PUSH_HOSTS entries must look like host, host:port, host:* or *.domain; got "${pattern}"`,
    );
  }
  return { wildcardSubdomain: Boolean(match[1]), host: match[2]!.toLowerCase(), port: match[3] ?? null };
}

function hostMatches(pattern: HostPattern, hostname: string): boolean {
  if (pattern.wildcardSubdomain) return hostname.endsWith(`.${pattern.host}`);
  return hostname === pattern.host;
}

/** What a valid endpoint yields. */
export interface AllowedEndpoint {
  url: URL;
  /** `scheme://host[:port]`: the VAPID audience (RFC 8292 §2) and the per-service grouping key. */
  origin: string;
  /** True for Apple's push service, which needs a valid VAPID `sub`. */
  apple: boolean;
}

/**
 * Decides which subscription endpoints the server accepts.
 *
 * @example
 * ```ts
 * const policy = new EndpointPolicy(['127.0.0.1:*']);
 * policy.check('https://fcm.googleapis.com/fcm/send/abc'); // { origin: 'https://fcm.googleapis.com', ... }
 * policy.check('http://10.0.0.1/admin'); // throws ERR_ENDPOINT_NOT_ALLOWED
 * ```
 */
export class EndpointPolicy {
  readonly #known: HostPattern[];
  readonly #extra: HostPattern[];

  /** `allowHosts` are the operator's extra patterns (HERALD_ALLOW_PUSH_HOSTS). */
  constructor(allowHosts: string[] = []) {
    this.#known = knownPushHosts.map(parsePattern);
    this.#extra = allowHosts.filter((p) => p.trim() !== '').map(parsePattern);
  }

  /** Returns the parsed endpoint, or throws `ERR_ENDPOINT_NOT_ALLOWED` / `ERR_INVALID_SUBSCRIPTION`. */
  check(endpoint: string): AllowedEndpoint {
    if (endpoint.length > maxEndpointLength) {
      throw new ServerError(
        'ERR_INVALID_SUBSCRIPTION',
        `subscription.endpoint must be at most ${maxEndpointLength} characters, got ${endpoint.length}`,
      );
    }
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch (cause) {
      throw new ServerError('ERR_INVALID_SUBSCRIPTION', 'subscription.endpoint must be an absolute URL', {
        cause,
      });
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new ServerError(
        'ERR_ENDPOINT_NOT_ALLOWED',
        `subscription.endpoint must be an https: URL of a push service, got ${url.protocol}`,
      );
    }
    if (url.username || url.password) {
      throw new ServerError('ERR_ENDPOINT_NOT_ALLOWED', 'subscription.endpoint must not carry credentials');
    }
    const hostname = url.hostname.toLowerCase();
    const port = url.port;
    const extra = this.#extra.find(
      (pattern) => hostMatches(pattern, hostname) && (pattern.port === '*' || (pattern.port ?? '') === port),
    );
    if (extra) return { url, origin: url.origin, apple: false };
    if (
      url.protocol === 'https:' &&
      port === '' &&
      this.#known.some((pattern) => hostMatches(pattern, hostname))
    ) {
      return { url, origin: url.origin, apple: hostname.endsWith('.push.apple.com') };
    }
    throw new ServerError(
      'ERR_ENDPOINT_NOT_ALLOWED',
      `subscription.endpoint must be on a known push service (${knownPushHosts.join(', ')}) over https, ` +
        `or on a host listed in HERALD_ALLOW_PUSH_HOSTS; got ${url.protocol}//${url.host}`,
    );
  }
}
