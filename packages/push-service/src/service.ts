import { EventEmitter } from 'node:events';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { Connections, closeCodes } from './connections.js';
import { controlPrefix, handleControl } from './control-api.js';
import { PushServiceError } from './errors.js';
import type { PushServiceEvents } from './events.js';
import { FaultInjector } from './faults.js';
import { sendRefusal } from './http-errors.js';
import { handlePush, type PushEndpointContext, type VapidCheck } from './push-endpoint.js';
import { RateLimiter, type RateLimitOptions } from './rate-limit.js';
import { MemoryStore } from './storage/memory-store.js';
import { SqliteStore } from './storage/sqlite-store.js';
import type { PushStore, StoreCounts } from './storage/store.js';
import { createVapidCheck } from './vapid-check.js';

/**
 * Options of {@link PushService.start}.
 *
 * @example
 * ```ts
 * const options: PushServiceOptions = { port: 8090, dataDir: './push-data', control: true };
 * ```
 */
export interface PushServiceOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind, default `127.0.0.1`. */
  host?: string;
  /** A data directory: registrations and waiting messages go to SQLite there and survive restarts. */
  dataDir?: string;
  /** A storage of your own (overrides `dataDir`); default: in memory. */
  store?: PushStore;
  /** Serve HTTPS and `wss://` with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Enable the control HTTP API under `/_herald/` (off by default: it can drop clients). */
  control?: boolean;
  /**
   * The origin in endpoint URLs and the VAPID audience, when clients reach the service under
   * another name than `host:port` (a proxy, a DNS name). Default: `http(s)://host:port`.
   */
  publicOrigin?: string;
  /** TTLs above this many seconds are capped (default 60 days, like autopush). */
  maxTtl?: number;
  /** Waiting messages one subscription keeps for an absent user agent; older ones are dropped (default 1000). */
  maxWaitingPerSubscription?: number;
  /** Per-subscription rate limit answered with 429 + Retry-After (default: none). */
  rateLimit?: RateLimitOptions;
  /** Largest WebSocket frame a client may send (default 16 KiB; larger ones close with 1009). */
  maxFrameBytes?: number;
  /** WebSocket ping round every this many seconds; silent connections are dropped (default 300, like autopush; 0 turns it off). */
  pingIntervalSeconds?: number;
  /** A connection that has not said hello within this many ms is closed (default 10,000). */
  helloTimeoutMs?: number;
  /** Replaces the VAPID check (tests only). */
  checkVapid?: VapidCheck;
}

/**
 * A target of the fault-injection calls: a user agent by uaid, or by one of its endpoints.
 *
 * @example
 * ```ts
 * service.resetUserAgent({ endpoint: subscription.endpoint });
 * ```
 */
export interface ClientTarget {
  uaid?: string;
  endpoint?: string;
}

/**
 * What {@link PushService.status} reports.
 *
 * @example
 * ```ts
 * const { connected, messages } = service.status();
 * ```
 */
export interface PushServiceStatus extends StoreCounts {
  connected: number;
  refuseConnections: boolean;
  faultRules: number;
}

const sixtyDays = 60 * 24 * 3600;
const endpointPath = '/wpush/v1/';

/**
 * Herald's push service: Mozilla's WebSocket push protocol for user agents (Firefox, or
 * {@link HeadlessUserAgent}) and RFC 8030 for application servers, on one port.
 *
 * @example
 * ```ts
 * const service = await PushService.start({ port: 0 });
 * console.log(service.websocketUrl, service.firefoxPrefs());
 * await service.close();
 * ```
 */
export class PushService extends EventEmitter<PushServiceEvents> {
  /** The storage in use. */
  readonly store: PushStore;
  /** Fault injection for pushes and connections. */
  readonly faults = new FaultInjector();
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly #connections: Connections;
  readonly #options: PushServiceOptions;
  readonly #pushContext: PushEndpointContext;
  readonly #sweep: NodeJS.Timeout;
  readonly #keepAlive: NodeJS.Timeout | undefined;
  #origin = '';
  #port = 0;

  private constructor(options: PushServiceOptions) {
    super();
    this.#options = options;
    this.store = options.store ?? (options.dataDir ? new SqliteStore(options.dataDir) : new MemoryStore());
    const emit = this.emit.bind(this) as ConnectionsEmit;
    this.#connections = new Connections({
      store: this.store,
      endpointFor: (token) => `${this.#origin}${endpointPath}${token}`,
      emit,
      helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
    });
    this.#pushContext = {
      store: this.store,
      connections: this.#connections,
      faults: this.faults,
      rateLimiter: options.rateLimit ? new RateLimiter(options.rateLimit) : undefined,
      checkVapid: options.checkVapid ?? createVapidCheck(),
      origin: () => this.#origin,
      maxTtl: options.maxTtl ?? sixtyDays,
      maxWaitingPerSubscription: options.maxWaitingPerSubscription ?? 1000,
      emit,
    };
    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.#onRequest(req, res);
    this.#server = options.tls
      ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest)
      : createHttpServer(onRequest);
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes ?? 16_384,
      // Firefox asks for the `push-notification` subprotocol and requires it echoed.
      handleProtocols: (protocols) => (protocols.has('push-notification') ? 'push-notification' : false),
      // Per-message deflate costs ~300 KB of zlib state per connection; push frames are small.
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.#server.on('upgrade', (req, socket, head) => this.#onUpgrade(req, socket, head));
    this.#server.on('clientError', (_error, socket) => socket.destroy());
    this.#sweep = setInterval(() => this.store.deleteExpired(Date.now()), 60_000).unref();
    const pingSeconds = options.pingIntervalSeconds ?? 300;
    if (pingSeconds > 0)
      this.#keepAlive = setInterval(() => this.#connections.keepAlive(), pingSeconds * 1000).unref();
  }

  /**
   * Starts a push service and resolves once it listens.
   *
   * @example
   * ```ts
   * const service = await PushService.start({ port: 8090, dataDir: './push-data', control: true });
   * ```
   */
  static async start(options: PushServiceOptions = {}): Promise<PushService> {
    if (options.tls && (!options.tls.cert || !options.tls.key)) {
      throw new PushServiceError('ERR_INVALID_OPTION', 'tls needs both cert and key');
    }
    const service = new PushService(options);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      service.#server.once('error', reject);
      service.#server.listen(options.port ?? 0, host, () => {
        service.#server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      service.store.close();
      clearInterval(service.#sweep);
      clearInterval(service.#keepAlive);
      throw new PushServiceError(
        'ERR_INVALID_OPTION',
        `cannot listen on ${host}:${options.port}: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    });
    service.#port = (service.#server.address() as AddressInfo).port;
    const shownHost =
      host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
    service.#origin = (
      options.publicOrigin ?? `${options.tls ? 'https' : 'http'}://${shownHost}:${service.#port}`
    ).replace(/\/$/, '');
    return service;
  }

  /** The port the service listens on. */
  get port(): number {
    return this.#port;
  }

  /** The origin of endpoint URLs, e.g. `http://127.0.0.1:8090`. */
  get origin(): string {
    return this.#origin;
  }

  /** The URL user agents connect to (`dom.push.serverURL`), e.g. `ws://127.0.0.1:8090/`. */
  get websocketUrl(): string {
    return `${this.#origin.replace(/^http/, 'ws')}/`;
  }

  /** The control API's base URL (only answers with `control: true`). */
  get controlUrl(): string {
    return `${this.#origin}${controlPrefix}`;
  }

  /**
   * The Firefox preferences that make Firefox use this service (see the package README).
   *
   * @example
   * ```ts
   * await puppeteer.launch({ browser: 'firefox', extraPrefsFirefox: service.firefoxPrefs() });
   * ```
   */
  firefoxPrefs(): Record<string, string | number | boolean> {
    return {
      'dom.push.serverURL': this.websocketUrl,
      // ws:// (without TLS) is refused unless this is set; wss:// needs a trusted certificate.
      'dom.push.testing.allowInsecureServerURL': this.websocketUrl.startsWith('ws:'),
      'dom.push.connection.enabled': true,
      'dom.push.retryBaseInterval': 500,
      'permissions.default.desktop-notification': 1,
      'alerts.useSystemBackend': false,
    };
  }

  /** Counts of clients, channels, waiting messages and connections. */
  status(): PushServiceStatus {
    return {
      ...this.store.counts(),
      connected: this.#connections.size,
      refuseConnections: this.faults.refuseConnections,
      faultRules: this.faults.list().length,
    };
  }

  /** The uaids connected now. */
  connectedUserAgents(): string[] {
    return this.#connections.uaids();
  }

  #resolveUaid(target: ClientTarget): string {
    if (target.uaid !== undefined) return target.uaid;
    const channel = this.store.getChannelByToken(tokenOf(target.endpoint ?? ''));
    if (!channel)
      throw new PushServiceError('ERR_UNKNOWN_CLIENT', `no subscription behind ${target.endpoint}`);
    return channel.uaid;
  }

  /**
   * Closes user agents' connections (all of them without a target). They reconnect on their
   * own unless `backoff` is set (close code 4774 tells Firefox not to). Returns how many closed.
   *
   * @example
   * ```ts
   * service.faults.refuseConnections = true;
   * service.disconnect({ endpoint: subscription.endpoint });
   * ```
   */
  disconnect(target?: ClientTarget, options: { backoff?: boolean } = {}): number {
    const code = options.backoff ? closeCodes.backoff : closeCodes.normal;
    if (target === undefined) {
      const count = this.#connections.size;
      this.#connections.disconnectAll(code, 'disconnected by fault injection');
      return count;
    }
    return this.#connections.disconnect(this.#resolveUaid(target), code, 'disconnected by fault injection')
      ? 1
      : 0;
  }

  /**
   * Expires one subscription: pushes to it get 410 (errno 103) from now on, like a push
   * service that timed it out.
   *
   * @example
   * ```ts
   * service.expireSubscription(subscription.endpoint);
   * ```
   */
  expireSubscription(endpoint: string): void {
    const channel = this.store.getChannelByToken(tokenOf(endpoint));
    if (!channel) throw new PushServiceError('ERR_UNKNOWN_CLIENT', `no subscription behind ${endpoint}`);
    this.store.setChannelState(channel.uaid, channel.channelId, 'expired');
  }

  /**
   * Forgets a user agent's uaid: its subscriptions answer 410 (errno 105), its connection is
   * closed, and its next hello gets a new uaid, on which Firefox drops its subscriptions and
   * fires `pushsubscriptionchange`. Returns the uaid that was reset.
   *
   * @example
   * ```ts
   * service.resetUserAgent({ endpoint: subscription.endpoint });
   * ```
   */
  resetUserAgent(target: ClientTarget): string {
    const uaid = this.#resolveUaid(target);
    if (!this.store.hasClient(uaid))
      throw new PushServiceError('ERR_UNKNOWN_CLIENT', `no user agent with uaid ${uaid}`);
    this.store.dropClient(uaid);
    this.#connections.disconnect(uaid, closeCodes.normal, 'uaid reset');
    return uaid;
  }

  /**
   * Resolves with the arguments of the next `event` for which `predicate` holds; rejects with
   * `ERR_TIMEOUT` after `timeoutMs`.
   *
   * @example
   * ```ts
   * const [uaid] = await service.waitFor('ua:hello', () => true, 10_000);
   * ```
   */
  waitFor<K extends keyof PushServiceEvents>(
    event: K,
    predicate: (...args: PushServiceEvents[K]) => boolean = () => true,
    timeoutMs = 10_000,
  ): Promise<PushServiceEvents[K]> {
    return new Promise((resolve, reject) => {
      const listener = (...args: PushServiceEvents[K]) => {
        if (!predicate(...args)) return;
        clearTimeout(timer);
        (this.off as (e: K, l: typeof listener) => void)(event, listener);
        resolve(args);
      };
      const timer = setTimeout(() => {
        (this.off as (e: K, l: typeof listener) => void)(event, listener);
        reject(new PushServiceError('ERR_TIMEOUT', `no ${event} event within ${timeoutMs} ms`));
      }, timeoutMs);
      (this.on as (e: K, l: typeof listener) => void)(event, listener);
    });
  }

  /** Closes every connection and the listening socket, then the storage. */
  async close(): Promise<void> {
    clearInterval(this.#sweep);
    clearInterval(this.#keepAlive);
    this.#connections.disconnectAll(closeCodes.normal, 'push service closing');
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.store.close();
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    if (this.faults.refuseConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connections.accept(ws));
  }

  #onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const path = url.split('?', 1)[0]!;
    let work: Promise<void> | undefined;
    if (path.startsWith(endpointPath)) {
      work = handlePush(this.#pushContext, path.slice(endpointPath.length), req, res);
    } else if (path.startsWith(controlPrefix) && this.#options.control) {
      work = handleControl(this, path, req, res);
    } else {
      req.resume();
      sendRefusal(res, 'notFound', `no such endpoint: ${path.slice(0, 100)}`);
    }
    if (work) {
      work.catch((error: unknown) => {
        if (res.headersSent) res.destroy();
        else sendRefusal(res, 'internalError', `internal error: ${(error as Error).message}`);
      });
    }
  }
}

type ConnectionsEmit = <K extends keyof PushServiceEvents>(event: K, ...args: PushServiceEvents[K]) => void;

function tokenOf(endpoint: string): string {
  return endpoint.slice(endpoint.lastIndexOf('/') + 1);
}
