// Deploys baton.config.ts with the same constructs as any Baton service; `pnpm synth` runs it offline.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatonStack, withNagChecks } from '@baton/cdk';
import { App } from 'aws-cdk-lib';
import service from '../baton.config.js';

export const projectDir = fileURLToPath(new URL('..', import.meta.url));

export function createApp(props: { outdir?: string } = {}) {
  const app = withNagChecks(new App(props));
  const stack = new BatonStack(app, 'KeyStretch', { definition: service, projectDir });
  return { app, stack };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { directory } = createApp({ outdir: join(projectDir, 'cdk.out') }).app.synth();
  console.log(`Synthesized to ${directory}; cdk-nag found nothing.`);
}
