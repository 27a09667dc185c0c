import { defineConfig } from 'vitest/config';

// The outside-in test: its own run (`pnpm test:outside-in`, called by .ci/run after `pnpm test`), because it
// packs every package and installs them, and the project's other dependencies, from the npm registry.
export default defineConfig({
  test: {
    name: 'outside-in',
    root: import.meta.dirname,
    include: ['*.test.ts'],
    environment: 'node',
    testTimeout: 600_000,
    hookTimeout: 600_000,
    reporters: ['default', 'json'],
    outputFile: { json: '../../.reports/outside-in.json' },
  },
});
