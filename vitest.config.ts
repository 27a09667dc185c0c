import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'infra*/vitest.config.ts'],
    // The JSON report lets .ci/run print a one-line tally that any CI can read.
    reporters: ['default', 'json'],
    outputFile: { json: '.reports/vitest.json' },
  },
});
