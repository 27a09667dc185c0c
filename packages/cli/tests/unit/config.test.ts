import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findConfig, loadDefinition } from '../../src/config.js';
import { UserError } from '../../src/errors.js';

let root = '';
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'baton-cli-config-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function write(path: string, text = '') {
  await mkdir(join(root, path, '..'), { recursive: true });
  await writeFile(join(root, path), text);
  return join(root, path);
}

/** A definition that needs no package: a plain object, completed by defineService. */
const PLAIN_DEFINITION = `export default {
  name: 'plain',
  functions: { api: { entry: 'src/api.ts', doors: ['http-api'] } },
  maintenance: { reconciler: { entry: 'src/r.ts' }, failedEvents: { entry: 'src/f.ts' } },
};`;

describe('finding the service definition', () => {
  it('takes the nearest folder that has one, from the current folder up', async () => {
    const top = await write('a/baton.config.ts');
    const nested = await write('a/b/c/baton.config.mjs');
    await mkdir(join(root, 'a/b/c/d/e'), { recursive: true });
    expect(findConfig(join(root, 'a/b/c/d/e'))).toBe(nested);
    expect(findConfig(join(root, 'a/b'))).toBe(top);
    expect(findConfig(join(root, 'a'))).toBe(top);
  });

  it('prefers .ts, then .mts, .js, .mjs in one folder', async () => {
    const js = await write('pref/baton.config.js');
    await write('pref/baton.config.mjs');
    expect(findConfig(join(root, 'pref'))).toBe(js);
    const mts = await write('pref/baton.config.mts');
    expect(findConfig(join(root, 'pref'))).toBe(mts);
  });

  it('takes --config relative to the current folder, and says when it is not there', async () => {
    const file = await write('explicit/service.ts');
    expect(findConfig(join(root, 'explicit'), 'service.ts')).toBe(file);
    expect(() => findConfig(join(root, 'explicit'), 'missing.ts')).toThrow(
      /--config missing\.ts: there is no such file/,
    );
  });

  it('says where it looked when there is none', async () => {
    await mkdir(join(root, 'empty'), { recursive: true });
    // The search reaches the file system's root; the temporary folder has no definition above it.
    expect(() => findConfig(join(root, 'empty'))).toThrow(UserError);
    expect(() => findConfig(join(root, 'empty'))).toThrow(
      `is in ${join(root, 'empty')} or a folder above it`,
    );
  });
});

describe('loading the service definition', () => {
  it('compiles TypeScript with its relative imports, and completes a plain definition', async () => {
    await write('load/names.ts', "export const NAME: string = 'plain';\n");
    const file = await write(
      'load/baton.config.ts',
      PLAIN_DEFINITION.replace("name: 'plain'", 'name: NAME').replace(
        'export default',
        "import { NAME } from './names.js';\nexport default",
      ),
    );
    const definition = await loadDefinition(file);
    expect(definition.name).toBe('plain');
    expect(definition.functions.api).toMatchObject({ doors: ['http-api'], jobsGoTo: 'self', memoryMb: 1024 });
  });

  it('takes a `service` export when there is no default one', async () => {
    const file = await write(
      'named/baton.config.mjs',
      PLAIN_DEFINITION.replace('export default', 'export const service ='),
    );
    expect((await loadDefinition(file)).name).toBe('plain');
  });

  it('says what is wrong: a syntax error, no export, an invalid definition', async () => {
    const broken = await write('broken/baton.config.ts', 'export default {');
    await expect(loadDefinition(broken)).rejects.toThrow(/could not be compiled:\n .*baton\.config\.ts:1: /);
    const empty = await write('none/baton.config.ts', 'export const other = 1;');
    await expect(loadDefinition(empty)).rejects.toThrow(
      /exports no service: export the result of defineService/,
    );
    const invalid = await write('invalid/baton.config.mjs', PLAIN_DEFINITION.replace("'http-api'", "'smtp'"));
    await expect(loadDefinition(invalid)).rejects.toThrow(/functions\.api\.doors: 'smtp' is not one of/);
  });
});
