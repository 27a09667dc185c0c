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
 * bundle has gone stale. Throws a BundleError, as `bundleFunction` does.
 *
 * Each stamp is taken just *before* esbuild reads the file (an `onLoad` hook that only stats), never after: a
 * file saved while the build runs then shows a stamp older than the file, and the next check rebuilds — a stamp
 * taken after the read could instead match content the bundle never saw, and that change would go unnoticed.
 *
 * The new bundle replaces the old one atomically (each output is written aside, then renamed over it): an
 * environment starting meanwhile loads the old bundle or the new one, never a half-written file.
 */
export async function bundleFunctionTracked(
  functionName: string,
  entryPath: string,
  outDir: string,
  options: {
    sourcemap?: boolean;
    /**
     * Reuse the bundle already in `outDir` when every input it was built from (dependencies included) still has
     * the stamp it had then, and the build options are the same: a restart with nothing changed starts no esbuild.
     */
    cache?: boolean;
  } = {},
): Promise<TrackedBundle> {
  if (!existsSync(entryPath))
    throw new BundleError(`Function "${functionName}": entry ${entryPath} does not exist`);
  const outfile = resolve(outDir, functionName, 'index.mjs');
  const absWorkingDir = process.cwd();
  const cacheFile = resolve(outDir, functionName, CACHE_FILE);
  const cacheKey = JSON.stringify([
    entryPath,
    options.sourcemap ?? true,
    esbuildVersion,
    LAMBDA_BUNDLE_OPTIONS,
  ]);
  if (options.cache) {
    const cached = readCache(cacheFile, cacheKey, outfile);
    if (cached !== undefined) return { file: outfile, sources: cached };
  }
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
      entryPoints: [entryPath],
      outfile,
      sourcemap: options.sourcemap ?? true,
      absWorkingDir,
      metafile: true,
      write: false,
      plugins: [stampBeforeRead],
    },
    functionName,
  );
  // The source map before the code: a new bundle never meets an old map.
  const outputs = [...(result.outputFiles ?? [])].sort(
    (a, b) => Number(a.path === outfile) - Number(b.path === outfile),
  );
  for (const output of outputs) {
    const aside = `${output.path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await writeFile(aside, output.contents);
      await rename(aside, output.path);
    } catch (error) {
      await rm(aside, { force: true });
      throw new BundleError(`Writing the bundle of ${functionName} failed: ${(error as Error).message}`);
    }
  }
  // The metafile names what the bundle is made of (paths relative to absWorkingDir; other namespaces as
  // `namespace:path`); the hook above has stamped each of them already.
  const sources = new Map<string, SourceStamp | undefined>();
  for (const input of Object.keys(result.metafile?.inputs ?? {})) {
    if (/^[a-z][\w-]+:/i.test(input)) continue;
    const path = resolve(absWorkingDir, input);
    if (!isSource(path)) continue;
    sources.set(path, stamped.has(path) ? stamped.get(path) : stampOf(path));
  }
  if (options.cache) await writeCache(cacheFile, cacheKey, result, absWorkingDir, stamped);
  return { file: outfile, sources };
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
  result: BuildResult,
  absWorkingDir: string,
  stamped: ReadonlyMap<string, SourceStamp | undefined>,
): Promise<void> {
  const inputs: CacheRecord['inputs'] = [];
  for (const input of Object.keys(result.metafile?.inputs ?? {})) {
    if (/^[a-z][\w-]+:/i.test(input)) continue;
    const path = resolve(absWorkingDir, input);
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
  if (options.cache) await writeCache(cacheFile, cacheKey, result, process.cwd(), new Map());
  return outfile;
}

/** Builds in progress in this process: esbuild's service is stopped when the last one ends. */
let buildsRunning = 0;

async function bundle(options: BuildOptions & { outfile: string }, what: string): Promise<BuildResult> {
  await mkdir(dirname(options.outfile), { recursive: true });
  buildsRunning += 1;
  try {
    return await build({ write: true, ...options, logLevel: 'silent' });
  } catch (error) {
    const details =
      (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors
        ?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
        .join('\n') ?? String(error);
    throw new BundleError(`Bundling ${what} failed:\n${details}`);
  } finally {
    // esbuild keeps its service process alive between builds, holding its caches (hundreds of MB after the AWS
    // SDK): nothing here builds again before a source changes, so it goes, and the next build starts a new one.
    buildsRunning -= 1;
    if (buildsRunning === 0) await stop();
  }
}
