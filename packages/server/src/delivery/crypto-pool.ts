import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ServerError } from '../errors.js';
import { type BuildContext, type BuildItem, type BuildResult, buildRequests } from './build-requests.js';
import type { CryptoJob } from './crypto-worker.js';

/** Options of {@link CryptoPool}. */
export interface CryptoPoolOptions {
  /**
   * Worker threads that encrypt; `0` builds on the calling thread. Default: one per core
   * (`os.availableParallelism()`), since one P-256 ECDH per push (RFC 8291 §3.1) is the cost
   * that grows with the audience and the event loop has the HTTP and the database to run.
   */
  threads?: number;
}

interface Pending {
  resolve: (results: BuildResult[]) => void;
  reject: (error: unknown) => void;
}

interface Thread {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Items posted and not answered: new work goes to the least loaded thread. */
  load: number;
}

/**
 * The worker script. From the compiled package it sits next to this file; when the sources run
 * (tests), Node cannot load a `.ts` file in a thread, so the compiled copy in `dist/` is used
 * (`npm test` builds first).
 */
function workerScript(): URL {
  const sibling = new URL('./crypto-worker.js', import.meta.url);
  if (!import.meta.url.endsWith('.ts')) return sibling;
  const compiled = new URL('../../dist/delivery/crypto-worker.js', import.meta.url);
  if (!existsSync(fileURLToPath(compiled))) {
    throw new ServerError(
      'ERR_INVALID_CONFIG',
      `crypto threads need the compiled worker at ${fileURLToPath(compiled)}; run "npm run build" first, or use threads: 0`,
    );
  }
  return compiled;
}

/**
 * The thread runs compiled code, so it must not inherit a `--conditions` flag that points
 * workspace packages at their TypeScript sources (the test runner sets one).
 */
function threadExecArgv(): string[] {
  const argv: string[] = [];
  const inherited = process.execArgv;
  for (let i = 0; i < inherited.length; i++) {
    const arg = inherited[i]!;
    if (arg === '--conditions' || arg === '-C') i++;
    else if (!arg.startsWith('--conditions=') && !arg.startsWith('-C=')) argv.push(arg);
  }
  return argv;
}

/**
 * Builds push requests (encryption and VAPID signature) on every core. A chunk is split into one
 * slice per thread, so the ECDH work of a broadcast runs in parallel while the event loop keeps
 * sending the previous chunk's requests and talking to the database.
 *
 * @example
 * ```ts
 * const pool = new CryptoPool({ threads: 2 });
 * const results = await pool.build(context, items);
 * await pool.close();
 * ```
 */
export class CryptoPool {
  readonly threads: number;
  readonly #threads: Thread[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: CryptoPoolOptions = {}) {
    this.threads = options.threads ?? availableParallelism();
    if (!Number.isInteger(this.threads) || this.threads < 0) {
      throw new ServerError(
        'ERR_INVALID_CONFIG',
        `threads must be a non-negative integer, got ${this.threads}`,
      );
    }
    const script = this.threads > 0 ? workerScript() : undefined;
    for (let i = 0; i < this.threads; i++) {
      const thread: Thread = {
        worker: new Worker(script!, { execArgv: threadExecArgv() }),
        pending: new Map(),
        load: 0,
      };
      thread.worker.on('message', (answer: { id: number; results?: BuildResult[]; error?: string }) => {
        const pending = thread.pending.get(answer.id);
        if (!pending) return;
        thread.pending.delete(answer.id);
        if (answer.results) pending.resolve(answer.results);
        else pending.reject(new ServerError('ERR_INTERNAL', `crypto thread failed: ${answer.error}`));
      });
      thread.worker.on('error', (error) => this.#fail(thread, error));
      thread.worker.on('exit', (code) => {
        if (!this.#closed) this.#fail(thread, new Error(`crypto thread exited with code ${code}`));
      });
      // An idle pool must not keep the process alive.
      thread.worker.unref();
      this.#threads.push(thread);
    }
  }

  #fail(thread: Thread, error: unknown): void {
    for (const pending of thread.pending.values()) pending.reject(error);
    thread.pending.clear();
  }

  /** Builds one request per item, in order; an item that cannot be built gets an `error`. */
  async build(context: BuildContext, items: BuildItem[]): Promise<BuildResult[]> {
    if (this.#closed) throw new ServerError('ERR_INTERNAL', 'the crypto pool is closed');
    if (this.#threads.length === 0 || items.length === 0) return buildRequests(context, items);
    const slices = Math.min(this.#threads.length, Math.ceil(items.length / 16));
    const size = Math.ceil(items.length / slices);
    const parts: Promise<BuildResult[]>[] = [];
    for (let start = 0; start < items.length; start += size) {
      parts.push(this.#post(context, items.slice(start, start + size)));
    }
    return (await Promise.all(parts)).flat();
  }

  #post(context: BuildContext, items: BuildItem[]): Promise<BuildResult[]> {
    let thread = this.#threads[0]!;
    for (const candidate of this.#threads) if (candidate.load < thread.load) thread = candidate;
    const id = this.#nextId++;
    thread.load += items.length;
    thread.worker.ref();
    return new Promise<BuildResult[]>((resolve, reject) => {
      const done = () => {
        thread.load -= items.length;
        if (thread.pending.size === 0) thread.worker.unref();
      };
      thread.pending.set(id, {
        resolve: (results) => {
          done();
          resolve(results);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      thread.worker.postMessage({ id, context, items } satisfies CryptoJob);
    });
  }

  /** Stops the threads; builds still running are rejected. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#threads.map((thread) => thread.worker.terminate()));
    for (const thread of this.#threads)
      this.#fail(thread, new ServerError('ERR_INTERNAL', 'the crypto pool is closed'));
  }
}
