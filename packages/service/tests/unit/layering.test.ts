import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Where the definition sits in the workspace: under both the local runner and the CDK constructs, importing
 * nothing but the core's limits; no package reaching into apps/; the example's CDK app free of emulator code.
 */
const root = join(import.meta.dirname, '../../../..');

/** Every module specifier: static imports and exports, `import type`, dynamic import() and require(). */
function specifiersOf(source: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*${}\s,]+\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  return patterns.flatMap((pattern) => [...source.matchAll(pattern)].map((match) => match[1] as string));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(c|m)?(t|j)sx?$/.test(entry.name) ? [path] : [];
  });
}

const importsOf = (dir: string) =>
  sourceFiles(join(root, dir)).flatMap((file) =>
    specifiersOf(readFileSync(file, 'utf8')).map((specifier) => ({ file: relative(root, file), specifier })),
  );

const manifest = (dir: string) =>
  JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };

const packages = readdirSync(join(root, 'packages'));

describe('the definition in the workspace', () => {
  it('imports only node builtins, its own files and the core’s limits', () => {
    const foreign = importsOf('packages/service/src').filter(
      ({ specifier }) =>
        !specifier.startsWith('.') &&
        !builtinModules.includes(specifier.replace(/^node:/, '')) &&
        specifier !== '@baton/core/limits',
    );
    expect(foreign).toEqual([]);
    expect(Object.keys(manifest('packages/service').dependencies ?? {})).toEqual(['@baton/core']);
  });

  it('sits under both the local runner and the CDK constructs, which do not import each other', () => {
    for (const user of ['packages/local', 'packages/cdk']) {
      expect(manifest(user).dependencies, user).toHaveProperty('@baton/service');
      expect(importsOf(`${user}/src`).some(({ specifier }) => specifier === '@baton/service')).toBe(true);
    }
    expect(
      importsOf('packages/cdk/src').filter(({ specifier }) => specifier.startsWith('@baton/local')),
    ).toEqual([]);
    expect(
      importsOf('packages/local/src').filter(({ specifier }) => specifier.startsWith('@baton/cdk')),
    ).toEqual([]);
  });

  it('no package imports an app', () => {
    expect(packages.length).toBeGreaterThan(10);
    const intoApps = packages.flatMap((name) =>
      importsOf(`packages/${name}/src`).filter(
        ({ specifier }) => /(^|\/)apps\//.test(specifier) || specifier.startsWith('@baton/example'),
      ),
    );
    expect(intoApps).toEqual([]);
    for (const name of packages) {
      const { dependencies = {}, devDependencies = {} } = manifest(`packages/${name}`);
      expect(
        Object.keys({ ...dependencies, ...devDependencies }).filter((dep) =>
          dep.startsWith('@baton/example'),
        ),
      ).toEqual([]);
    }
  });

  it('the example’s CDK app imports no emulator code', () => {
    const infraImports = [...importsOf('infra/src'), ...importsOf('infra/bin')];
    expect(infraImports.map(({ specifier }) => specifier)).toContain('@baton/cdk');
    const emulator = infraImports.filter(({ specifier }) => specifier.startsWith('@baton/local'));
    expect(emulator).toEqual([]);
    const { dependencies = {}, devDependencies = {} } = manifest('infra');
    expect({ ...dependencies, ...devDependencies }).not.toHaveProperty('@baton/local');
  });
});
