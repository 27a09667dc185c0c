import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { specifiersOf } from '../fixtures/import-scanner.js';

const packageRoot = join(import.meta.dirname, '../..');
const ALLOWED_PACKAGES = new Set(['zod', 'vitest']);
/** vitest is allowed only in the conformance suite, which is a test utility on its own subpath. */
const VITEST_ALLOWED_IN = new Set(['src/testing/job-store-conformance.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(c|m)?(t|j)sx?$/.test(entry.name) ? [path] : [];
  });
}

const packageName = (specifier: string) =>
  specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] as string);

describe('the dependency rule: the core imports nothing but node builtins, zod and itself', () => {
  it('finds the specifiers of every import form', () => {
    const sample = [
      "import * as z from 'zod';",
      "import type { Handler } from 'aws-lambda';",
      "export { x } from './x.js';",
      "const sdk = await import('@aws-sdk/client-lambda');",
      "const p = require('@aws-lambda-powertools/logger');",
      "import 'side-effect';",
    ].join('\n');
    expect(specifiersOf(sample)).toEqual([
      'zod',
      'aws-lambda',
      './x.js',
      'side-effect',
      '@aws-sdk/client-lambda',
      '@aws-lambda-powertools/logger',
    ]);
  });

  it('holds for every source file', () => {
    const files = sourceFiles(join(packageRoot, 'src'));
    expect(files.length).toBeGreaterThan(10);
    const violations: string[] = [];
    for (const file of files) {
      const path = relative(packageRoot, file);
      for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
        if (specifier.startsWith('.')) continue;
        const bare = specifier.replace(/^node:/, '');
        if (specifier.startsWith('node:') || builtinModules.includes(bare)) continue;
        const name = packageName(specifier);
        if (name === 'vitest' && VITEST_ALLOWED_IN.has(path)) continue;
        if (!ALLOWED_PACKAGES.has(name) || name === 'vitest') violations.push(`${path}: ${specifier}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it('declares no dependency but zod, so pnpm cannot resolve anything else from the core', () => {
    const manifest = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8'));
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(['zod']);
    const peers = Object.keys(manifest.peerDependencies ?? {});
    expect(peers.every((name) => name === 'vitest')).toBe(true);
    for (const section of ['dependencies', 'peerDependencies', 'devDependencies', 'optionalDependencies']) {
      for (const name of Object.keys(manifest[section] ?? {})) {
        expect(name).not.toMatch(/^(@aws-sdk\/|@aws-lambda-powertools\/|aws-cdk-lib|@baton\/)/);
      }
    }
  });

  it('cannot resolve the AWS SDK or Powertools from the core (pnpm strict node_modules)', async () => {
    expect(() => import.meta.resolve('zod')).not.toThrow();
    for (const name of ['@aws-sdk/client-lambda', '@aws-sdk/lib-dynamodb', '@aws-lambda-powertools/logger']) {
      expect(() => import.meta.resolve(name)).toThrow();
    }
  });
});
