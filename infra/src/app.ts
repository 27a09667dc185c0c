import { BatonStack, type BatonStackProps, withNagChecks } from '@baton/cdk';
import { service } from '@baton/example/service';
import type { ServiceDefinition } from '@baton/service';
import { App, type AppProps } from 'aws-cdk-lib';
import { exampleAppDir } from './paths.js';

export interface ServiceAppOptions extends Omit<BatonStackProps, 'definition'> {
  readonly definition?: ServiceDefinition;
  readonly appProps?: AppProps;
}

/**
 * The example's CDK app: one stack holding the BatonService of the example's definition, checked by cdk-nag's
 * AwsSolutions pack on every synth (a finding that is not acknowledged, with its reason, makes `app.synth()`
 * throw). Everything else is in @baton/cdk.
 */
export function createServiceApp(options: ServiceAppOptions = {}) {
  const { definition = service, appProps, ...stackProps } = options;
  const app = withNagChecks(new App(appProps));
  const stack = new BatonStack(app, stackName(definition), {
    description: `${definition.name}: Baton example service (doors, worker, jobs table) — infra/`,
    projectDir: exampleAppDir,
    ...stackProps,
    definition,
  });
  return { app, stack, service: stack.service };
}

/** `baton-example` → `BatonExample`. */
export const stackName = (definition: ServiceDefinition) =>
  definition.name.replace(/(^|-)(\w)/g, (_, _sep, c: string) => c.toUpperCase());
