import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withNagChecks } from '@baton/cdk';
import { App, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterEach, expect, it } from 'vitest';

let outdir: string | undefined;
afterEach(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

it('cdk-nag is attached the way the app attaches it: an unacknowledged finding fails synth', () => {
  outdir = mkdtempSync(join(tmpdir(), 'baton-nag-'));
  const app = withNagChecks(new App({ outdir }));
  const stack = new Stack(app, 'Naive');
  new iam.Role(stack, 'Role', {
    assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
  });
  expect(() => app.synth()).toThrow(/AwsSolutions-IAM4/);
  // The report the stack tests read is where the findings land.
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8'));
  expect(report.pluginReports).toEqual([
    expect.objectContaining({
      pluginName: 'AwsSolutions',
      conclusion: 'failure',
      violations: [expect.objectContaining({ ruleName: expect.stringMatching(/^AwsSolutions-IAM4\[/) })],
    }),
  ]);
});
