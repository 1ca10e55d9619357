/**
 * Portability, proven by running: the self-test in `test/portable/` runs against the built
 * package on Node, Deno, Bun, workerd and headless Chromium, and every runtime must pass the
 * same checks and report the crypto backend its export conditions are meant to select.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SelfTestReport } from './portable/self-test.js';

const run = promisify(execFile);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const rootDir = join(packageDir, '../..');
const bin = (name: string) => join(rootDir, 'node_modules/.bin', name);
const portableDir = join(packageDir, 'test/portable');

// The bundles live inside the package (git-ignored `test-artifacts/`) so that a bare
// `@herald/webpush` left in them resolves through the workspace's node_modules.
let outDir: string;
let nodeReport: SelfTestReport;

beforeAll(async () => {
  // The self-test exercises `dist/`: bring it up to date (a no-op after `npm run build`).
  await run(bin('tsc'), ['-b', join(packageDir, 'tsconfig.node.json')], { cwd: rootDir });
  await mkdir(join(packageDir, 'test-artifacts'), { recursive: true });
  outDir = await mkdtemp(join(packageDir, 'test-artifacts/runtimes-'));
  const common = { bundle: true, format: 'esm', target: 'es2022', logLevel: 'silent' } as const;
  await Promise.all([
    // Node, Deno and Bun resolve the package themselves: their own conditions are under test.
    build({
      ...common,
      entryPoints: [join(portableDir, 'cli-main.ts')],
      outfile: join(outDir, 'cli.mjs'),
      platform: 'neutral',
      packages: 'external',
    }),
    build({
      ...common,
      entryPoints: [join(portableDir, 'worker-main.ts')],
      outfile: join(outDir, 'worker.mjs'),
      platform: 'browser',
      conditions: ['workerd', 'worker', 'browser'],
    }),
    build({
      ...common,
      entryPoints: [join(portableDir, 'browser-main.ts')],
      outfile: join(outDir, 'browser.mjs'),
      platform: 'browser',
    }),
  ]);
  nodeReport = await runCli(process.execPath, [join(outDir, 'cli.mjs')]);
});

afterAll(async () => {
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

async function runCli(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<SelfTestReport> {
  const { stdout } = await run(command, args, {
    cwd: outDir,
    env: { ...process.env, ...env },
    timeout: 15_000,
  });
  return JSON.parse(stdout) as SelfTestReport;
}

/** Every runtime must pass every check that Node passes, and load the expected backend. */
function expectPassing(report: SelfTestReport, backend: 'node' | 'webcrypto'): void {
  expect(report.failed).toEqual([]);
  expect(report.passed).toEqual(nodeReport.passed);
  expect(report.backend).toBe(backend);
}

test('Node loads the node:crypto backend and passes the self-test', () => {
  expect(nodeReport.passed.length).toBeGreaterThan(0);
  expectPassing(nodeReport, 'node');
});

test('Deno loads the WebCrypto backend (the deno condition wins over node) and passes', async () => {
  const report = await runCli(bin('deno'), ['run', '--no-lock', '--no-prompt', join(outDir, 'cli.mjs')], {
    DENO_DIR: join(outDir, 'deno-dir'),
    DENO_NO_UPDATE_CHECK: '1',
  });
  expectPassing(report, 'webcrypto');
});

test('Bun loads the WebCrypto backend (the bun condition wins over node) and passes', async () => {
  const report = await runCli(bin('bun'), [join(outDir, 'cli.mjs')], {
    BUN_INSTALL_CACHE_DIR: join(outDir, 'bun'),
  });
  expectPassing(report, 'webcrypto');
});

test('workerd runs the self-test in an ES module worker with the WebCrypto backend', async () => {
  const port = await freePort();
  await writeFile(
    join(outDir, 'workerd.capnp'),
    `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "self-test", worker = .selfTest)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "self-test")],
);
const selfTest :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.mjs")],
  compatibilityDate = "2026-11-01",
);
`,
  );
  const child = spawn(bin('workerd'), ['serve', join(outDir, 'workerd.capnp')], {
    cwd: outDir,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`workerd exited with ${code}: ${stderr}`))),
  );
  try {
    const report = await Promise.race([fetchWhenUp(`http://127.0.0.1:${port}/`), exited]);
    expectPassing(report, 'webcrypto');
  } finally {
    child.kill();
  }
});

test('headless Chromium runs the self-test in a page with the WebCrypto backend', async () => {
  // WebCrypto needs a secure context: http://127.0.0.1 is one, about:blank is not.
  const server = createServer(async (request, response) => {
    if (request.url === '/browser.mjs') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(await readFile(join(outDir, 'browser.mjs')));
    } else {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><script type="module" src="/browser.mjs"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const userDataDir = await mkdtemp(join(outDir, 'chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
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
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    await page.waitForFunction(() => 'heraldSelfTest' in globalThis, undefined, { timeout: 10_000 });
    const report = await page.evaluate(
      () => (globalThis as unknown as { heraldSelfTest: Promise<SelfTestReport> }).heraldSelfTest,
    );
    expect(pageErrors).toEqual([]);
    expectPassing(report, 'webcrypto');
  } finally {
    await context.close();
    server.close();
  }
});

describe('the portable tsconfig', () => {
  test('refuses node:* imports, Buffer and process, and compiles the self-test', async () => {
    const dir = await mkdtemp(join(outDir, 'tsc-'));
    await writeFile(
      join(dir, 'probe.ts'),
      [
        "import { randomBytes } from 'node:crypto';",
        "export const bytes = Buffer.from('x');",
        'export const environment = process.env;',
        'export const random = randomBytes;',
        '',
      ].join('\n'),
    );
    // Extends the package's own tsconfig: only what a probe needs (no emit, its own files) changes.
    await writeFile(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        extends: join(packageDir, 'tsconfig.json'),
        compilerOptions: {
          rootDir: packageDir,
          noEmit: true,
          composite: false,
          incremental: false,
        },
        include: ['probe.ts', join(portableDir, '*.ts')],
        exclude: [],
      }),
    );
    const outcome = await run(bin('tsc'), ['-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], {
      cwd: dir,
    }).then(
      () => ({ stdout: '' }),
      (error: { stdout: string }) => error,
    );
    // One line per error, e.g. `probe.ts(2,23): error TS2591: Cannot find name 'Buffer'. Do you
    // need to install type definitions for node?`: exactly the three probe lines, nothing else.
    const errors = [...outcome.stdout.matchAll(/([\w.-]+\.ts)\((\d+),\d+\): error (TS\d+)/g)].map(
      ([, file, line, code]) => `${file}:${line} ${code}`,
    );
    expect(errors).toEqual(['probe.ts:1 TS2591', 'probe.ts:2 TS2591', 'probe.ts:3 TS2591']);
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Fetches `url` as soon as the server accepts connections (workerd takes ~1 s to start). */
async function fetchWhenUp(url: string): Promise<SelfTestReport> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      const response = await fetch(url);
      expect(response.status).toBe(200);
      return (await response.json()) as SelfTestReport;
    } catch (error) {
      if (Date.now() > deadline || !(error instanceof TypeError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
