import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * Checks every stack of the app with cdk-nag's AwsSolutions pack on synth: a finding nobody acknowledged (with
 * its reason, next to the resource) makes `app.synth()` throw, and lands in `<outdir>/validation-report.json`.
 * cdk-nag 3 is a policy-validation plugin (`Aspects.of(app).add(...)` throws in this version). The acknowledged
 * rules are also written into the template's metadata (`cdk_nag.rules_to_suppress`), so a reviewer reading the
 * template sees each one with its reason. Returns the app.
 */
export function withNagChecks<T extends App>(app: T): T {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  return app;
}
