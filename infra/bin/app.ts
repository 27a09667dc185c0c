/**
 * The CDK app's entry. `pnpm synth` runs it directly (no CDK CLI needed) and writes infra/cdk.out; the CDK CLI
 * runs it through cdk.json for bootstrap, diff and deploy (docs/deploy.md), passing its own output folder.
 */
import { delimiter, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServiceApp } from '../src/app.js';
import { repositoryRoot } from '../src/paths.js';

const started = performance.now();
const infraDir = fileURLToPath(new URL('..', import.meta.url));

// NodejsFunction sees the pnpm lockfile and bundles with `pnpm exec esbuild`, so `pnpm` must be on PATH however
// this is started (the CDK CLI through npx does not put it there): the root's pnpm devDependency provides it,
// and this package's own esbuild is the fallback.
process.env.PATH = [
  join(repositoryRoot, 'node_modules', '.bin'),
  join(infraDir, 'node_modules', '.bin'),
  process.env.PATH,
].join(delimiter);

const { app, stack } = createServiceApp({
  // The CLI sets CDK_OUTDIR; run directly, the assembly goes to infra/cdk.out.
  appProps: process.env.CDK_OUTDIR === undefined ? { outdir: join(infraDir, 'cdk.out') } : {},
});

const assembly = app.synth();
if (process.env.CDK_OUTDIR === undefined) {
  const ms = Math.round(performance.now() - started);
  const where = relative(process.cwd(), assembly.directory) || '.';
  console.log(
    `Synthesized ${stack.stackName} to ${where} in ${ms} ms; cdk-nag (AwsSolutions) found nothing.`,
  );
}
