import { LAMBDA_BUNDLE_OPTIONS } from '@baton/local';
import { type BundlingOptions, LogLevel, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';

/**
 * How every handler is bundled for Lambda: the local Lambda service's own esbuild options
 * (`LAMBDA_BUNDLE_OPTIONS` in @baton/local), so the modules that run on a laptop are the modules deployed.
 * esbuild runs locally (never Docker): NodejsFunction calls `pnpm exec esbuild` from the repository root.
 */
export function lambdaBundling(options: { metafile?: boolean } = {}): BundlingOptions {
  const shared = LAMBDA_BUNDLE_OPTIONS;
  if (shared.format !== 'esm') throw new Error('The shared Lambda bundle options are expected to build ESM.');
  return {
    format: OutputFormat.ESM,
    mainFields: [...shared.mainFields],
    // The shared banner gives the ESM bundle a real `require` for CommonJS dependencies.
    banner: shared.banner.js,
    // NodejsFunction has no `conditions` option; the CLI flag takes the same list. '@baton/source' bundles the
    // workspace packages from their TypeScript sources, exactly as the local service does.
    esbuildArgs: { '--conditions': shared.conditions.join(',') },
    // The AWS SDK goes into the bundle instead of coming from the runtime: a bundled SDK imports about twice
    // as fast on a cold start (toolchain.md), and the deployed code is the code that was tested.
    bundleAwsSDK: true,
    externalModules: [],
    minify: true,
    // Errors name themselves after their class (`new.target.name` in @baton/core); minifying must keep names.
    keepNames: true,
    // A source map would only help with NODE_OPTIONS=--enable-source-maps, which makes every error's stack
    // expensive to format; kept names give readable enough traces.
    sourceMap: false,
    forceDockerBundling: false,
    logLevel: LogLevel.WARNING,
    // For tests: esbuild's list of the modules in each bundle, compared with what the local service bundles.
    // Off for deploys, because it would ship inside the function's zip.
    metafile: options.metafile ?? false,
  };
}
