import { randomUUID } from 'node:crypto';
import { PushServiceError } from './errors.js';

/**
 * What a fault does to a push it hits.
 *
 * @example
 * ```ts
 * const action: FaultAction = { type: 'status', status: 503, retryAfterSeconds: 10 };
 * ```
 */
export type FaultAction =
  /** Answer with this status (autopush JSON body); 429 and 503 carry `Retry-After`. */
  | { type: 'status'; status: 500 | 503 | 429; retryAfterSeconds?: number }
  /** Hold the request: answer normally after `ms`, or never (until the sender gives up) without it. */
  | { type: 'stall'; ms?: number }
  /** Destroy the TCP connection without answering. */
  | { type: 'drop' };

/**
 * A rule of the fault injector.
 *
 * @example
 * ```ts
 * const rule: FaultRule = { action: { type: 'drop' }, share: 0.1 };
 * ```
 */
export interface FaultRule {
  /** Only pushes to this subscription (its endpoint URL or the token in it); every push when omitted. */
  endpoint?: string;
  action: FaultAction;
  /** Share of the matching pushes that the rule hits, 0..1 (default 1). */
  share?: number;
  /** The rule retires after hitting this many pushes (default: never). */
  count?: number;
}

/**
 * A rule as the injector holds it.
 *
 * @example
 * ```ts
 * for (const rule of service.faults.list()) console.log(rule.id, rule.hits);
 * ```
 */
export interface ActiveFaultRule extends FaultRule {
  id: string;
  /** How many pushes the rule has hit so far. */
  hits: number;
}

function tokenOf(endpoint: string): string {
  const slash = endpoint.lastIndexOf('/');
  return slash === -1 ? endpoint : endpoint.slice(slash + 1);
}

function checkRule(rule: FaultRule): void {
  const bad = (what: string) => {
    throw new PushServiceError('ERR_INVALID_OPTION', `fault rule: ${what}, got ${JSON.stringify(rule)}`);
  };
  const action = rule?.action;
  if (typeof action !== 'object' || action === null) bad('action must be an object');
  if (action.type === 'status') {
    if (![500, 503, 429].includes(action.status)) bad('action.status must be 500, 503 or 429');
    const after = action.retryAfterSeconds;
    if (after !== undefined && !(Number.isInteger(after) && after >= 0)) {
      bad('action.retryAfterSeconds must be a non-negative integer');
    }
  } else if (action.type === 'stall') {
    if (action.ms !== undefined && !(Number.isFinite(action.ms) && action.ms >= 0))
      bad('action.ms must be >= 0');
  } else if (action.type !== 'drop') {
    bad("action.type must be 'status', 'stall' or 'drop'");
  }
  if (rule.share !== undefined && !(rule.share >= 0 && rule.share <= 1)) bad('share must be between 0 and 1');
  if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count > 0)) {
    bad('count must be a positive integer');
  }
  if (rule.endpoint !== undefined && (typeof rule.endpoint !== 'string' || rule.endpoint === '')) {
    bad('endpoint must be a non-empty string');
  }
}

/**
 * Fault injection for the application-server side of the push service, for other packages'
 * tests (retry policies, throttling, dead-subscription pruning). Rules match every push or one
 * subscription, hit a share of them, and can retire after a count. The same rules are reachable
 * from another process through the control API (`POST /_herald/faults`).
 *
 * @example
 * ```ts
 * service.faults.add({ endpoint: subscription.endpoint, action: { type: 'status', status: 429, retryAfterSeconds: 3 } });
 * ```
 */
export class FaultInjector {
  readonly #rules: ActiveFaultRule[] = [];
  /** While true, WebSocket upgrades are refused with 503, so user agents stay disconnected. */
  refuseConnections = false;

  /** Adds a rule; returns its id (for {@link FaultInjector.remove}). */
  add(rule: FaultRule): string {
    checkRule(rule);
    const active: ActiveFaultRule = { ...rule, id: randomUUID(), hits: 0 };
    if (rule.endpoint !== undefined) active.endpoint = tokenOf(rule.endpoint);
    this.#rules.push(active);
    return active.id;
  }

  /** Removes a rule; false when no rule has this id. */
  remove(id: string): boolean {
    const index = this.#rules.findIndex((rule) => rule.id === id);
    if (index === -1) return false;
    this.#rules.splice(index, 1);
    return true;
  }

  /** Removes every rule and lets connections in again. */
  clear(): void {
    this.#rules.length = 0;
    this.refuseConnections = false;
  }

  /** The rules in force, with their hit counts. */
  list(): ActiveFaultRule[] {
    return this.#rules.map((rule) => ({ ...rule }));
  }

  /**
   * The action for a push to `token` (undefined: none). Rules are tried in the order they were
   * added; the first whose share draw hits wins.
   */
  pick(token: string | undefined): FaultAction | undefined {
    if (this.#rules.length === 0) return undefined;
    for (let i = 0; i < this.#rules.length; i++) {
      const rule = this.#rules[i]!;
      if (rule.endpoint !== undefined && rule.endpoint !== token) continue;
      if (rule.share !== undefined && Math.random() >= rule.share) continue;
      rule.hits++;
      if (rule.count !== undefined && rule.hits >= rule.count) this.#rules.splice(i, 1);
      return rule.action;
    }
    return undefined;
  }
}
