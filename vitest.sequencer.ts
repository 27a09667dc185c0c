import { statSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, across projects. Vitest's own order runs the projects one after the other (alphabetically)
 * and, without a results cache (a fresh clone, CI), the larger files of each first: the slowest files — local
 * stacks, `baton dev` children, jobs that take seconds — then start late and run on alone at the end while the
 * other worker has nothing left (decision 0013). With the cache of an earlier run, each file's last duration;
 * without it, an estimate from what the file is: end-to-end, reliability and `baton dev` files, then integration
 * files, then the rest by size.
 */
export default class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const expectedMs = (spec: TestSpecification): number => {
      const key = `${spec.project.name}:${relative(root, spec.moduleId)}`;
      const last = this.ctx.cache.getFileTestResults(key);
      if (last !== undefined) return last.duration;
      return estimateMs(relative(root, spec.moduleId));
    };
    const order = new Map(files.map((spec) => [spec, expectedMs(spec)]));
    return [...files].sort((a, b) => {
      const [msA, msB] = [order.get(a) ?? 0, order.get(b) ?? 0];
      // Quick files of one project one after the other: a project that shares its module graph between files
      // (vitest.shared.ts) then loads it once, not once each time another project's file came between.
      if (msA < QUICK_MS && msB < QUICK_MS && a.project.name !== b.project.name)
        return a.project.name < b.project.name ? -1 : 1;
      return msB - msA;
    });
  }
}

/** Files expected to take less than this run grouped by project (see sort). */
const QUICK_MS = 1_000;

/** A guess of a file's duration from its place and size, for a file this machine has not run yet. */
function estimateMs(path: string): number {
  const bytes = statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  // Files that start whole stacks or `baton dev` as a child process.
  const kind =
    /\/tests\/(reliability|e2e)\/|^apps\/key-stretch\/tests\/|^packages\/cli\/tests\/integration\//.test(path)
      ? 10_000
      : /\/tests\/integration\/|^infra\/tests\//.test(path)
        ? 3_000
        : 0;
  return kind + bytes / 10;
}
