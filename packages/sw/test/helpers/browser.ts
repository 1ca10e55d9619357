/**
 * Test support shared by the browser packages' tests: a real HTTP server on port 0 that serves
 * pages and scripts and records API calls, headless Chromium launched the way the field notes
 * say, and the worker script bundled from source.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { type BrowserContext, chromium } from 'playwright-core';

export const artifactsDir = fileURLToPath(new URL('../../../../test-artifacts/', import.meta.url));

/** A request the test server received on an API path. */
export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** What an API handler answers. */
export interface Answer {
  status: number;
  body?: unknown;
}

export interface TestServer {
  origin: string;
  server: Server;
  /** Every request to `/api/`, in order. */
  requests: RecordedRequest[];
  /** Static files by path. */
  files: Map<string, { type: string; body: string | Uint8Array }>;
  /** Answers API requests; default: 404. Replace it per test. */
  api: (request: RecordedRequest) => Answer | Promise<Answer>;
  close(): Promise<void>;
}

/**
 * Starts the test server on 127.0.0.1 port 0 (a secure context for service workers). API
 * answers carry permissive CORS headers, as the Herald server does for allowed origins.
 */
export async function startTestServer(): Promise<TestServer> {
  const state: TestServer = {
    origin: '',
    requests: [],
    files: new Map(),
    api: () => ({ status: 404, body: { error: { code: 'ERR_NOT_FOUND', message: 'no such route' } } }),
    server: createServer(async (request, response) => {
      const url = new URL(request.url ?? '/', 'http://x');
      const cors = {
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-allow-methods': 'GET, POST, PATCH, DELETE',
      };
      if (url.pathname.startsWith('/api/')) {
        if (request.method === 'OPTIONS') return response.writeHead(204, cors).end();
        let text = '';
        for await (const chunk of request) text += chunk;
        const recorded: RecordedRequest = {
          method: request.method ?? 'GET',
          path: url.pathname,
          headers: request.headers,
          body: text ? JSON.parse(text) : undefined,
        };
        state.requests.push(recorded);
        const answer = await state.api(recorded);
        response.writeHead(answer.status, { ...cors, 'content-type': 'application/json' });
        return response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
      }
      const file = state.files.get(url.pathname);
      if (!file) return response.writeHead(404).end();
      response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
      return response.end(file.body);
    }),
    close: () => new Promise((resolve) => state.server.close(() => resolve())),
  };
  await new Promise<void>((resolve) => state.server.listen(0, '127.0.0.1', resolve));
  state.origin = `http://127.0.0.1:${(state.server.address() as AddressInfo).port}`;
  return state;
}

/** Launches headless Debian Chromium with a fresh profile (flags from the field notes), removed on close. */
export async function launchChromium(): Promise<BrowserContext> {
  await mkdir(artifactsDir, { recursive: true });
  const userDataDir = await mkdtemp(join(tmpdir(), 'herald-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1200, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  // Chromium may still be writing its profile as it exits: retry, and never fail a test over it.
  context.on('close', () =>
    rm(userDataDir, { recursive: true, force: true, maxRetries: 5 }).catch(() => undefined),
  );
  return context;
}

/** Bundles an entry point for the browser, minified or not, and returns the code. */
export async function bundle(entry: string, options: { minify?: boolean; format?: 'iife' | 'esm' } = {}) {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: options.minify ?? false,
    format: options.format ?? 'iife',
    target: 'es2020',
    platform: 'browser',
    conditions: ['herald-source'],
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** The ready-made worker script, bundled from `packages/sw/src/script.ts`. */
export const workerScript = () =>
  bundle(fileURLToPath(new URL('../../src/script.ts', import.meta.url)), { minify: true });
