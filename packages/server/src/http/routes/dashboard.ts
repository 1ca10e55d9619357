import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative } from 'node:path';
import type { FastifyInstance } from 'fastify';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** Where `@herald/dashboard`'s build puts the static site; `undefined` when it is not installed. */
export function dashboardDir(): string | undefined {
  try {
    const manifest = createRequire(import.meta.url).resolve('@herald/dashboard/package.json');
    return join(dirname(manifest), 'dist/public');
  } catch {
    return undefined;
  }
}

function walk(dir: string, root = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path, root) : [relative(root, path)];
  });
}

/**
 * Serves the dashboard at `/`, the demo site at `/demo/` and the ready-made service worker at
 * `/herald-sw.js`, all built by `@herald/dashboard` (a few small files, read once at start).
 *
 * @example
 * ```ts
 * await app.register((instance) => dashboardRoutes(instance, dashboardDir()));
 * ```
 */
export async function dashboardRoutes(app: FastifyInstance, dir: string | undefined): Promise<void> {
  let files: string[] = [];
  try {
    files = dir ? walk(dir) : [];
  } catch {
    files = [];
  }
  if (files.length === 0) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply
        .type('text/plain')
        .send('The dashboard is not built: run `npm run build` (it builds @herald/dashboard).'),
    );
    return;
  }
  for (const file of files) {
    const body = readFileSync(join(dir!, file));
    const type = types[extname(file)] ?? 'application/octet-stream';
    const path = `/${file.split('\\').join('/')}`;
    const routes = path.endsWith('/index.html') ? [path.slice(0, -'index.html'.length)] : [path];
    for (const url of routes) {
      app.get(url, { schema: { hide: true } }, async (_request, reply) =>
        reply.type(type).header('cache-control', 'no-cache').send(body),
      );
    }
  }
  app.get('/demo', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/demo/'));
}
