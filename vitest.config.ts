import { defineConfig } from 'vitest/config';
import LongestFirst from './vitest.sequencer.js';

export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'infra*/vitest.config.ts'],
    // Much of the suite waits rather than computes: on local stacks, child processes, jobs that take seconds.
    // Vitest's default on a 2-core machine (cores − 1) is one worker, which runs the files one after the other;
    // two overlap the waits, and more starve the CPU-bound files on a loaded machine (measured: decision 0013).
    // VITEST_MAX_WORKERS overrides it.
    maxWorkers: 2,
    sequence: { sequencer: LongestFirst },
    // The JSON report lets .ci/run print a one-line tally that any CI can read.
    reporters: ['default', 'json'],
    outputFile: { json: '.reports/vitest.json' },
  },
});
