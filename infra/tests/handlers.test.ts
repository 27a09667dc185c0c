import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { service } from '@baton/example/service';
import { functionName, functionsInUse, LAMBDA_BUNDLE_OPTIONS, maintenanceFunctionName } from '@baton/service';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppDir, repositoryRoot } from '../src/paths.js';
import { assetDirOf, deployedFunction, resourcesOf, type Synthesized, synthesize } from './support/synth.js';

/**
 * "The deployed handlers are the modules `baton dev` runs": the CDK app (BatonService of @baton/cdk) and the
 * local runner both start from the service definition's `entry` strings, and both bundle with the esbuild
 * options of @baton/service (`LAMBDA_BUNDLE_OPTIONS`). The proof compares, per function, the source files in
 * the deployed bundle (esbuild's metafile, written by NodejsFunction) with those of the bundle esbuild builds
 * here from the same entry with those shared options alone — what the local runner builds.
 */

let synth: Synthesized;
/** Per function name: the modules of the bundle built here with the shared options. */
const reference = new Map<string, Modules>();

const inUse = functionsInUse(service);
/** Every function both sides run: the doors' and the worker, and the reconciler and failed-event handler. */
const everyFunction = [
  ...inUse.map((key) => ({ name: functionName(service, key), entry: service.functions[key].entry })),
  ...(['reconciler', 'failedEvents'] as const).map((key) => ({
    name: maintenanceFunctionName(service, key),
    entry: service.maintenance[key].entry,
  })),
];

beforeAll(async () => {
  synth = synthesize({ bundleMetafile: true });
  for (const { name, entry } of everyFunction) {
    const result = await build({
      ...LAMBDA_BUNDLE_OPTIONS,
      mainFields: [...LAMBDA_BUNDLE_OPTIONS.mainFields],
      conditions: [...LAMBDA_BUNDLE_OPTIONS.conditions],
      entryPoints: [resolve(exampleAppDir, entry)],
      outfile: join('reference', name, 'index.mjs'),
      absWorkingDir: repositoryRoot,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    reference.set(name, modulesOf(result.metafile, repositoryRoot));
  }
}, 120_000);

afterAll(() => synth?.cleanup());

interface Modules {
  /** Every file esbuild resolved. */
  readonly graph: string[];
  /** The files that put code into the bundle (re-export barrels and constants inlined by minify put none). */
  readonly code: string[];
}

const toRepoPath = (absolute: string) => relative(repositoryRoot, absolute).split('\\').join('/');

/** A metafile's modules as repository paths; esbuild names inputs relative to its working directory. */
function modulesOf(meta: Metafile, workingDir: string): Modules {
  const [output] = Object.values(meta.outputs);
  const repoPaths = (paths: string[]) => paths.map((path) => toRepoPath(resolve(workingDir, path))).sort();
  return {
    graph: repoPaths(Object.keys(meta.inputs)),
    code: repoPaths(
      Object.entries(output?.inputs ?? {})
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([path]) => path),
    ),
  };
}

/** The modules of a function's deployed bundle. NodejsFunction runs esbuild in the project root (the repository). */
function deployedModules(name: string): Modules {
  const meta = JSON.parse(readFileSync(join(assetDirOf(synth, name), 'index.meta.json'), 'utf8')) as Metafile;
  return modulesOf(meta, repositoryRoot);
}

describe('the deployed handlers are the modules the local runner runs', () => {
  it.each(inUse)(
    "%s: NodejsFunction's entry is the definition's entry, resolved against apps/example",
    (key) => {
      const deployed = deployedFunction(synth.service, key);
      const expected = resolve(exampleAppDir, service.functions[key].entry);
      expect(deployed.entryPath).toBe(expected);
      expect(existsSync(expected)).toBe(true);
      expect(toRepoPath(expected)).toBe(`apps/example/${service.functions[key].entry}`);
    },
  );

  it('deploys the same functions under the names the local runner gives them (@baton/service)', () => {
    const names = resourcesOf(synth.template, 'AWS::Lambda::Function').map(
      ([, fn]) => fn.Properties.FunctionName as string,
    );
    expect(names.sort()).toEqual(everyFunction.map((fn) => fn.name).sort());
  });

  it.each(everyFunction)(
    '$name: the deployed bundle and the bundle of the shared options are built from the same source files',
    ({ name, entry }) => {
      const deployed = deployedModules(name);
      const running = reference.get(name)?.code ?? [];
      expect(running).toContain(`apps/example/${entry}`);
      // Workspace packages come from their TypeScript sources in both (the '@baton/source' condition) …
      expect(deployed.code.some((path) => path.startsWith('packages/core/src/'))).toBe(true);
      // … and the AWS SDK is bundled from its ES module builds (mainFields and conditions name 'module').
      expect(deployed.code.some((path) => /@aws-sdk\/client-dynamodb\/dist-es\//.test(path))).toBe(true);
      // Every file the local bundle runs is in the deployed bundle's module graph, and every file that put code
      // into the deployed bundle is one the local bundle runs. (Only the minified deployed bundle can drop a
      // module whose constants it inlined, so the graph, not the code, is the upper bound.)
      expect(running.filter((path) => !deployed.graph.includes(path))).toEqual([]);
      expect(deployed.code.filter((path) => !running.includes(path))).toEqual([]);
      expect(deployed.code.length).toBeGreaterThan(100);
      // Both resolved exactly the same modules.
      expect(deployed.graph).toEqual(reference.get(name)?.graph);
    },
  );
});
