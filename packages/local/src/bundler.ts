import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAMBDA_BUNDLE_OPTIONS as SHARED_BUNDLE_OPTIONS } from '@baton/service';
import {
  type BuildOptions,
  type BuildResult,
  build,
  version as esbuildVersion,
  type Metafile,
  type Plugin,
  stop,
} from 'esbuild';

/**
 * Bundles handler modules the way a Lambda deployment does (one self-contained ESM file per function), because
 * Node 20 cannot run TypeScript and because running the bundle is the only way to find bundling problems
 * (a CommonJS dependency, a missing export condition) before they reach the cloud.
 */

/**
 * The options a Lambda deployment of a handler uses, from the service definition's package: the CDK constructs
 * hand the same ones to NodejsFunction. Checked here against esbuild's own type, since this is where they run.
 */
export const LAMBDA_BUNDLE_OPTIONS = {
  ...SHARED_BUNDLE_OPTIONS,
  mainFields: [...SHARED_BUNDLE_OPTIONS.mainFields],
  conditions: [...SHARED_BUNDLE_OPTIONS.conditions],
} satisfies BuildOptions;

export class BundleError extends Error {
  override readonly name = 'BundleError';
}

/** Bundles one function's entry into `<outDir>/<functionName>/index.mjs` and returns that path. */
export async function bundleFunction(
  functionName: string,
  entryPath: string,
  outDir: string,
  options: { sourcemap?: boolean } = {},
): Promise<string> {
  if (!existsSync(entryPath))
    throw new BundleError(`Function "${functionName}": entry ${entryPath} does not exist`);
  const outfile = join(outDir, functionName, 'index.mjs');
  await bundle(
    { ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [entryPath], outfile, sourcemap: options.sourcemap ?? true },
    functionName,
  );
  return outfile;
}

/** A source file as a bundle was built from it: its modification time and size. */
export interface SourceStamp {
  mtimeMs: number;
  size: number;
}

/** Source files by absolute path, each with its stamp (undefined: the file did not exist). */
export type SourceStamps = ReadonlyMap<string, SourceStamp | undefined>;

export interface TrackedBundle {
  /** `<outDir>/<functionName>/index.mjs` */
  file: string;
  /**
   * The bundle's inputs outside node_modules, each stamped as it was when esbuild read it. Dependencies are left
   * out on purpose: nobody edits node_modules under a running dev server (an install means a restart), and the
   * AWS SDK alone is hundreds of files that every check would stat for nothing.
   */
  sources: SourceStamps;
}

/**
 * `bundleFunction` for a service that reloads functions when their sources change (`reloadOnChange`): it also
 * answers which source files the bundle was built from, stamped so that `sourcesChanged` can tell when the
 * bundle has gone stale. Throws a BundleError, as `bundleFunction` does. `bundleFunctionsTracked` for one.
 */
export async function bundleFunctionTracked(
  functionName: string,
  entryPath: string,
  outDir: string,
  options: TrackedBundleOptions = {},
): Promise<TrackedBundle> {
  const [bundle] = await bundleFunctionsTracked([{ name: functionName, entryPath }], outDir, options);
  return bundle as TrackedBundle;
}

/** A function to bundle: its name (the folder of its bundle) and its entry module. */
export interface FunctionEntry {
  name: string;
  entryPath: string;
}

export interface TrackedBundleOptions {
  sourcemap?: boolean;
  /**
   * Reuse the bundle already in `outDir` when every input it was built from (dependencies included) still has
   * the stamp it had then, and the build options are the same: a restart with nothing changed starts no esbuild.
   */
  cache?: boolean;
}

/**
 * Bundles several functions, each into `<outDir>/<name>/index.mjs`, and answers for each (in the order given)
 * what `bundleFunctionTracked` answers. The functions that need building (all of them, or the cache misses) are
 * built in ONE esbuild build with an entry point each: esbuild then reads and parses the modules they share (the
 * AWS SDK, mostly) once, not once a function. There is no code splitting: each function still gets one
 * self-contained bundle and its source map, the same bytes a build of that function alone writes.
 *
 * When that build fails, esbuild fails it whole, and its errors do not say which entry they came from: the
 * functions are then built one by one, so that the others still get their bundles (and cache records) and the
 * BundleError thrown — the first broken function's, in the order given — names that function.
 *
 * Each stamp is taken just *before* esbuild reads the file (an `onLoad` hook that only stats), never after: a
 * file saved while the build runs then shows a stamp older than the file, and the next check rebuilds — a stamp
 * taken after the read could instead match content the bundle never saw, and that change would go unnoticed.
 *
 * Each new bundle replaces the old one atomically (each output is written aside, then renamed over it): an
 * environment starting meanwhile loads the old bundle or the new one, never a half-written file.
 */
export async function bundleFunctionsTracked(
  functions: readonly FunctionEntry[],
  outDir: string,
  options: TrackedBundleOptions = {},
): Promise<TrackedBundle[]> {
  const sourcemap = options.sourcemap ?? true;
  const plans = functions.map(({ name, entryPath }): BuildPlan => {
    if (!existsSync(entryPath))
      throw new BundleError(`Function "${name}": entry ${entryPath} does not exist`);
    return {
      name,
      entryPath,
      outfile: resolve(outDir, name, 'index.mjs'),
      cacheFile: resolve(outDir, name, CACHE_FILE),
      cacheKey: JSON.stringify([entryPath, sourcemap, esbuildVersion, LAMBDA_BUNDLE_OPTIONS]),
    };
  });
  const bundles: Array<TrackedBundle | undefined> = plans.map((plan) => {
    if (!options.cache) return undefined;
    const cached = readCache(plan.cacheFile, plan.cacheKey, plan.outfile);
    return cached === undefined ? undefined : { file: plan.outfile, sources: cached };
  });
  const misses = plans.filter((_, index) => bundles[index] === undefined);
  if (misses.length > 0) {
    // One esbuild service for the builds below, the fallback's included: stopped once they are all done.
    const built = await withEsbuild(async () => {
      if (misses.length === 1) return buildTracked(misses, outDir, options);
      try {
        return await buildTracked(misses, outDir, options);
      } catch (error) {
        if (!(error instanceof BuildFailed)) throw error;
        const oneByOne = await Promise.allSettled(
          misses.map((plan) => buildTracked([plan], outDir, options)),
        );
        const failed = oneByOne.find((outcome) => outcome.status === 'rejected');
        if (failed) throw failed.reason;
        // Every function built alone (a failure of the whole build that none of them has: rare, but possible).
        return oneByOne.flatMap((outcome) => (outcome.status === 'fulfilled' ? outcome.value : []));
      }
    });
    for (const [index, plan] of misses.entries()) bundles[plans.indexOf(plan)] = built[index];
  }
  return bundles as TrackedBundle[];
}

interface BuildPlan extends FunctionEntry {
  /** Absolute: `<outDir>/<name>/index.mjs`. */
  outfile: string;
  cacheFile: string;
  cacheKey: string;
}

/** Builds the planned functions in one esbuild build; their bundles in the order of `plans`. */
async function buildTracked(
  plans: readonly BuildPlan[],
  outDir: string,
  options: TrackedBundleOptions,
): Promise<TrackedBundle[]> {
  const absWorkingDir = process.cwd();
  const stamped = new Map<string, SourceStamp | undefined>();
  const stampBeforeRead: Plugin = {
    name: 'baton-stamp-sources',
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: 'file' }, async ({ path }) => {
        // Every input is stamped (the bundle cache checks dependencies too); only sources are watched.
        stamped.set(path, stampOf(path));
        return undefined; // esbuild loads the file itself, after this
      });
    },
  };
  const result = await bundle(
    {
      ...LAMBDA_BUNDLE_OPTIONS,
      // `<name>/index` → `<outDir>/<name>/index.mjs`, as `outfile` would name it.
      entryPoints: Object.fromEntries(plans.map((plan) => [`${plan.name}/index`, plan.entryPath])),
      outdir: resolve(outDir),
      outExtension: { '.js': '.mjs' },
      sourcemap: options.sourcemap ?? true,
      absWorkingDir,
      metafile: true,
      write: false,
    },
    plans.map((plan) => plan.name).join(', '),
    [stampBeforeRead],
  );
  const metafile = result.metafile as Metafile;
  const bundles: TrackedBundle[] = [];
  for (const plan of plans) {
    await mkdir(dirname(plan.outfile), { recursive: true });
    // The source map before the code: a new bundle never meets an old map.
    const outputs = (result.outputFiles ?? [])
      .filter((output) => output.path === plan.outfile || output.path === `${plan.outfile}.map`)
      .sort((a, b) => Number(a.path === plan.outfile) - Number(b.path === plan.outfile));
    for (const output of outputs) {
      const aside = `${output.path}.${randomBytes(6).toString('hex')}.tmp`;
      try {
        await writeFile(aside, output.contents);
        await rename(aside, output.path);
      } catch (error) {
        await rm(aside, { force: true });
        throw new BundleError(`Writing the bundle of ${plan.name} failed: ${(error as Error).message}`);
      }
    }
    // What this function's bundle is made of: every input reachable from its entry through the imports the
    // metafile records (paths relative to absWorkingDir; other namespaces as `namespace:path`), which is what a
    // build of this function alone would have read. The hook above has stamped each of them already.
    const inputs = inputsOf(metafile, plan.outfile, absWorkingDir);
    const sources = new Map<string, SourceStamp | undefined>();
    for (const path of inputs) {
      if (!isSource(path)) continue;
      sources.set(path, stamped.has(path) ? stamped.get(path) : stampOf(path));
    }
    // No inputs found (never: the entry is one) would make a record that never goes stale: none is written.
    if (options.cache && inputs.length > 0) await writeCache(plan.cacheFile, plan.cacheKey, inputs, stamped);
    bundles.push({ file: plan.outfile, sources });
  }
  return bundles;
}

/**
 * The inputs (absolute paths, files only) of the output `outfile` of a build: those reachable from its entry
 * point through the imports the metafile records. Not the output's own `inputs`, which list only the modules
 * that left code in it: a module tree-shaken away (say, one that only exports types) would go unwatched there.
 */
function inputsOf(metafile: Metafile, outfile: string, absWorkingDir: string): string[] {
  const output = Object.entries(metafile.outputs).find(
    ([path]) => resolve(absWorkingDir, path) === outfile,
  )?.[1];
  const reached = new Set<string>();
  const pending = output?.entryPoint === undefined ? [] : [output.entryPoint];
  for (let input = pending.pop(); input !== undefined; input = pending.pop()) {
    if (reached.has(input)) continue;
    reached.add(input);
    for (const imported of metafile.inputs[input]?.imports ?? [])
      if (!imported.external && !reached.has(imported.path)) pending.push(imported.path);
  }
  return [...reached]
    .filter((input) => !/^[a-z][\w-]+:/i.test(input) && metafile.inputs[input] !== undefined)
    .map((input) => resolve(absWorkingDir, input));
}

/** Beside each cached bundle: what it was built from, so a restart can tell whether it is still good. */
const CACHE_FILE = 'bundle-cache.json';

interface CacheRecord {
  key: string;
  /** Every input of the bundle (dependencies too): [absolute path, mtimeMs, size]. */
  inputs: Array<[string, number, number]>;
}

/** The sources of a cached bundle that is still good, else undefined. One synchronous stat per input. */
function readCache(cacheFile: string, key: string, outfile: string): SourceStamps | undefined {
  let record: CacheRecord;
  try {
    record = JSON.parse(readFileSync(cacheFile, 'utf8')) as CacheRecord;
  } catch {
    return undefined;
  }
  if (record.key !== key || !existsSync(outfile)) return undefined;
  const sources = new Map<string, SourceStamp | undefined>();
  for (const [path, mtimeMs, size] of record.inputs) {
    const now = stampOf(path);
    if (now === undefined || now.mtimeMs !== mtimeMs || now.size !== size) return undefined;
    if (isSource(path)) sources.set(path, now);
  }
  return sources;
}

async function writeCache(
  cacheFile: string,
  key: string,
  inputPaths: readonly string[],
  stamped: ReadonlyMap<string, SourceStamp | undefined>,
): Promise<void> {
  const inputs: CacheRecord['inputs'] = [];
  for (const path of inputPaths) {
    // A source's stamp from before esbuild read it: a save during the build makes the cache stale, not wrong.
    const stamp = stamped.get(path) ?? stampOf(path);
    if (stamp === undefined) return; // an input gone already: nothing worth caching
    inputs.push([path, stamp.mtimeMs, stamp.size]);
  }
  const record: CacheRecord = { key, inputs };
  const aside = `${cacheFile}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(aside, JSON.stringify(record));
    await rename(aside, cacheFile);
  } catch {
    await rm(aside, { force: true });
  }
}

/**
 * Whether any source differs from its stamp now (changed, created or gone): one synchronous stat per file, in
 * the order of the map, stopping at the first difference. Synchronous on purpose: for the few dozen files of a
 * function, `statSync` costs a fraction of what as many `stat` promises cost (the thread pool round trips,
 * measured in docs/decisions/0010-a-lean-local-stack.md), and a synchronous check cannot interleave with a build.
 */
export function sourcesChanged(sources: SourceStamps): boolean {
  for (const [path, stamp] of sources) if (!sameStamp(stamp, stampOf(path))) return true;
  return false;
}

/** The sources of `after` that `before` lacks or stamps differently (what a rebuild picked up). */
export function changedSources(before: SourceStamps, after: SourceStamps): string[] {
  return [...after]
    .filter(([path, stamp]) => !before.has(path) || !sameStamp(before.get(path), stamp))
    .map(([path]) => path);
}

function isSource(path: string): boolean {
  return !path.split(sep).includes('node_modules');
}

function stampOf(path: string): SourceStamp | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats === undefined ? undefined : { mtimeMs: stats.mtimeMs, size: stats.size };
}

function sameStamp(a: SourceStamp | undefined, b: SourceStamp | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.mtimeMs === b.mtimeMs && a.size === b.size;
}

/**
 * Bundles the environment runtime (see environment-runtime.ts). It sits next to this module: TypeScript when
 * run from source (tests), JavaScript once built; esbuild takes either.
 */
export async function bundleEnvironmentRuntime(
  outDir: string,
  options: { cache?: boolean } = {},
): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  const entryPath = join(dirname(here), `environment-runtime${extname(here)}`);
  const outfile = resolve(outDir, '.runtime', 'environment-runtime.mjs');
  const cacheFile = resolve(outDir, '.runtime', CACHE_FILE);
  const cacheKey = JSON.stringify([entryPath, esbuildVersion]);
  if (options.cache && readCache(cacheFile, cacheKey, outfile) !== undefined) return outfile;
  const result = await bundle(
    {
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      entryPoints: [entryPath],
      outfile,
      absWorkingDir: process.cwd(),
      metafile: options.cache ?? false,
      // Only types come from aws-lambda; nothing else should be pulled in, and nothing must be.
      packages: 'external',
    },
    'environment runtime',
  );
  if (options.cache) {
    const inputs = Object.keys(result.metafile?.inputs ?? {})
      .filter((input) => !/^[a-z][\w-]+:/i.test(input))
      .map((input) => resolve(process.cwd(), input));
    await writeCache(cacheFile, cacheKey, inputs, new Map());
  }
  return outfile;
}

/** Builds in progress in this process: esbuild's service is stopped when the last one ends. */
let buildsRunning = 0;

/**
 * Runs `work` (builds) with esbuild's service kept: it is stopped once no build of this process is running.
 * esbuild keeps its service process alive between builds, holding its caches (hundreds of MB after the AWS SDK):
 * nothing here builds again before a source changes, so it goes, and the next build starts a new one.
 */
async function withEsbuild<T>(work: () => Promise<T>): Promise<T> {
  buildsRunning += 1;
  try {
    return await work();
  } finally {
    buildsRunning -= 1;
    if (buildsRunning === 0) await stop();
  }
}

/** esbuild's failure of a build (not of writing its outputs): `what` names what was being built. */
class BuildFailed extends BundleError {}

async function bundle(options: BuildOptions, what: string, plugins: Plugin[] = []): Promise<BuildResult> {
  if (options.outfile !== undefined) await mkdir(dirname(options.outfile), { recursive: true });
  return withEsbuild(async () => {
    try {
      return await build({ write: true, ...options, plugins, logLevel: 'silent' });
    } catch (error) {
      const details =
        (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors
          ?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
          .join('\n') ?? String(error);
      throw new BuildFailed(`Bundling ${what} failed:\n${details}`);
    }
  });
}
