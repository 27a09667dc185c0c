import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompactSourceMap, type SourceMapPayload } from '../../src/lazy-source-maps.js';

const fixture = new URL('../fixtures/stack-frames/frames.ts', import.meta.url).pathname;
const module = new URL('../../src/lazy-source-maps.ts', import.meta.url).pathname;
let dir = '';

/**
 * Prints the fixture's stacks, formatted either by Node (`--enable-source-maps`) or by the lazy source maps an
 * execution environment installs: the same script, so the frames outside the bundle are the same too.
 */
const PRINT_STACKS = `
  const [bundle, lazy] = process.argv.slice(2);
  if (lazy) {
    const { createLazySourceMaps } = await import(lazy);
    const maps = createLazySourceMaps(Error.prepareStackTrace);
    Error.prepareStackTrace = maps.prepareStackTrace;
    maps.stamp(bundle);
  }
  const { stackOf, KINDS } = await import(bundle);
  const stacks = {};
  for (const kind of KINDS) stacks[kind] = await stackOf(kind);
  console.log(JSON.stringify(stacks));
`;

function stacks(nodeArgs: string[], lazy?: string): Record<string, string> {
  const args = [...nodeArgs, join(dir, 'print-stacks.mjs'), join(dir, 'bundle', 'frames.mjs')];
  return JSON.parse(execFileSync(process.execPath, lazy ? [...args, lazy] : args, { encoding: 'utf8' }));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-lazy-source-maps-'));
  writeFileSync(join(dir, 'print-stacks.mjs'), PRINT_STACKS);
  const common = {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  } as const;
  await Promise.all([
    build({ ...common, entryPoints: [fixture], outfile: join(dir, 'bundle', 'frames.mjs'), sourcemap: true }),
    build({ ...common, entryPoints: [module], outfile: join(dir, 'lazy-source-maps.mjs') }),
  ]);
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('lazy source maps', () => {
  it('format every kind of frame as Node does with --enable-source-maps', () => {
    const node = stacks(['--enable-source-maps']);
    const lazy = stacks([], join(dir, 'lazy-source-maps.mjs'));
    expect(Object.keys(lazy)).toEqual(['plain', 'constructor', 'method', 'node', 'async']);
    for (const kind of Object.keys(node)) expect(lazy[kind], kind).toBe(node[kind]);
    // Mapped at all: the frames name the TypeScript source and the original names.
    expect(lazy.constructor).toMatch(/^Error: account closed\n {4}at new _?Account \(\S*frames\.ts:5:32\)/);
    expect(lazy.node).toMatch(/^RangeError \[ERR_OUT_OF_RANGE\]: /);
    expect(lazy.async).toMatch(/\n {4}at async stackOf \(\S*frames\.ts:\d+:\d+\)/);
  });

  it('leave the frames of a file rewritten since it was loaded unmapped, rather than mapped wrong', () => {
    const bundle = join(dir, 'bundle', 'frames.mjs');
    const script = join(dir, 'rewritten.mjs');
    writeFileSync(
      script,
      `${PRINT_STACKS.replace(
        'const { stackOf, KINDS } = await import(bundle);',
        "const { stackOf, KINDS } = await import(bundle);\n  const fs = await import('node:fs');\n  fs.writeFileSync(bundle + '.tmp', fs.readFileSync(bundle));\n  fs.renameSync(bundle + '.tmp', bundle);",
      )}`,
    );
    const out = JSON.parse(
      execFileSync(process.execPath, [script, bundle, join(dir, 'lazy-source-maps.mjs')], {
        encoding: 'utf8',
      }),
    ) as Record<string, string>;
    expect(out.plain).toMatch(/^TypeError: plain plain\n {4}at inner \(file:\/\/\S*frames\.mjs:\d+:\d+\)/);
    expect(out.plain).not.toContain('frames.ts');
  });

  it('find the mapping at or before a position, as Node does', () => {
    // Line 0: a mapping at column 0 and one at column 10 with a name; line 1: none; line 2: column 4, no source.
    const payload: SourceMapPayload = {
      version: 3,
      sources: ['a.ts'],
      names: ['greet'],
      mappings: 'AAAA,UACAA;;I',
    };
    const map = CompactSourceMap.parse(payload, 'file:///project/dist/a.js.map');
    expect(map.findEntry(0, 5)).toEqual({ source: '/project/dist/a.ts', originalLine: 0, originalColumn: 0 });
    expect(map.findEntry(0, 10)).toEqual({
      source: '/project/dist/a.ts',
      originalLine: 1,
      originalColumn: 0,
      name: 'greet',
    });
    // A line without mappings: the last one before it.
    expect(map.findEntry(1, 0)).toMatchObject({ originalLine: 1, name: 'greet' });
    // A segment without a source maps nowhere.
    expect(map.findEntry(2, 7)).toEqual({});
    expect(map.findEntry(-1, 0)).toBeUndefined();
  });

  it('keep no source text: only the mappings, sources and names', () => {
    const map = readFileSync(join(dir, 'bundle', 'frames.mjs.map'), 'utf8');
    expect(JSON.parse(map).sourcesContent).toHaveLength(1);
    const parsed = CompactSourceMap.parse(JSON.parse(map), 'file:///x/frames.mjs.map');
    expect(JSON.stringify(Object.values(parsed))).not.toContain('account closed');
  });
});
