import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { afterAll, expect, test } from 'vitest';
import { dashboardRoutes } from '../src/http/routes/dashboard.js';

const dir = mkdtempSync(join(tmpdir(), 'herald-dashboard-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('serves the built dashboard at /, the demo at /demo/ and the worker script, with their types', async () => {
  mkdirSync(join(dir, 'demo'));
  writeFileSync(join(dir, 'index.html'), '<title>dash</title>');
  writeFileSync(join(dir, 'herald-sw.js'), 'self.x=1');
  writeFileSync(join(dir, 'demo/index.html'), '<title>demo</title>');
  const app = Fastify();
  await app.register((instance) => dashboardRoutes(instance, dir));
  const get = (url: string) => app.inject({ method: 'GET', url });
  expect((await get('/')).body).toBe('<title>dash</title>');
  expect((await get('/')).headers['content-type']).toBe('text/html; charset=utf-8');
  expect((await get('/demo/')).body).toBe('<title>demo</title>');
  expect((await get('/demo')).headers.location).toBe('/demo/');
  expect((await get('/herald-sw.js')).headers['content-type']).toBe('text/javascript; charset=utf-8');
  expect((await get('/missing.js')).statusCode).toBe(404);
  await app.close();
});

test('without a built dashboard, / says how to build it', async () => {
  const app = Fastify();
  await app.register((instance) => dashboardRoutes(instance, join(dir, 'nowhere')));
  expect((await app.inject({ method: 'GET', url: '/' })).body).toMatch(/npm run build/);
  await app.close();
});
