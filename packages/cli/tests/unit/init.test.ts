import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliVersion, init, mergePackageJson, nameFromFolder } from '../../src/init.js';
import { baton } from './support.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'baton-cli-init-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const EXPECTED_FILES = [
  '.gitignore',
  'README.md',
  'baton.config.ts',
  'cdk.json',
  'infra/app.ts',
  'src/handlers/api-gateway.ts',
  'src/handlers/direct-invoke.ts',
  'src/handlers/failed-events.ts',
  'src/handlers/function-url.ts',
  'src/handlers/reconciler.ts',
  'src/handlers/worker.ts',
  'src/operations/count-primes.ts',
  'src/operations/index.ts',
  'tests/operation.test.ts',
  'tsconfig.json',
];

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(dir.length + 1))
    .sort();
}

describe('baton init', () => {
  it('writes the starting project into a new folder, named after it, and says what to do next', async () => {
    const result = await baton(['init', 'Reports Service'], root);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const dir = join(root, 'Reports Service');
    expect(await filesUnder(dir)).toEqual([...EXPECTED_FILES, 'package.json'].sort());
    expect(await readFile(join(dir, 'baton.config.ts'), 'utf8')).toContain("name: 'reports-service'");
    expect(await readFile(join(dir, 'README.md'), 'utf8')).not.toContain('{{name}}');
    expect(await readFile(join(dir, '.gitignore'), 'utf8')).toMatch(/node_modules\/\n\.baton\/\ncdk\.out\//);
    expect(JSON.parse(await readFile(join(dir, 'cdk.json'), 'utf8'))).toMatchObject({
      app: 'npx tsx infra/app.ts',
    });

    const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(manifest).toMatchObject({
      name: 'reports-service',
      private: true,
      type: 'module',
      scripts: { dev: 'baton dev', synth: 'cdk synth', test: 'vitest run' },
    });
    const version = `^${cliVersion()}`;
    expect(manifest.dependencies).toMatchObject({
      '@baton/core': version,
      '@baton/service': version,
      '@baton/handlers': version,
      '@baton/cdk': version,
      zod: '4.6.7',
      'aws-cdk-lib': '2.276.0',
    });
    expect(manifest.devDependencies).toMatchObject({ '@baton/cli': version, 'aws-cdk': expect.any(String) });

    expect(result.stdout).toContain('Wrote a Baton service, reports-service, into');
    expect(result.stdout).toMatch(/Next:\n {2}cd Reports Service\n {2}npm install\n {2}npx baton dev/);
  });

  it('takes --name, and writes into the current folder with `.`', async () => {
    const dir = join(root, 'here');
    await mkdir(dir);
    const result = await baton(['init', '.', '--name', 'billing'], dir);
    expect(result.code).toBe(0);
    expect(await readFile(join(dir, 'baton.config.ts'), 'utf8')).toContain("name: 'billing'");
    expect(result.stdout).not.toContain('  cd ');
  });

  it('merges an existing package.json: adds what is missing, keeps what is there', async () => {
    const dir = join(root, 'existing');
    await mkdir(dir);
    const before = {
      name: 'team-thing',
      version: '3.1.0',
      description: 'kept',
      scripts: { test: 'node --test', lint: 'biome check .' },
      dependencies: { '@baton/core': 'file:../baton-core-0.1.0.tgz', lodash: '4.17.21' },
      devDependencies: { typescript: '6.0.0', '@baton/cli': 'file:../baton-cli-0.1.0.tgz' },
    };
    await writeFile(join(dir, 'package.json'), JSON.stringify(before));
    const result = await baton(['init', dir], root);
    expect(result.code).toBe(0);
    const after = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8'));
    expect(after).toMatchObject({
      name: 'team-thing',
      version: '3.1.0',
      description: 'kept',
      type: 'module',
    });
    expect(after.scripts).toEqual({
      test: 'node --test',
      lint: 'biome check .',
      dev: 'baton dev',
      synth: 'cdk synth',
    });
    expect(after.dependencies['@baton/core']).toBe('file:../baton-core-0.1.0.tgz');
    expect(after.dependencies.lodash).toBe('4.17.21');
    expect(after.dependencies['@baton/service']).toBe(`^${cliVersion()}`);
    expect(after.devDependencies.typescript).toBe('6.0.0');
    expect(after.devDependencies['@baton/cli']).toBe('file:../baton-cli-0.1.0.tgz');
    expect(after.dependencies.typescript).toBeUndefined();
    expect(result.stdout).toContain(
      'package.json (merged: added "type": "module", scripts.dev, scripts.synth',
    );
    expect(result.stdout).toContain(
      `kept as it was: scripts.test ("node --test"; Baton's would be "vitest run")`,
    );
  });

  it('refuses to overwrite any existing file, naming them, and then writes nothing', async () => {
    const dir = join(root, 'clash');
    await mkdir(join(dir, 'src/operations'), { recursive: true });
    await writeFile(join(dir, 'baton.config.ts'), '// mine\n');
    await writeFile(join(dir, 'src/operations/index.ts'), '// mine too\n');
    await writeFile(join(dir, 'package.json'), '{"name":"mine"}');
    const result = await baton(['init', dir], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `baton init: ${dir} already has baton.config.ts, src/operations/index.ts: baton init writes nothing over existing files. Move them away, or pick another folder.\n`,
    );
    expect(await readFile(join(dir, 'baton.config.ts'), 'utf8')).toBe('// mine\n');
    expect(await readFile(join(dir, 'package.json'), 'utf8')).toBe('{"name":"mine"}');
    expect(existsSync(join(dir, 'README.md'))).toBe(false);
    expect(existsSync(join(dir, 'src/handlers'))).toBe(false);
  });

  it('refuses a package.json that is not JSON, before writing anything', async () => {
    const dir = join(root, 'bad-json');
    await mkdir(dir);
    await writeFile(join(dir, 'package.json'), '{ nope');
    const result = await baton(['init', dir], root);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/package\.json is not valid JSON/);
    expect(await filesUnder(dir)).toEqual(['package.json']);
  });

  it('needs no network: every file ships with the package', async () => {
    // init reads only its templates and the target folder; fetch is never called.
    const fetchBefore = globalThis.fetch;
    globalThis.fetch = () => Promise.reject(new Error('no network in init'));
    try {
      const result = await init(join(root, 'offline'), {}, root);
      expect(result.written).toEqual(EXPECTED_FILES);
    } finally {
      globalThis.fetch = fetchBefore;
    }
  });
});

describe('package.json merging', () => {
  it('keeps a type other than module, and says why it matters', () => {
    const { manifest, kept } = mergePackageJson({ type: 'commonjs' }, 'x', '1.2.3');
    expect(manifest.type).toBe('commonjs');
    expect(kept).toContain(`"type": "commonjs" (Baton's files are ES modules: set "type": "module")`);
  });

  it('creates a new one with every dependency at the CLI version', () => {
    const { manifest } = mergePackageJson(undefined, 'svc', '1.2.3');
    expect(manifest).toMatchObject({ name: 'svc', version: '0.1.0', private: true, type: 'module' });
    expect(Object.keys(manifest.dependencies ?? {})).toEqual(
      [...Object.keys(manifest.dependencies ?? {})].sort((a, b) => a.localeCompare(b)),
    );
    for (const [pkg, range] of Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })) {
      if (pkg.startsWith('@baton/')) expect(range).toBe('^1.2.3');
    }
  });
});

describe('names', () => {
  it.each([
    ['my-service', 'my-service'],
    ['My Service_2', 'my-service-2'],
    ['2fast', 'fast'],
    ['---', 'my-service'],
    ['x'.repeat(60), 'x'.repeat(42)],
  ])('%s → %s', (folder, name) => {
    expect(nameFromFolder(join('/tmp', folder))).toBe(name);
  });
});
