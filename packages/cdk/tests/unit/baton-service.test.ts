import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobsTable } from '@baton/dynamodb';
import { defineService, doorParameterName, type ServiceDefinition } from '@baton/service';
import { App, type CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BatonService,
  type BatonServiceProps,
  failedEventsParameterNames,
  failedEventsParameterPath,
  JobsTable,
  RECONCILER_ERRORS_METRIC,
  reconcilerMetricNamespace,
  withNagChecks,
} from '../../src/index.js';

/**
 * One app, bundled for real (esbuild through NodejsFunction) and checked by cdk-nag: three copies of a small
 * Function-URL-only, self-invoking service in one stack — `reports` with overrides, alarm actions and a shorter
 * log retention, `staging-reports` as defined, and `shared-reports` on a table made outside it.
 */

const projectDir = fileURLToPath(new URL('../fixtures/service/', import.meta.url));
// The handlers are bundled from the workspace, whose lock file is at the repository's root.
const depsLockFilePath = fileURLToPath(new URL('../../../../pnpm-lock.yaml', import.meta.url));

const definition = defineService({
  name: 'reports',
  functions: {
    api: { entry: 'handlers/api.ts', doors: ['function-url'], memoryMb: 512, reservedConcurrency: 5 },
  },
  maintenance: {
    reconciler: { entry: 'handlers/reconciler.ts' },
    failedEvents: { entry: 'handlers/failed-events.ts' },
  },
});

const TOPIC_ARN = 'arn:aws:sns:us-east-1:123456789012:reports-alarms';
const base = { definition, projectDir, depsLockFilePath } satisfies BatonServiceProps<'api'>;

let outdir: string;
let stack: Stack;
let template: Template;
let reports: BatonService<'api'>;
let staging: BatonService<'api'>;
let shared: BatonService<'api'>;
let sharedTable: JobsTable;
let caller: iam.Role;
let operator: iam.Role;
let synthMs: number;

beforeAll(() => {
  const started = performance.now();
  outdir = mkdtempSync(join(tmpdir(), 'baton-cdk-'));
  const app = withNagChecks(new App({ outdir }));
  stack = new Stack(app, 'Reports');
  const topic = sns.Topic.fromTopicArn(stack, 'AlarmTopic', TOPIC_ARN);
  reports = new BatonService(stack, 'Reports', {
    ...base,
    functions: { api: { memoryMb: 2048, timeoutSeconds: 120, reservedConcurrency: 3 } },
    alarmActions: [new cloudwatchActions.SnsAction(topic)],
    logRetention: logs.RetentionDays.ONE_WEEK,
  });
  staging = new BatonService(stack, 'Staging', { ...base, prefix: 'staging' });
  sharedTable = new JobsTable(stack, 'SharedJobs', { tableName: 'shared-jobs' });
  shared = new BatonService(stack, 'Shared', { ...base, prefix: 'shared', existingTable: sharedTable.table });
  caller = new iam.Role(stack, 'Caller', { assumedBy: new iam.AccountRootPrincipal() });
  reports.grantInvoke(caller);
  operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
  reports.grantFailedEvents(operator);
  // cdk-nag runs here: a finding nobody acknowledged would make synth throw.
  app.synth();
  template = Template.fromStack(stack);
  synthMs = performance.now() - started;
}, 60_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const logicalId = (construct: IConstruct) =>
  stack.getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const resourcesOf = (type: string) =>
  Object.entries(template.findResources(type)) as [string, { Properties: Record<string, unknown> }][];
const namesOf = (type: string, property: string) => resourcesOf(type).map(([, r]) => r.Properties[property]);
const functionNamed = (name: string) => {
  const found = resourcesOf('AWS::Lambda::Function').find(([, r]) => r.Properties.FunctionName === name);
  if (!found) throw new Error(`no function ${name}`);
  return found[1].Properties;
};

describe('a Function-URL-only service', () => {
  it('synthesizes cdk-nag clean (AwsSolutions), every acknowledgment with its reason', () => {
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as {
      pluginReports: { violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
    // The plugin ran: it wrote what it was told to skip, and why, into the template.
    const tracing =
      template.toJSON().Resources[logicalId(reports.functions.get('api')?.tracingPolicy as IConstruct)];
    expect(tracing.Metadata.cdk_nag.rules_to_suppress).toEqual([
      expect.objectContaining({ id: 'AwsSolutions-IAM5[Resource::*]', reason: expect.any(String) }),
    ]);
    const acknowledged = stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    // Only X-Ray's wildcard, once per function: no API Gateway here.
    expect(new Set(acknowledged.map(([id]) => id.replace(/^Annotation::/, '')))).toEqual(
      new Set(['AwsSolutions-IAM5[Resource::*]']),
    );
    for (const [, reason] of acknowledged) expect(reason.length).toBeGreaterThan(80);
  });

  it('builds the function, the two maintenance functions and the door, and nothing of the other doors', () => {
    expect([...reports.functions.keys()]).toEqual(['api']);
    expect(reports.doors.functionUrl).toBeDefined();
    expect([reports.restApi, reports.httpApi, reports.doors.invoke]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
    template.resourceCountIs('AWS::ApiGateway::RestApi', 0);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 0);
    template.resourceCountIs('AWS::Lambda::Url', 3);
    expect(functionNamed('reports-api')).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      RecursiveLoop: 'Terminate',
      TracingConfig: { Mode: 'Active' },
    });
  });

  it('publishes each door in an SSM parameter named by doorParameterName', () => {
    for (const service of [reports, staging, shared]) {
      const parameter = service.parameters['function-url'];
      expect(parameter).toBeDefined();
      const name = doorParameterName(definition, 'function-url', service.naming);
      template.hasResourceProperties('AWS::SSM::Parameter', {
        Name: name,
        Type: 'String',
        Value: {
          'Fn::GetAtt': [logicalId(service.doors.functionUrl?.functionUrl as IConstruct), 'FunctionUrl'],
        },
      });
    }
    expect(namesOf('AWS::SSM::Parameter', 'Name').sort()).toEqual(
      ['reports', 'shared-reports', 'staging-reports']
        .flatMap((base) => [
          `/baton/${base}/doors/function-url`,
          `/baton/${base}/failed-events/archive`,
          `/baton/${base}/failed-events/bus`,
          `/baton/${base}/failed-events/log-group`,
        ])
        .sort(),
    );
  });

  it('publishes where the failed events are, for baton failed list|replay, beside the door parameters', () => {
    for (const service of [reports, staging]) {
      const path = failedEventsParameterPath(definition, service.naming);
      const names = failedEventsParameterNames(path);
      const { failureDestination: failures } = service;
      const parameterValue = (name: string) =>
        resourcesOf('AWS::SSM::Parameter').find(([, r]) => r.Properties.Name === name)?.[1].Properties.Value;
      expect(parameterValue(names.logGroup)).toEqual({ Ref: logicalId(failures.logGroup) });
      expect(parameterValue(names.archive)).toEqual({ 'Fn::GetAtt': [logicalId(failures.archive), 'Arn'] });
      expect(parameterValue(names.bus)).toEqual({ 'Fn::GetAtt': [logicalId(failures.bus), 'Arn'] });
    }
    expect(failedEventsParameterPath(definition, staging.naming)).toBe(
      '/baton/staging-reports/failed-events',
    );
  });

  it('hands a replayed failure back to its function wrapped as a replay, whatever the original event held', () => {
    const fn = reports.functions.get('api');
    const rules = fn && reports.failureDestination.rulesFor(fn);
    const [, rule] = resourcesOf('AWS::Events::Rule').find(
      ([id]) => id === logicalId(rules?.replayRule as IConstruct),
    ) as [
      string,
      { Properties: { Targets: Record<string, unknown>[]; EventPattern: Record<string, unknown> } },
    ];
    expect(rule.Properties.EventPattern['replay-name']).toEqual([{ exists: true }]);
    const [target] = rule.Properties.Targets;
    expect(target?.InputPath).toBeUndefined();
    const transformer = target?.InputTransformer as {
      InputPathsMap: Record<string, string>;
      InputTemplate: string;
    };
    expect(transformer.InputPathsMap).toEqual({ replay: '$.replay-name', event: '$.detail.requestPayload' });
    // What EventBridge makes of it for a replayed record: strings quoted in the template, the event as JSON.
    const original = { baton: 'job.run', v: 1, jobId: 'j-1', hop: 2, correlationId: 'c-1' };
    const delivered = JSON.parse(
      transformer.InputTemplate.replace('<replay>', 'baton-j1-1700000000000').replace(
        '<event>',
        JSON.stringify(original),
      ),
    );
    expect(delivered).toEqual({
      baton: 'job.replay',
      v: 1,
      replay: 'baton-j1-1700000000000',
      event: original,
    });
  });

  it('grantFailedEvents lets an operator list and replay the failed events, nothing more', () => {
    const statements = resourcesOf('AWS::IAM::Policy')
      .filter(
        ([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: logicalId(operator) }]),
      )
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement);
    expect(statements.map((s) => s.Action)).toEqual([
      ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'],
      ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'],
      ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'],
      'logs:FilterLogEvents',
      'events:StartReplay',
    ]);
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('prefix changes every name, so copies of a service fit one stack', () => {
    expect(namesOf('AWS::Lambda::Function', 'FunctionName').sort()).toEqual(
      [
        'reports-api',
        'reports-reconciler',
        'reports-failed-events',
        'staging-reports-api',
        'staging-reports-reconciler',
        'staging-reports-failed-events',
        'shared-reports-api',
        'shared-reports-reconciler',
        'shared-reports-failed-events',
      ].sort(),
    );
    expect(namesOf('AWS::DynamoDB::Table', 'TableName').sort()).toEqual([
      'reports-jobs',
      'shared-jobs',
      'staging-reports-jobs',
    ]);
    // Each copy has its failure bus and a bus of its own for its `Baton Job Finished` events.
    expect(namesOf('AWS::Events::EventBus', 'Name').sort()).toEqual([
      'reports-events',
      'reports-failures',
      'shared-reports-events',
      'shared-reports-failures',
      'staging-reports-events',
      'staging-reports-failures',
    ]);
    expect(namesOf('AWS::Events::Archive', 'ArchiveName').sort()).toEqual([
      'reports-failures',
      'shared-reports-failures',
      'staging-reports-failures',
    ]);
    const alarms = namesOf('AWS::CloudWatch::Alarm', 'AlarmName') as string[];
    expect(alarms).toHaveLength(3 * 7);
    expect(new Set(alarms).size).toBe(alarms.length);
    expect(alarms.filter((name) => name.startsWith('staging-reports-')).sort()).toEqual([
      'staging-reports-api-errors',
      'staging-reports-api-failedevents',
      'staging-reports-api-throttles',
      'staging-reports-failed-events-errors',
      'staging-reports-jobsfailed',
      'staging-reports-reconciler-errors',
      'staging-reports-reconciler-joberrors',
    ]);
    // The handlers are told the prefixed names: their table, and the job runner the reconciler sends jobs to.
    expect(functionNamed('staging-reports-api').Environment).toEqual({
      Variables: expect.objectContaining({
        JOBS_TABLE: 'staging-reports-jobs',
        BATON_EVENT_BUS: 'staging-reports-events',
      }),
    });
    expect(functionNamed('staging-reports-reconciler').Environment).toEqual({
      Variables: expect.objectContaining({
        JOBS_TABLE: 'staging-reports-jobs',
        BATON_JOBS_FUNCTION: 'staging-reports-api',
      }),
    });
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [
        Match.objectLike({ MetricNamespace: 'Baton/staging-reports', MetricName: RECONCILER_ERRORS_METRIC }),
      ],
    });
    expect(reconcilerMetricNamespace(definition, { prefix: 'staging' })).toBe('Baton/staging-reports');
  });

  it('applies the overrides of memory, timeout and reserved concurrency; the definition elsewhere', () => {
    expect(functionNamed('reports-api')).toMatchObject({
      MemorySize: 2048,
      Timeout: 120,
      ReservedConcurrentExecutions: 3,
    });
    // A self-invoking function runs jobs: Lambda's most, 900 s, unless the definition says otherwise.
    expect(functionNamed('staging-reports-api')).toMatchObject({
      MemorySize: 512,
      Timeout: 900,
      ReservedConcurrentExecutions: 5,
    });
    expect(functionNamed('reports-reconciler').ReservedConcurrentExecutions).toBe(1);
  });

  it('adds the alarm actions to every alarm of the service, and only of that service', () => {
    const resources = template.toJSON().Resources as Record<string, { Properties: Record<string, unknown> }>;
    expect(reports.alarms).toHaveLength(7);
    for (const alarm of reports.alarms) {
      expect(resources[logicalId(alarm)]?.Properties.AlarmActions).toEqual([TOPIC_ARN]);
    }
    expect(staging.alarms).toHaveLength(7);
    for (const alarm of staging.alarms) {
      expect(resources[logicalId(alarm)]?.Properties.AlarmActions).toBeUndefined();
    }
  });

  it('keeps every log group of the service for logRetention (a month by default)', () => {
    const retentionOf = (service: BatonService<'api'>) => {
      const resources = template.toJSON().Resources as Record<
        string,
        { Properties: Record<string, unknown> }
      >;
      return service.node
        .findAll()
        .filter((c): c is logs.CfnLogGroup => c instanceof logs.CfnLogGroup)
        .map((group) => resources[stack.getLogicalId(group)]?.Properties.RetentionInDays);
    };
    // The function, the reconciler, the failed-event handler, and the failed-events log.
    expect(retentionOf(reports)).toEqual([7, 7, 7, 7]);
    expect(retentionOf(staging)).toEqual([30, 30, 30, 30]);
  });

  it('keeps the table when the stack is deleted, and the logical ID of its table stays as it is', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ TableName: 'reports-jobs' }),
    });
    // Construct IDs are part of the contract: a new logical ID would replace the table of a deployed stack.
    expect(logicalId(reports.jobsTable?.table as IConstruct)).toBe('ReportsJobsTable4C3632B3');
    expect(logicalId(staging.jobsTable?.table as IConstruct)).toBe('StagingJobsTable2EAF05AB');
  });

  it('works on a table made elsewhere: no table of its own, the functions told its name and granted on it', () => {
    expect(shared.jobsTable).toBeUndefined();
    expect(shared.table).toBe(sharedTable.table);
    const tableRef = { Ref: logicalId(sharedTable.table) };
    expect(functionNamed('shared-reports-api').Environment).toEqual({
      Variables: expect.objectContaining({ JOBS_TABLE: tableRef }),
    });
    const role = logicalId(shared.functions.get('api')?.role as IConstruct);
    const statements = resourcesOf('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap(
        ([, p]) =>
          (p.Properties.PolicyDocument as { Statement: { Sid?: string; Resource: unknown }[] }).Statement,
      );
    expect(statements.find((s) => s.Sid === 'JobsTable')?.Resource).toEqual({
      'Fn::GetAtt': [logicalId(sharedTable.table), 'Arn'],
    });
    expect(statements.find((s) => s.Sid === 'JobsOwnerIndex')?.Resource).toEqual({
      'Fn::Join': [
        '',
        [{ 'Fn::GetAtt': [logicalId(sharedTable.table), 'Arn'] }, `/index/${jobsTable.ownerIndex}`],
      ],
    });
  });

  it('grantInvoke lets a principal call the door and read where it is, nothing more', () => {
    const statements = resourcesOf('AWS::IAM::Policy')
      .filter(([, p]) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: logicalId(caller) }]))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: { Action: unknown }[] }).Statement);
    expect(statements.map((s) => s.Action)).toEqual([
      'lambda:InvokeFunctionUrl',
      'lambda:InvokeFunction',
      ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParameterHistory'],
    ]);
    expect(JSON.stringify(statements)).not.toContain('"*"');
  });

  it('synthesizes three services into the assembly, bundles included', () => {
    expect(existsSync(join(outdir, 'Reports.template.json'))).toBe(true);
    console.info(`synth of three services with cdk-nag: ${Math.round(synthMs)} ms`);
  });
});

describe('props are checked before anything is built', () => {
  const attempt =
    (props: Partial<BatonServiceProps<'api'>>, definitionOverride?: ServiceDefinition<'api'>) => () =>
      new BatonService(new Stack(new App(), 'Check'), 'Service', {
        ...base,
        ...props,
        ...(definitionOverride && { definition: definitionOverride }),
      });

  it('refuses a prefix that is not a name, or one that makes names too long', () => {
    expect(attempt({ prefix: 'Staging' })).toThrow(/prefix: 'Staging' must be lower-case letters/);
    expect(attempt({ prefix: `s${'x'.repeat(60)}` })).toThrow(/longer than Lambda's 64 characters/);
  });

  it('refuses overrides of a function the definition does not have, or out of range', () => {
    expect(attempt({ functions: { nope: { memoryMb: 256 } } as never })).toThrow(
      /functions.nope: 'reports' has no function 'nope'/,
    );
    expect(attempt({ functions: { api: { memoryMb: 64, timeoutSeconds: 901 } } })).toThrow(
      /functions.api.memoryMb: 128 to 10240[\s\S]*functions.api.timeoutSeconds: 1 to 900/,
    );
  });

  it('refuses existingTable together with removalPolicy, naming both', () => {
    const app = new App();
    const table = new JobsTable(new Stack(app, 'Tables'), 'Jobs', { tableName: 't' }).table;
    expect(attempt({ existingTable: table, removalPolicy: RemovalPolicy.DESTROY })).toThrow(
      /existingTable and removalPolicy: set one or the other/,
    );
  });

  it("refuses a hand-made definition defineService would refuse (maxHops at Lambda's loop detection)", () => {
    expect(attempt({}, { ...definition, maxHops: 16 })).toThrow(/recursive-loop detection/);
    // The same check as defineService's: with 'Allow', maxHops is the only bound.
    expect(() => defineService({ ...definition, maxHops: 16, recursiveLoop: 'Allow' })).not.toThrow();
  });
});
