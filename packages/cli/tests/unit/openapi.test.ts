import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baton } from './support.js';

const fixture = fileURLToPath(new URL('../fixtures/two-doors/', import.meta.url));

let out = '';
let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'baton-cli-openapi-'));
  out = join(dir, 'openapi.json');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('baton openapi', () => {
  it("writes the service's OpenAPI document from its definition and its registry", async () => {
    const written = await baton(['openapi', '--out', out], fixture);
    expect(written).toMatchObject({ code: 0, stderr: '' });
    expect(written.stdout).toMatch(
      /Wrote .*openapi\.json: 3 operation\(s\), from src\/operations\/index\.ts/,
    );
    const document = JSON.parse(await readFile(out, 'utf8'));
    expect(document).toMatchObject({ openapi: '3.1.0', info: { title: 'cli-fixture', version: '0.0.0' } });
    expect(Object.keys(document.components.schemas.SubmitJobRequest.discriminator.mapping)).toEqual([
      'greet',
      'pause',
      'refuse',
    ]);
    expect(Object.keys(document.paths)).toContain('/openapi.json');
  });

  it('--check passes on the file as written (or reformatted), and fails on a stale or missing one, saying what to run', async () => {
    await baton(['openapi', '--out', out], fixture);
    expect(await baton(['openapi', '--out', out, '--check'], fixture)).toMatchObject({ code: 0 });
    // Formatting aside: a repository's formatter may rewrap the file.
    await writeFile(out, JSON.stringify(JSON.parse(await readFile(out, 'utf8'))));
    expect(await baton(['openapi', '--out', out, '--check'], fixture)).toMatchObject({ code: 0 });

    const stale = JSON.parse(await readFile(out, 'utf8'));
    stale.components.schemas.GreetInput.properties.name.maxLength = 99;
    await writeFile(out, `${JSON.stringify(stale, null, 2)}\n`);
    const failed = await baton(['openapi', '--out', out, '--check'], fixture);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/is out of date: .*Run `baton openapi`/);

    const missing = await baton(['openapi', '--out', join(dir, 'none.json'), '--check'], fixture);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/is missing/);
  });

  it('takes the registry from --registry, and says what is missing when it finds nothing', async () => {
    const config = join(fixture, 'baton.config.ts');
    const registry = join(fixture, 'src/operations/index.ts');
    const explicit = await baton(['openapi', '--config', config, '--registry', registry, '--out', out], dir);
    expect(explicit).toMatchObject({ code: 0, stderr: '' });

    const noRegistry = await baton(
      ['openapi', '--config', config, '--registry', 'nowhere.ts', '--out', out],
      dir,
    );
    expect(noRegistry.code).toBe(1);
    expect(noRegistry.stderr).toMatch(/--registry nowhere\.ts: there is no such file/);

    const noDefinition = await baton(['openapi', '--out', out], dir);
    expect(noDefinition.code).toBe(1);
    expect(noDefinition.stderr).toMatch(/No service definition here/);
  });
});
