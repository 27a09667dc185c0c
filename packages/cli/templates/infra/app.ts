/**
 * The CDK app: deploys the service in baton.config.ts — the same definition `baton dev` runs — as one stack
 * (BatonStack: a BatonService, the jobs table, the functions and their doors, the reconciler, alarms, with the
 * URLs as outputs), checked by cdk-nag's AwsSolutions pack on every synth: a finding nobody acknowledged makes
 * the synth fail. `npx cdk synth` works offline; `npx cdk deploy` needs AWS credentials (and `npx cdk bootstrap`
 * once per account and region). To add Baton to a stack of your own, use `new BatonService(stack, 'Service', …)`.
 */
import { fileURLToPath } from 'node:url';
import { BatonStack, withNagChecks } from '@baton/cdk';
import { App } from 'aws-cdk-lib';
import service from '../baton.config.js';

const app = withNagChecks(new App());

// `-c prefix=staging` deploys a second copy (staging-<name>-…) next to the first.
const prefix: unknown = app.node.tryGetContext('prefix');
const pascal = (text: string) => text.replace(/(^|-)(\w)/g, (_, _sep, c: string) => c.toUpperCase());

new BatonStack(app, pascal(typeof prefix === 'string' ? `${prefix}-${service.name}` : service.name), {
  description: `${service.name}: a Baton service (doors, worker, jobs table)`,
  definition: service,
  // The folder baton.config.ts's entries are relative to.
  projectDir: fileURLToPath(new URL('..', import.meta.url)),
  ...(typeof prefix === 'string' && { prefix }),
});
