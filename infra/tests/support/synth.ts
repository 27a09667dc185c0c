import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BatonService } from '@baton/cdk';
import type { MaintenanceKey } from '@baton/service';
import { type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createServiceApp, type ServiceAppOptions } from '../../src/app.js';

export type Synthesized = ReturnType<typeof synthesize>;

/**
 * Synthesizes the app as `pnpm synth` does — cdk-nag attached, so `app.synth()` throws on any finding that is
 * not acknowledged — into a temporary folder. `Template.fromStack` then reads the same assembly, and throws
 * "Template is undeployable" if the stack has a dependency cycle.
 */
export function synthesize(options: Omit<ServiceAppOptions, 'appProps'> & { bundle?: boolean } = {}) {
  const { bundle = true, ...appOptions } = options;
  const outdir = mkdtempSync(join(tmpdir(), 'baton-infra-'));
  // `bundle: false` skips NodejsFunction's esbuild runs (CDK's `aws:cdk:bundling-stacks`, as `cdk synth
  // --exclusively` uses): the template is the same, the assets are placeholders. For a test that reads the
  // template only; the bundles themselves are checked on the synth of the example as it is (stack.test.ts).
  const context = bundle ? {} : { 'aws:cdk:bundling-stacks': [] };
  const { app, stack, service } = createServiceApp({ ...appOptions, appProps: { outdir, context } });
  const assembly = app.synth();
  const template = Template.fromStack(stack);
  return {
    app,
    stack,
    service,
    assembly,
    template,
    outdir,
    cleanup: () => rmSync(outdir, { recursive: true, force: true }),
  };
}

/** What BatonService built for a function in use: the function and its role, logs and failure rules. */
export function deployedFunction(service: BatonService, key: string) {
  const fn = defined(service.functions.get(key), `function ${key}`);
  const rules = defined(service.failureDestination.rulesFor(fn), `the failure rules of ${key}`);
  return {
    key,
    name: fn.functionName,
    entryPath: fn.entryPath,
    function: fn.function,
    role: fn.role,
    logGroup: fn.logGroup,
    tracingPolicy: fn.tracingPolicy,
    failureRule: rules.failureRule,
    replayRule: rules.replayRule,
  };
}

/** What BatonService built for a maintenance function, with what invokes it (schedule or failure-bus rule). */
export function maintenanceFunction(service: BatonService, key: MaintenanceKey) {
  const [fn, trigger] =
    key === 'reconciler'
      ? [service.reconciler.handler, service.reconciler.schedule]
      : [service.failureDestination.handler, service.failureDestination.handlerRule];
  return {
    key,
    name: fn.functionName,
    entryPath: fn.entryPath,
    function: fn.function,
    role: fn.role,
    logGroup: fn.logGroup,
    trigger,
  };
}

/** The value, or a failed test naming what was missing. */
export function defined<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`${what} is missing`);
  return value;
}

export const logicalId = (construct: IConstruct): string => {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
};

// biome-ignore lint/suspicious/noExplicitAny: template JSON is probed in assertions, not used as a type.
export type Probe = any;

export interface Resource {
  readonly Type: string;
  readonly Properties: Probe;
  readonly Metadata?: Probe;
  readonly DependsOn?: string[];
}

export function resourcesOf(template: Template, type: string): [string, Resource][] {
  return Object.entries(template.findResources(type) as Record<string, Resource>);
}

/** The folder of a function's staged asset (the bundle), found by its deployed name. */
export function assetDirOf(synth: { template: Template; outdir: string }, name: string): string {
  const found = resourcesOf(synth.template, 'AWS::Lambda::Function').find(
    ([, fn]) => fn.Properties.FunctionName === name,
  );
  if (!found) throw new Error(`No function ${name} in the template`);
  const s3Key = String(found[1].Properties.Code.S3Key);
  return join(synth.outdir, `asset.${s3Key.replace(/\.zip$/, '')}`);
}

/**
 * A template value as text, with intrinsics written out so tests can compare ARNs: pseudo parameters become a
 * fixed partition, region and account, `Ref` of a resource `<Id>`, `Fn::GetAtt` `<Id.Attr>`.
 */
export function render(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(render).join(',');
  if (value && typeof value === 'object') {
    const intrinsic = value as Record<string, unknown>;
    if ('Ref' in intrinsic) {
      const pseudo: Record<string, string> = {
        'AWS::Partition': 'aws',
        'AWS::Region': 'us-east-1',
        'AWS::AccountId': '123456789012',
      };
      return pseudo[intrinsic.Ref as string] ?? `<${String(intrinsic.Ref)}>`;
    }
    if ('Fn::GetAtt' in intrinsic) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Fn::Join' in intrinsic) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(render).join(separator);
    }
  }
  return JSON.stringify(value);
}

export const functionArnOf = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

export const actionsOf = (statement: Statement) =>
  (Array.isArray(statement.Action) ? statement.Action : [statement.Action]).slice().sort();

export const resourcesOfStatement = (statement: Statement) =>
  (Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource]).map(render);

/** Every statement of every IAM policy attached to the role with this logical id. */
export function statementsOfRole(template: Template, roleId: string): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, policy]) =>
      (policy.Properties.Roles as unknown[]).some((role) => render(role) === `<${roleId}>`),
    )
    .flatMap(([, policy]) => policy.Properties.PolicyDocument.Statement as Statement[]);
}
