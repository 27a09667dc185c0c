import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  functionName,
  functionsInUse,
  maintenanceFunctionName,
  service,
} from '@baton/example/service-definition';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppDir, repositoryRoot } from '../src/paths.js';
import { assetDirOf, type Synthesized, synthesize } from './support/synth.js';

/**
 * "The deployed handlers are the same modules that @baton/local runs": the CDK app and the local stack both
 * start from the service definition's `entry` strings, and both bundle with the same esbuild settings. The
 * proof compares, per function, the source files in the deployed bundle (esbuild's metafile) with the source
 * files in the bundle the local stack runs (its source map).
 */

/** The local stack module of the example app (not one of its package exports; loaded by path). */
interface LocalStackModule {
  startLocalStack(options: { logs?: 'quiet' }): Promise<{
    endpoints: { functions: Record<string, string> };
    lambda: { bundleDir: string; functionNames(): string[] };
    stop(): Promise<void>;
  }>;
}

let synth: Synthesized;
let local: Awaited<ReturnType<LocalStackModule['startLocalStack']>>;

beforeAll(async () => {
  synth = synthesize({ bundleMetafile: true });
  const module = (await import(
    pathToFileURL(join(exampleAppDir, 'src/local-stack.ts')).href
  )) as LocalStackModule;
  local = await module.startLocalStack({ logs: 'quiet' });
}, 120_000);

afterAll(async () => {
  await local?.stop();
  synth?.cleanup();
});

const inUse = functionsInUse(service);
/** Every function both sides run: the doors' and the worker, and the reconciler and failed-event handler. */
const everyFunction = [
  ...inUse.map((key) => ({ name: functionName(key, service), entry: service.functions[key].entry })),
  ...(['reconciler', 'failedEvents'] as const).map((key) => ({
    name: maintenanceFunctionName(key, service),
    entry: service.maintenance[key].entry,
  })),
];
const toRepoPath = (absolute: string) => relative(repositoryRoot, absolute).split('\\').join('/');

/**
 * The modules of a function's deployed bundle (esbuild's metafile): `graph` is every file esbuild resolved,
 * `code` the ones that put code into the bundle (re-export barrels and constants inlined by minify put none).
 */
function deployedModules(name: string): { graph: string[]; code: string[] } {
  const assetDir = assetDirOf(synth, name);
  const meta = JSON.parse(readFileSync(join(assetDir, 'index.meta.json'), 'utf8')) as {
    inputs: Record<string, unknown>;
    outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }>;
  };
  const [output] = Object.values(meta.outputs);
  // esbuild names inputs relative to its working directory, which NodejsFunction sets to the project root.
  const repoPaths = (paths: string[]) =>
    paths.map((path) => toRepoPath(resolve(repositoryRoot, path))).sort();
  return {
    graph: repoPaths(Object.keys(meta.inputs)),
    code: repoPaths(
      Object.entries(output?.inputs ?? {})
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    ),
  };
}

/** The repository files in the bundle the local Lambda service runs for a function (from its source map). */
function localSources(name: string): string[] {
  const mapFile = join(local.lambda.bundleDir, name, 'index.mjs.map');
  const map = JSON.parse(readFileSync(mapFile, 'utf8')) as { sources: string[] };
  return map.sources.map((source) => toRepoPath(resolve(dirname(mapFile), source))).sort();
}

describe('the deployed handlers are the modules the local stack runs', () => {
  it.each(inUse)(
    "%s: NodejsFunction's entry is the definition's entry, resolved against apps/example",
    (key) => {
      const deployed = synth.stack.functions.get(key);
      const expected = resolve(exampleAppDir, service.functions[key].entry);
      expect(deployed?.entryPath).toBe(expected);
      expect(existsSync(expected)).toBe(true);
      expect(toRepoPath(expected)).toBe(`apps/example/${service.functions[key].entry}`);
    },
  );

  it('the local stack runs the same functions under the same names', () => {
    const doors = inUse.map((key) => functionName(key, service));
    expect(Object.values(local.endpoints.functions).sort()).toEqual([...doors].sort());
    expect(local.lambda.functionNames().sort()).toEqual(everyFunction.map((fn) => fn.name).sort());
  });

  it.each(everyFunction)(
    '$name: the deployed bundle and the local bundle are built from the same source files',
    ({ name, entry }) => {
      const deployed = deployedModules(name);
      const running = localSources(name);
      expect(running).toContain(`apps/example/${entry}`);
      // Workspace packages come from their TypeScript sources in both (the '@baton/source' condition) …
      expect(deployed.code.some((path) => path.startsWith('packages/core/src/'))).toBe(true);
      // … and the AWS SDK is bundled from its ES module builds (mainFields and conditions name 'module').
      expect(deployed.code.some((path) => /@aws-sdk\/client-dynamodb\/dist-es\//.test(path))).toBe(true);
      // Every file the local service runs is in the deployed bundle's module graph, and every file that put code
      // into the deployed bundle is one the local service runs. (Only the minified deployed bundle can drop a
      // module whose constants it inlined, so the graph, not the code, is the upper bound.)
      expect(running.filter((path) => !deployed.graph.includes(path))).toEqual([]);
      expect(deployed.code.filter((path) => !running.includes(path))).toEqual([]);
      expect(deployed.code.length).toBeGreaterThan(100);
    },
  );
});
