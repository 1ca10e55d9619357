import { defineConfig } from 'vitest/config';

// Tests run against the TypeScript sources: the `herald-source` export condition in each
// package.json points workspace imports (and the `#backend` import) at `src/`, so a test never
// mixes built and unbuilt copies of the same module.
const conditions = ['herald-source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
