import { readFile } from 'node:fs/promises';
import { runInline, systemClock } from '@baton/core';
import { describe, expect, it } from 'vitest';
import { THIRD_PARTY_VERSIONS } from '../../src/init.js';
import { registry } from '../../templates/src/operations/index.js';

const workspace = new URL('../../../../', import.meta.url);
const manifest = async (path: string) =>
  JSON.parse(await readFile(new URL(path, workspace), 'utf8')) as Record<string, Record<string, string>>;

describe('the starting project', () => {
  it("its operation runs (the template's own test runs it in the new project)", async () => {
    const outcome = await runInline(
      { registry, clock: systemClock },
      { operation: 'count-primes', input: { upTo: 1_000 } },
      { deadlineMs: 5_000 },
    );
    expect(outcome).toEqual({ kind: 'completed', output: { upTo: 1_000, primes: 168 } });
  });

  it('depends on the versions this workspace builds and tests with', async () => {
    const root = await manifest('package.json');
    const cli = await manifest('packages/cli/package.json');
    const example = await manifest('apps/example/package.json');
    const used: Record<string, string | undefined> = {
      ...root.devDependencies,
      ...example.dependencies,
      ...cli.devDependencies,
      ...cli.dependencies,
    };
    const wanted = {
      ...THIRD_PARTY_VERSIONS.dependencies,
      ...THIRD_PARTY_VERSIONS.devDependencies,
    } as Record<string, string>;
    for (const [pkg, version] of Object.entries(wanted)) {
      if (pkg === 'aws-cdk') continue; // the CDK CLI: not a dependency of the workspace
      expect({ pkg, version }).toEqual({ pkg, version: used[pkg] });
    }
  });
});
