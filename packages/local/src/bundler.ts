import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, build } from 'esbuild';

/**
 * Bundles handler modules the way a Lambda deployment does (one self-contained ESM file per function), because
 * Node 20 cannot run TypeScript and because running the bundle is the only way to find bundling problems
 * (a CommonJS dependency, a missing export condition) before they reach the cloud.
 */

/**
 * esbuild's ESM output turns `require()` of a CommonJS dependency into a shim that throws without a real
 * `require` in scope. The alias keeps the banner from colliding with a `createRequire` the bundle declares.
 */
const CREATE_REQUIRE_BANNER =
  "import { createRequire as __batonCreateRequire } from 'node:module';\n" +
  'const require = __batonCreateRequire(import.meta.url);';

/** The options a Lambda deployment of a workspace handler uses; exported so the cloud stack can share them. */
export const LAMBDA_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The default mainFields pick the AWS SDK's CommonJS builds, which fail in an ESM bundle.
  mainFields: ['module', 'main'],
  // Workspace packages export their TypeScript sources under '@baton/source'. Naming any condition drops
  // esbuild's implicit 'module' one, and then the AWS SDK's `exports` resolve to its CommonJS builds through
  // 'node' (which work only thanks to the banner below, and weigh ~20% more): so 'module' is named too.
  conditions: ['@baton/source', 'module'],
  banner: { js: CREATE_REQUIRE_BANNER },
} as const satisfies BuildOptions;

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

/**
 * Bundles the environment runtime (see environment-runtime.ts). It sits next to this module: TypeScript when
 * run from source (tests), JavaScript once built; esbuild takes either.
 */
export async function bundleEnvironmentRuntime(outDir: string): Promise<string> {
  const here = fileURLToPath(import.meta.url);
  const entryPath = join(dirname(here), `environment-runtime${extname(here)}`);
  const outfile = join(outDir, '.runtime', 'environment-runtime.mjs');
  await bundle(
    {
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      entryPoints: [entryPath],
      outfile,
      // Only types come from aws-lambda; nothing else should be pulled in, and nothing must be.
      packages: 'external',
    },
    'environment runtime',
  );
  return outfile;
}

async function bundle(options: BuildOptions & { outfile: string }, what: string): Promise<void> {
  await mkdir(dirname(options.outfile), { recursive: true });
  try {
    await build({ ...options, write: true, logLevel: 'silent' });
  } catch (error) {
    const details =
      (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors
        ?.map((e) => (e.location ? `${e.location.file}:${e.location.line}: ${e.text}` : e.text))
        .join('\n') ?? String(error);
    throw new BundleError(`Bundling ${what} failed:\n${details}`);
  }
}
