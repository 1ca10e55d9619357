import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: the `herald-source` export condition in each
// package.json points workspace imports (and the `#backend` import) at `src/`, so a test never
// mixes built and unbuilt copies of the same module.
const conditions = ['herald-source', 'node', 'import', 'default'];
// Vitest hands the SSR conditions to the test processes as `node --conditions`, which applies to
// require() as well: an `import` condition there makes CommonJS packages such as `pg` require the
// ESM build of their dependencies (`pg-pool`) and fail. Node adds `import`/`require` itself.
const nodeConditions = ['herald-source', 'node'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
