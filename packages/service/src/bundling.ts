/**
 * How a handler module becomes a Lambda bundle: one self-contained ESM file, built by esbuild. The local runner
 * bundles with these options and the CDK constructs hand them to NodejsFunction, so the modules that run on a
 * laptop are the modules deployed. Plain data: whoever bundles owns esbuild.
 */

/**
 * esbuild's ESM output turns `require()` of a CommonJS dependency into a shim that throws without a real
 * `require` in scope. The alias keeps the banner from colliding with a `createRequire` the bundle declares.
 */
export const CREATE_REQUIRE_BANNER =
  "import { createRequire as __batonCreateRequire } from 'node:module';\n" +
  'const require = __batonCreateRequire(import.meta.url);';

export const LAMBDA_BUNDLE_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // The default mainFields pick the AWS SDK's CommonJS builds, which fail in an ESM bundle.
  mainFields: ['module', 'main'],
  // Baton's workspace packages export their TypeScript sources under '@baton/source' (installed packages have
  // no such export and resolve to their built files). Naming any condition drops esbuild's implicit 'module'
  // one, and then the AWS SDK's `exports` resolve to its CommonJS builds through 'node' (which work only thanks
  // to the banner, and weigh ~20% more): so 'module' is named too.
  conditions: ['@baton/source', 'module'],
  banner: { js: CREATE_REQUIRE_BANNER },
} as const;
