import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: the `herald-source` export condition in each
// package.json points workspace imports (and the `#backend` import) at `src/`, so a test never
// mixes built and unbuilt copies of the same module.
const conditions = ['herald-source', 'node', 'import', 'default'];
// Vitest hands the SSR conditions to the test processes as `node --conditions`, which applies to
// require() as well: an `import` condition there makes CommonJS packages such as `pg` require the
// ESM build of their dependencies (`pg-pool`) and fail. Node adds `import`/`require` itself.
const nodeConditions = ['herald-source', 'node'];

// Files that drive a real browser. They run after every other file, one at a time, so a browser
// never competes for the two cores with the delivery engine's tests (its timeouts would then
// measure the machine, not the code).
const browserTests = [
  'packages/*/test/**/*.chromium.test.ts',
  'packages/*/test/**/*.firefox.test.ts',
  'packages/*/test/**/*.e2e.test.ts',
];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions: nodeConditions, externalConditions: nodeConditions } },
  test: {
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'node',
          sequence: { groupOrder: 0 },
          include: ['packages/*/test/**/*.test.ts'],
          exclude: browserTests,
        },
      },
      {
        extends: true,
        test: { name: 'browser', include: browserTests, fileParallelism: false, sequence: { groupOrder: 1 } },
      },
    ],
  },
});
