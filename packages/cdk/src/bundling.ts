import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { LAMBDA_BUNDLE_OPTIONS } from '@baton/service';
import { type BundlingOptions, LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { version as esbuildVersion } from 'esbuild';

/**
 * How every handler is bundled for Lambda: the esbuild options of @baton/service (`LAMBDA_BUNDLE_OPTIONS`), the
 * ones `baton dev` bundles with too, so the modules that run on a laptop are the modules deployed. esbuild runs
 * on this machine (never Docker): NodejsFunction calls it through the project's package manager (`npx --no-install
 * esbuild`, `pnpm exec esbuild`, …) from the project's root, so esbuild must be installed in the project —
 * @baton/cdk depends on it, which puts it there for npm and yarn; with pnpm, add it to the project itself.
 */
export function lambdaBundling(options: { readonly metafile?: boolean } = {}): BundlingOptions {
  const shared = LAMBDA_BUNDLE_OPTIONS;
  if (shared.format !== 'esm') throw new Error('The shared Lambda bundle options are expected to build ESM.');
  return {
    format: OutputFormat.ESM,
    mainFields: [...shared.mainFields],
    // The shared banner gives the ESM bundle a real `require` for CommonJS dependencies.
    banner: shared.banner.js,
    // NodejsFunction has no `conditions` option; the CLI flag takes the same list. '@baton/source' bundles
    // Baton's workspace packages from their TypeScript sources, exactly as `baton dev` does.
    esbuildArgs: { '--conditions': shared.conditions.join(',') },
    // The AWS SDK goes into the bundle instead of coming from the runtime: a bundled SDK imports about twice
    // as fast on a cold start, and the deployed code is the code that was tested.
    bundleAwsSDK: true,
    externalModules: [],
    minify: true,
    // Errors name themselves after their class (`new.target.name` in @baton/core); minifying must keep names.
    keepNames: true,
    // A source map would only help with NODE_OPTIONS=--enable-source-maps, which makes every error's stack
    // expensive to format; kept names give readable enough traces.
    sourceMap: false,
    forceDockerBundling: false,
    // Should NodejsFunction find no esbuild to run here, it bundles in Docker instead: with the esbuild version
    // this package installs, so that bundle is the same as a local one.
    esbuildVersion,
    logLevel: LogLevel.WARNING,
    // For tests: esbuild's list of the modules in each bundle. Off for deploys: it would ship in the zip.
    metafile: options.metafile ?? false,
  };
}

/** The lock files NodejsFunction knows, in the order they are looked for in each folder. */
export const LOCK_FILES = [
  'package-lock.json',
  'pnpm-lock.yaml',
  'yarn.lock',
  'bun.lock',
  'bun.lockb',
] as const;

/**
 * The project a service's handlers are bundled from: the folder their entries are relative to, the lock file
 * (it tells NodejsFunction which package manager runs esbuild), and the project root NodejsFunction bundles
 * from — the lock file's folder, which every entry must be under.
 */
export interface BundlingProject {
  readonly projectDir: string;
  readonly depsLockFilePath: string;
  readonly projectRoot: string;
}

/**
 * Resolves a project: `depsLockFilePath` as given, or the first lock file found in `projectDir` or a folder
 * above it (a workspace's lock file is at its root, above the package holding the handlers).
 */
export function bundlingProject(
  options: { readonly projectDir?: string; readonly depsLockFilePath?: string } = {},
): BundlingProject {
  const projectDir = resolve(options.projectDir ?? process.cwd());
  const depsLockFilePath =
    options.depsLockFilePath === undefined
      ? findLockFile(projectDir)
      : resolve(projectDir, options.depsLockFilePath);
  if (!existsSync(depsLockFilePath)) {
    throw new Error(`depsLockFilePath: ${depsLockFilePath} does not exist.`);
  }
  return { projectDir, depsLockFilePath, projectRoot: dirname(depsLockFilePath) };
}

function findLockFile(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    for (const name of LOCK_FILES) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
    if (dirname(dir) === dir) break;
  }
  throw new Error(
    `No lock file (${LOCK_FILES.join(', ')}) in ${from} or any folder above it: NodejsFunction needs one to ` +
      'bundle the handlers. Install the dependencies of the project first, or set depsLockFilePath.',
  );
}

/** A definition's `entry` as an absolute path: relative entries are relative to the project's folder. */
export const entryPath = (entry: string, projectDir: string): string =>
  isAbsolute(entry) ? entry : resolve(projectDir, entry);
