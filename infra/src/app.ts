import { type ServiceDefinition, service } from '@baton/example/service-definition';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceStack, type ServiceStackProps } from './service-stack.js';

export interface ServiceAppOptions extends Omit<ServiceStackProps, 'definition'> {
  readonly definition?: ServiceDefinition;
  readonly appProps?: AppProps;
}

/**
 * The CDK app: one stack per service definition, checked by cdk-nag's AwsSolutions pack on every synth. A
 * finding that is not acknowledged (with its reason, next to the resource) makes `app.synth()` throw.
 */
export function createServiceApp(options: ServiceAppOptions = {}) {
  const { definition = service, appProps, ...stackProps } = options;
  const app = withNagChecks(new App(appProps));
  const stack = new ServiceStack(app, stackName(definition), {
    description: `${definition.name}: Baton example service (doors, worker, jobs table) — infra/`,
    ...stackProps,
    definition,
  });
  return { app, stack };
}

/**
 * cdk-nag 3 is a policy-validation plugin (`Aspects.of(app).add(...)` throws in this version). The acknowledged
 * rules are also written into the template's metadata (`cdk_nag.rules_to_suppress`), so a reviewer reading the
 * template sees each one with its reason.
 */
export function withNagChecks(app: App): App {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  return app;
}

/** `baton-example` → `BatonExample`. */
export const stackName = (definition: ServiceDefinition) =>
  definition.name.replace(/(^|-)(\w)/g, (_, _sep, c: string) => c.toUpperCase());
