import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import {
  DOOR_TABLE_ACTIONS,
  FAILED_EVENTS_TABLE_ACTIONS,
  FAILURE_DETAIL_TYPE,
  FAILURE_SOURCE,
  HTTP_ROUTES,
  RECONCILER_ERRORS_METRIC,
  RECONCILER_TABLE_ACTIONS,
  REST_API_STAGE,
  ReplayEnvelope,
  RUNNER_TABLE_ACTIONS,
  reconcilerMetricNamespace,
} from '@baton/cdk';
import { jobsTable, jobsTableDefinition } from '@baton/dynamodb';
import { type FunctionKey, service } from '@baton/example/service';
import {
  type Door,
  defineService,
  functionEnvironment,
  functionKeys,
  functionName,
  functionsInUse,
  InvalidServiceDefinition,
  jobRunner,
  jobsTableName,
  jobTargets,
  LAMBDA_BUNDLE_OPTIONS,
  type MaintenanceKey,
  maintenanceEnvironment,
  maintenanceFunctionName,
  type ServiceDefinition,
} from '@baton/service';
import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppDir } from '../src/paths.js';
import {
  actionsOf,
  assetDirOf,
  defined,
  deployedFunction,
  functionArnOf,
  logicalId,
  maintenanceFunction,
  render,
  resourcesOf,
  resourcesOfStatement,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from './support/synth.js';

let synth: Synthesized;

beforeAll(() => {
  synth = synthesize();
});
afterAll(() => synth?.cleanup());

const inUse = functionsInUse(service);
const maintenanceKeys: MaintenanceKey[] = ['reconciler', 'failedEvents'];
const deployed = (key: FunctionKey) => deployedFunction(synth.service, key);
const maintained = (key: MaintenanceKey) => maintenanceFunction(synth.service, key);
/** Every deployed function's name: the functions in use and the maintenance functions. */
const allNames = [
  ...inUse.map((key) => functionName(service, key)),
  ...maintenanceKeys.map((key) => maintenanceFunctionName(service, key)),
];
const servedBy = (door: Door) => inUse.find((key) => service.functions[key].doors.includes(door));

describe('the jobs table', () => {
  it('is the table @baton/dynamodb defines: keys, owner index, on-demand', () => {
    const spec = jobsTableDefinition(jobsTableName(service));
    synth.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: spec.TableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: spec.KeySchema,
      AttributeDefinitions: Match.arrayWith(spec.AttributeDefinitions ?? []),
      GlobalSecondaryIndexes: spec.GlobalSecondaryIndexes,
    });
    const [[, table] = []] = resourcesOf(synth.template, 'AWS::DynamoDB::Table');
    expect(table?.Properties.AttributeDefinitions).toHaveLength(spec.AttributeDefinitions?.length ?? 0);
  });

  it('has point-in-time recovery, TTL on the ttl attribute and encryption with the AWS managed key', () => {
    synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: jobsTable.ttl, Enabled: true },
      // SSEEnabled without a key id = KMS with the AWS managed key aws/dynamodb.
      SSESpecification: { SSEEnabled: true, KMSMasterKeyId: Match.absent() },
    });
  });

  it('is kept when the stack is deleted (jobs are data)', () => {
    synth.template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
  });
});

describe('the functions', () => {
  it('are exactly the functions in use and the two maintenance functions, by their fixed names', () => {
    const names = resourcesOf(synth.template, 'AWS::Lambda::Function').map(
      ([, fn]) => fn.Properties.FunctionName,
    );
    expect(names.sort()).toEqual([...allNames].sort());
    expect(maintenanceKeys.map((key) => maintenanceFunctionName(service, key))).toEqual([
      'baton-example-reconciler',
      'baton-example-failed-events',
    ]);
  });

  it.each(inUse)(
    '%s: runtime, arm64, timeout, memory, reserved concurrency and environment from the definition',
    (key) => {
      const fn = service.functions[key];
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: functionName(service, key),
        Description: fn.description,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: fn.timeoutSeconds,
        MemorySize: fn.memoryMb,
        ReservedConcurrentExecutions: fn.reservedConcurrency,
        Environment: { Variables: functionEnvironment(service, key) },
        TracingConfig: { Mode: 'Active' },
      });
    },
  );

  it('tells each door where its jobs go by the real function name', () => {
    for (const key of inUse) {
      const target = service.functions[key].jobsGoTo;
      const variables = functionEnvironment(service, key);
      if (target === 'self') expect(variables.BATON_JOBS_FUNCTION).toBeUndefined();
      else {
        expect(variables.BATON_JOBS_FUNCTION).toBe(functionName(service, target));
        expect(inUse).toContain(target);
      }
    }
  });

  it('deploys no function that no door uses', () => {
    const variant: ServiceDefinition = {
      ...service,
      functions: { ...service.functions, api: { ...service.functions.api, jobsGoTo: 'self' } },
    };
    expect(functionsInUse(variant)).not.toContain('worker');
    const other = synthesize({ definition: variant, bundle: false });
    try {
      const names = resourcesOf(other.template, 'AWS::Lambda::Function').map(
        ([, fn]) => fn.Properties.FunctionName,
      );
      expect(names).not.toContain(functionName(variant, 'worker'));
      // The functions in use, and the reconciler and the failed-event handler.
      expect(names).toHaveLength(functionsInUse(variant).length + 2);
      // The API function now runs its own jobs, so it may invoke itself and nothing else.
      const statements = statementsOfRole(
        other.template,
        logicalId(deployedFunction(other.service, 'api').role),
      );
      const invoke = statements.filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
      expect(invoke.flatMap(resourcesOfStatement)).toEqual([functionArnOf(functionName(variant, 'api'))]);
      // It is the job runner now, so the reconciler sends recovered jobs to it.
      const reconciler = statementsOfRole(
        other.template,
        logicalId(maintenanceFunction(other.service, 'reconciler').role),
      ).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
      expect(reconciler.flatMap(resourcesOfStatement)).toEqual([functionArnOf(functionName(variant, 'api'))]);
    } finally {
      other.cleanup();
    }
  });

  it.each(allNames)('%s: bundled locally as one ESM file with the AWS SDK inside', (name) => {
    const assetDir = assetDirOf(synth, name);
    expect(readdirSync(assetDir)).toEqual(['index.mjs']);
    const bundle = readFileSync(join(assetDir, 'index.mjs'), 'utf8');
    // The shared banner gives the ESM bundle a `require`; the bundle exports `handler` as ESM.
    expect(bundle.startsWith(LAMBDA_BUNDLE_OPTIONS.banner.js)).toBe(true);
    expect(bundle).toMatch(/export\s*\{[^}]*\bhandler\b[^}]*\}/);
    // Nothing is left for the runtime to provide: no bare imports other than node builtins.
    const imports = [...bundle.matchAll(/(?:^|[;\s])import\s*(?:[^'"]*?from\s*)?["']([^"']+)["']/g)].map(
      (m) => m[1],
    );
    expect(imports.filter((name) => !name?.startsWith('node:'))).toEqual([]);
    expect(bundle).toContain('DynamoDBClient');
  });

  const environmentOf = (name: string) => {
    const key = inUse.find((k) => functionName(service, k) === name);
    if (key) return functionEnvironment(service, key);
    const maintenanceKey = defined(
      maintenanceKeys.find((k) => maintenanceFunctionName(service, k) === name),
      `the function named ${name}`,
    );
    return maintenanceEnvironment(service, maintenanceKey);
  };

  it.each(allNames)('%s: the bundle loads in plain Node as an ES module and exports its handler', (name) => {
    const bundle = join(assetDirOf(synth, name), 'index.mjs');
    // A child process, so that Node's own ESM loader runs it (not vitest's), with the function's environment.
    const script = `const m = await import(${JSON.stringify(pathToFileURL(bundle).href)}); process.stdout.write(typeof m.handler);`;
    const output = execFileSync(process.execPath, ['--no-warnings', '--input-type=module', '-e', script], {
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', ...environmentOf(name) },
      encoding: 'utf8',
    });
    expect(output).toBe('function');
  });
});

describe('IAM: least privilege per function', () => {
  const statementsOf = (key: FunctionKey) => statementsOfRole(synth.template, logicalId(deployed(key).role));

  /** From the definition: a function invokes itself if it runs jobs, and the function its jobs go to. */
  const expectedInvokeTargets = (key: FunctionKey): string[] => {
    const fn = service.functions[key];
    const runsJobs =
      fn.jobsGoTo === 'self' || inUse.some((other) => service.functions[other].jobsGoTo === key);
    const names = new Set<string>();
    if (runsJobs) names.add(functionName(service, key));
    if (fn.jobsGoTo !== 'self') names.add(functionName(service, fn.jobsGoTo));
    return [...names].map(functionArnOf).sort();
  };

  it('gives the example layout the grants its definition implies', () => {
    // Spelled out once for the example, so a change to the derivation above cannot pass unnoticed.
    expect(expectedInvokeTargets('api')).toEqual([functionArnOf('baton-example-worker')]);
    expect(expectedInvokeTargets('url')).toEqual([functionArnOf('baton-example-url')]);
    expect(expectedInvokeTargets('rpc')).toEqual([functionArnOf('baton-example-rpc')]);
    expect(expectedInvokeTargets('worker')).toEqual([functionArnOf('baton-example-worker')]);
  });

  it.each(inUse)('%s: exactly its statements, with exact actions and resources', (key) => {
    const fn = deployed(key);
    const table = `<${logicalId(synth.service.table)}.Arn>`;
    const isDoor = service.functions[key].doors.length > 0;
    const statements = statementsOf(key).map((s) => ({
      actions: actionsOf(s),
      resources: resourcesOfStatement(s).sort(),
      effect: s.Effect,
    }));
    const expected = [
      {
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`<${logicalId(fn.logGroup)}.Arn>`],
      },
      {
        actions: (isDoor ? DOOR_TABLE_ACTIONS : RUNNER_TABLE_ACTIONS)
          .filter((a) => a !== 'dynamodb:Query')
          .sort(),
        resources: [table],
      },
      ...(isDoor
        ? [{ actions: ['dynamodb:Query'], resources: [`${table}/index/${jobsTable.ownerIndex}`] }]
        : []),
      { actions: ['lambda:InvokeFunction'], resources: expectedInvokeTargets(key) },
      { actions: ['events:PutEvents'], resources: [`<${logicalId(synth.service.failureBus)}.Arn>`] },
      // Its `Baton Job Finished` events, on the service's own bus (decision 0018).
      { actions: ['events:PutEvents'], resources: [`<${logicalId(synth.service.eventBus)}.Arn>`] },
      { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
    ].map((s) => ({ ...s, effect: 'Allow' }));
    expect(statements).toEqual(expect.arrayContaining(expected));
    expect(statements).toHaveLength(expected.length);
  });

  it('has no wildcard in any lambda:InvokeFunction or dynamodb resource, and * only for X-Ray', () => {
    const roles = [
      ...inUse.map((key) => deployed(key).role),
      ...maintenanceKeys.map((key) => maintained(key).role),
    ];
    for (const role of roles) {
      for (const statement of statementsOfRole(synth.template, logicalId(role))) {
        const resources = resourcesOfStatement(statement);
        const actions = actionsOf(statement);
        if (actions.some((a) => a.startsWith('lambda:') || a.startsWith('dynamodb:'))) {
          for (const resource of resources) expect(resource).not.toContain('*');
        }
        for (const action of actions) expect(action).not.toContain('*');
        if (resources.includes('*')) expect(actions.every((a) => a.startsWith('xray:'))).toBe(true);
      }
    }
  });

  it('gives the function roles no managed policies (no AWSLambdaBasicExecutionRole)', () => {
    for (const name of allNames) {
      synth.template.hasResourceProperties('AWS::IAM::Role', {
        Description: `Execution role of ${name}`,
        ManagedPolicyArns: Match.absent(),
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'lambda.amazonaws.com' } })],
        },
      });
    }
  });
});

describe('IAM: least privilege for the maintenance functions', () => {
  const statementsOf = (key: MaintenanceKey) =>
    statementsOfRole(synth.template, logicalId(maintained(key).role)).map((s) => ({
      actions: actionsOf(s),
      resources: resourcesOfStatement(s).sort(),
      effect: s.Effect,
    }));
  const table = () => `<${logicalId(synth.service.table)}.Arn>`;
  const ownLogs = (key: MaintenanceKey) => ({
    actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    resources: [`<${logicalId(maintained(key).logGroup)}.Arn>`],
    effect: 'Allow',
  });
  const xray = {
    actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
    resources: ['*'],
    effect: 'Allow',
  };
  /** The jobs they end are announced on the service's own bus, and only there. */
  const jobEvents = () => ({
    actions: ['events:PutEvents'],
    resources: [`<${logicalId(synth.service.eventBus)}.Arn>`],
    effect: 'Allow',
  });

  it('reconciler: Query on the unfinished index only; BatchGetItem, GetItem, UpdateItem on the table; invoke the job runner', () => {
    const statements = statementsOf('reconciler');
    const expected = [
      ownLogs('reconciler'),
      {
        actions: ['dynamodb:BatchGetItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem'],
        resources: [table()],
        effect: 'Allow',
      },
      {
        actions: ['dynamodb:Query'],
        resources: [`${table()}/index/${jobsTable.unfinishedIndex}`],
        effect: 'Allow',
      },
      {
        actions: ['lambda:InvokeFunction'],
        resources: [functionArnOf(functionName(service, jobRunner(service)))],
        effect: 'Allow',
      },
      jobEvents(),
      xray,
    ];
    expect(statements).toEqual(expect.arrayContaining(expected));
    expect(statements).toHaveLength(expected.length);
    // Spelled out for the example: the worker runs the jobs the reconciler recovers.
    expect(jobRunner(service)).toBe('worker');
    expect([...RECONCILER_TABLE_ACTIONS].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
  });

  it('failed-event handler: GetItem and UpdateItem on the table, and its job events, nothing else', () => {
    const statements = statementsOf('failedEvents');
    const expected = [
      ownLogs('failedEvents'),
      { actions: [...FAILED_EVENTS_TABLE_ACTIONS].sort(), resources: [table()], effect: 'Allow' },
      jobEvents(),
      xray,
    ];
    expect(statements).toEqual(expect.arrayContaining(expected));
    expect(statements).toHaveLength(expected.length);
  });

  it('neither may write items whole, delete, scan, put events on another bus or query the owner index', () => {
    for (const key of maintenanceKeys) {
      const actions = statementsOf(key).flatMap((s) => s.actions);
      for (const refused of [
        'dynamodb:PutItem',
        'dynamodb:DeleteItem',
        'dynamodb:Scan',
        'dynamodb:BatchWriteItem',
      ])
        expect(actions, `${key} may not ${refused}`).not.toContain(refused);
      const putEventsOn = statementsOf(key)
        .filter((s) => s.actions.includes('events:PutEvents'))
        .flatMap((s) => s.resources);
      expect(putEventsOn).toEqual([`<${logicalId(synth.service.eventBus)}.Arn>`]);
      const resources = statementsOf(key).flatMap((s) => s.resources);
      expect(resources.filter((r) => r.includes(`/index/${jobsTable.ownerIndex}`))).toEqual([]);
    }
  });
});

describe('the maintenance functions', () => {
  it.each(maintenanceKeys)(
    '%s: built like the others, with its own environment, log group and X-Ray',
    (key) => {
      const spec = service.maintenance[key];
      const fn = maintained(key);
      expect(fn.entryPath).toBe(join(exampleAppDir, spec.entry));
      expect(existsSync(fn.entryPath)).toBe(true);
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: maintenanceFunctionName(service, key),
        Description: spec.description,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: spec.timeoutSeconds,
        MemorySize: spec.memoryMb,
        Environment: { Variables: maintenanceEnvironment(service, key) },
        TracingConfig: { Mode: 'Active' },
        RecursiveLoop: service.recursiveLoop,
        LoggingConfig: { LogGroup: { Ref: logicalId(fn.logGroup) } },
      });
      expect(synth.template.toJSON().Resources[logicalId(fn.logGroup)].Properties.RetentionInDays).toBe(30);
      // Outputs name the function and its log group (docs/deploy.md tails it).
      const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
      expect(Object.values(outputs).map((o) => render(o.Value))).toEqual(
        expect.arrayContaining([fn.name, `<${logicalId(fn.logGroup)}>`]),
      );
    },
  );

  it('reconciler: reserved concurrency 1, recovered jobs go to the job runner by its real name', () => {
    const [, reconciler] = defined(
      resourcesOf(synth.template, 'AWS::Lambda::Function').find(
        ([id]) => id === logicalId(maintained('reconciler').function),
      ),
      'the reconciler',
    );
    expect(reconciler.Properties.ReservedConcurrentExecutions).toBe(1);
    expect(maintenanceEnvironment(service, 'reconciler').BATON_JOBS_FUNCTION).toBe(
      functionName(service, jobRunner(service)),
    );
    expect(inUse).toContain(jobRunner(service));
  });

  it('failed-event handler: no reserved concurrency (it draws on the unreserved pool)', () => {
    const [, handler] = defined(
      resourcesOf(synth.template, 'AWS::Lambda::Function').find(
        ([id]) => id === logicalId(maintained('failedEvents').function),
      ),
      'the failed-event handler',
    );
    expect(handler.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('reconciler: a schedule on the default bus, rate(1 minute), no retries of a late pass', () => {
    const fn = maintained('reconciler');
    const [, rule] = defined(
      resourcesOf(synth.template, 'AWS::Events::Rule').find(([id]) => id === logicalId(fn.trigger)),
      'the schedule',
    );
    expect(service.maintenance.reconciler.everyMinutes).toBe(1);
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.EventBusName).toBeUndefined();
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toHaveLength(1);
    const [target] = rule.Properties.Targets;
    expect(render(target.Arn)).toBe(`<${logicalId(fn.function)}.Arn>`);
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 });
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(fn.function) },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
      DestinationConfig: Match.absent(),
    });
  });

  it('failed-event handler: a rule on the failure bus for live failures of the functions that run jobs', () => {
    const fn = maintained('failedEvents');
    const [, rule] = defined(
      resourcesOf(synth.template, 'AWS::Events::Rule').find(([id]) => id === logicalId(fn.trigger)),
      'its rule',
    );
    const pattern = rule.Properties.EventPattern;
    expect(render(rule.Properties.EventBusName)).toBe(`<${logicalId(synth.service.failureBus)}>`);
    expect(pattern.source).toEqual([FAILURE_SOURCE]);
    expect(pattern['detail-type']).toEqual([FAILURE_DETAIL_TYPE]);
    expect(pattern['replay-name']).toEqual([{ exists: false }]);
    const runners = inUse.filter((key) => jobTargets(service, key).includes(key));
    expect(runners).toEqual(['url', 'rpc', 'worker']);
    const arns = (pattern.detail.requestContext.functionArn as unknown[]).map((m) =>
      typeof m === 'object' && m && 'prefix' in m ? `prefix:${render(m.prefix)}` : render(m),
    );
    expect(arns).toEqual(
      runners.flatMap((key) => {
        const arn = functionArnOf(functionName(service, key));
        return [arn, `prefix:${arn}:`];
      }),
    );
    expect(rule.Properties.Targets).toHaveLength(1);
    const [target] = rule.Properties.Targets;
    expect(render(target.Arn)).toBe(`<${logicalId(fn.function)}.Arn>`);
    // The whole event (the handler reads Lambda's record from `detail`), retried for an hour at most, no DLQ.
    expect(target.InputPath).toBeUndefined();
    expect(target.Input).toBeUndefined();
    expect(target.RetryPolicy).toEqual({ MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 });
    expect(target.DeadLetterConfig).toBeUndefined();
  });

  it('failed-event handler: Lambda retries it, and its own failures go nowhere near the failure bus', () => {
    const fn = maintained('failedEvents');
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(fn.function) },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: Match.absent(),
    });
  });

  it.each(maintenanceKeys)('%s: only EventBridge may invoke it, and only from its own rule', (key) => {
    const fn = maintained(key);
    const permissions = resourcesOf(synth.template, 'AWS::Lambda::Permission').filter(([, p]) =>
      [`<${logicalId(fn.function)}.Arn>`, `<${logicalId(fn.function)}>`].includes(
        render(p.Properties.FunctionName),
      ),
    );
    expect(permissions.map(([, p]) => [p.Properties.Principal, render(p.Properties.SourceArn)])).toEqual([
      ['events.amazonaws.com', `<${logicalId(fn.trigger)}.Arn>`],
    ]);
  });

  it('a schedule of several minutes is written rate(N minutes); a fraction of a minute is refused', () => {
    const every = (everyMinutes: number): ServiceDefinition => ({
      ...service,
      maintenance: {
        ...service.maintenance,
        reconciler: { ...service.maintenance.reconciler, everyMinutes },
      },
    });
    expect(() => synthesize({ definition: every(0.5), bundle: false })).toThrow(/whole minutes/);
    const other = synthesize({ definition: every(5), bundle: false });
    try {
      other.template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    } finally {
      other.cleanup();
    }
  });
});

describe('the doors', () => {
  it('REST API: every route, AWS_IAM on every method, validated, proxied to the rest-api function', () => {
    const key = defined(servedBy('rest-api'), 'the rest-api function');
    const fnId = logicalId(deployed(key).function);
    const methods = resourcesOf(synth.template, 'AWS::ApiGateway::Method');
    // Six routes, GET /openapi.json among them (spelled out, so that a change of the table is a change here too).
    expect(methods).toHaveLength(6);
    expect(HTTP_ROUTES).toHaveLength(6);
    const validatorId = logicalId(
      defined(synth.service.restApi, 'REST API').node.findChild('RequestValidator'),
    );
    for (const [, method] of methods) {
      expect(method.Properties).toMatchObject({
        AuthorizationType: 'AWS_IAM',
        RequestValidatorId: { Ref: validatorId },
        Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST' },
      });
      expect(render(method.Properties.Integration.Uri)).toContain(`<${fnId}.Arn>`);
    }
    synth.template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    // The routes: rebuild each method's path from its resources.
    const resources = Object.fromEntries(resourcesOf(synth.template, 'AWS::ApiGateway::Resource'));
    const pathOf = (ref: unknown): string => {
      const id = render(ref)
        .replace(/^<|>$/g, '')
        .replace(/\.RootResourceId$/, '');
      const resource = resources[id];
      if (!resource) return '';
      return `${pathOf(resource.Properties.ParentId)}/${String(resource.Properties.PathPart)}`;
    };
    const routes = methods.map(([, m]) => `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`);
    expect(routes.sort()).toEqual(HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    // Path parameters are required, so the validator refuses a request without them.
    synth.template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      RequestParameters: { 'method.request.path.id': true },
    });
  });

  it('REST API: a regional stage with X-Ray tracing and JSON access logs', () => {
    synth.template.hasResourceProperties('AWS::ApiGateway::RestApi', {
      EndpointConfiguration: { Types: ['REGIONAL'] },
    });
    synth.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: REST_API_STAGE,
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('identity.userArn'),
      },
    });
  });

  it('REST API: one gateway response per problem of @baton/api-gateway, with its status, headers and JSON template', () => {
    const responses = resourcesOf(synth.template, 'AWS::ApiGateway::GatewayResponse');
    expect(responses).toHaveLength(PROBLEM_GATEWAY_RESPONSES.length);
    const apiId = logicalId(defined(synth.service.restApi, 'REST API'));
    const byType = new Map(responses.map(([, r]) => [r.Properties.ResponseType, r.Properties]));
    expect([...byType.keys()].sort()).toEqual(PROBLEM_GATEWAY_RESPONSES.map((r) => r.type).sort());
    for (const expected of PROBLEM_GATEWAY_RESPONSES) {
      const actual = byType.get(expected.type);
      expect(render(actual.RestApiId)).toBe(`<${apiId}>`);
      expect(actual.StatusCode).toBe(expected.statusCode);
      expect(actual.ResponseParameters).toEqual(
        Object.fromEntries(
          Object.entries(expected.responseHeaders).map(([name, value]) => [
            `gatewayresponse.header.${name}`,
            value,
          ]),
        ),
      );
      expect(actual.ResponseTemplates).toEqual({ 'application/json': expected.template });
    }
    // Spelled out, so that a change of the list is a change of this test too.
    expect(
      Object.fromEntries([...byType].map(([type, props]) => [type, props.StatusCode ?? "API Gateway's"])),
    ).toEqual({
      DEFAULT_4XX: "API Gateway's",
      DEFAULT_5XX: "API Gateway's",
      INTEGRATION_FAILURE: '503',
      INTEGRATION_TIMEOUT: '504',
      THROTTLED: '429',
      REQUEST_TOO_LARGE: '413',
      ACCESS_DENIED: '403',
      MISSING_AUTHENTICATION_TOKEN: '403',
      INVALID_SIGNATURE: '403',
      EXPIRED_TOKEN: '403',
      UNAUTHORIZED: '401',
      BAD_REQUEST_BODY: '400',
      BAD_REQUEST_PARAMETERS: '400',
    });
    for (const [, response] of responses) {
      expect(response.Properties.ResponseParameters['gatewayresponse.header.Content-Type']).toBe(
        "'application/problem+json'",
      );
    }
    // The stage's deployment waits for them (and its logical id follows them), so a change is deployed.
    const [[, deployment] = []] = resourcesOf(synth.template, 'AWS::ApiGateway::Deployment');
    for (const [id] of responses) expect(deployment?.DependsOn).toContain(id);
  });

  it('HTTP API: every route behind the IAM authorizer, payload v2 to the http-api function, access logs', () => {
    const key = defined(servedBy('http-api'), 'the http-api function');
    const routes = resourcesOf(synth.template, 'AWS::ApiGatewayV2::Route');
    expect(routes.map(([, r]) => r.Properties.RouteKey).sort()).toEqual(
      HTTP_ROUTES.map((r) => `${r.method} ${r.path}`).sort(),
    );
    expect(routes.map(([, r]) => r.Properties.RouteKey)).toContain('GET /openapi.json');
    expect(routes).toHaveLength(6);
    for (const [, route] of routes) expect(route.Properties.AuthorizationType).toBe('AWS_IAM');
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [logicalId(deployed(key).function), 'Arn'] },
    });
    synth.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
  });

  it('Function URL: AWS_IAM, on the function-url function only', () => {
    const key = defined(servedBy('function-url'), 'the function-url function');
    synth.template.resourceCountIs('AWS::Lambda::Url', 1);
    synth.template.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'AWS_IAM',
      TargetFunctionArn: { 'Fn::GetAtt': [logicalId(deployed(key).function), 'Arn'] },
    });
  });

  it('direct invoke: no resource; the function name is an output', () => {
    const key = defined(servedBy('invoke'), 'the invoke function');
    const fnArn = `<${logicalId(deployed(key).function)}.Arn>`;
    const fnRef = `<${logicalId(deployed(key).function)}>`;
    const permissions = resourcesOf(synth.template, 'AWS::Lambda::Permission').filter(([, p]) =>
      [fnArn, fnRef].includes(render(p.Properties.FunctionName)),
    );
    // Only EventBridge, for replays of its failed events: no gateway, no URL.
    expect(permissions.map(([, p]) => p.Properties.Principal)).toEqual(['events.amazonaws.com']);
    synth.template.hasOutput('InvokeFunctionName', { Value: functionName(service, key) });
  });
});

describe('async invocation and the failure destination', () => {
  it.each(inUse)('%s: retries and event age from the definition, failures to the EventBridge bus', (key) => {
    const fn = deployed(key);
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(fn.function) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: service.functions[key].async.maximumRetryAttempts,
      MaximumEventAgeInSeconds: service.functions[key].async.maximumEventAgeSeconds,
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [logicalId(synth.service.failureBus), 'Arn'] } },
      },
    });
  });

  it('archives every failure event of the bus for 30 days', () => {
    synth.template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: { 'Fn::GetAtt': [logicalId(synth.service.failureBus), 'Arn'] },
      EventPattern: { source: [FAILURE_SOURCE], 'detail-type': [FAILURE_DETAIL_TYPE] },
      RetentionDays: 30,
    });
  });

  it.each(inUse)(
    '%s: live failures go to the failed-events log group; replays go back to the function',
    (key) => {
      const fn = deployed(key);
      const rules = Object.fromEntries(resourcesOf(synth.template, 'AWS::Events::Rule'));
      const live = rules[logicalId(fn.failureRule)]?.Properties;
      const replay = rules[logicalId(fn.replayRule)]?.Properties;
      const arn = functionArnOf(fn.name);
      for (const rule of [live, replay]) {
        const pattern = rule.EventPattern;
        expect(pattern.source).toEqual([FAILURE_SOURCE]);
        expect(pattern['detail-type']).toEqual([FAILURE_DETAIL_TYPE]);
        const arns: unknown[] = pattern.detail.requestContext.functionArn;
        expect(
          arns.map((m) =>
            typeof m === 'object' && m && 'prefix' in m ? `prefix:${render(m.prefix)}` : render(m),
          ),
        ).toEqual([arn, `prefix:${arn}:`]);
        expect(render(rule.EventBusName)).toBe(`<${logicalId(synth.service.failureBus)}>`);
      }
      expect(live.EventPattern['replay-name']).toEqual([{ exists: false }]);
      expect(replay.EventPattern['replay-name']).toEqual([{ exists: true }]);
      const [liveTarget] = live.Targets;
      expect(render(liveTarget?.Arn)).toBe(
        `arn:aws:logs:us-east-1:123456789012:log-group:<${logicalId(synth.service.failureDestination.logGroup)}>`,
      );
      const [replayTarget] = replay.Targets;
      expect(render(replayTarget?.Arn)).toBe(`<${logicalId(fn.function)}.Arn>`);
      // The original event, wrapped as a replay (decision 0015).
      expect(replayTarget?.InputPath).toBeUndefined();
      expect(replayTarget?.InputTransformer).toEqual({
        InputPathsMap: { replay: '$.replay-name', event: '$.detail.requestPayload' },
        InputTemplate: ReplayEnvelope.TEMPLATE,
      });
    },
  );

  it('lets EventBridge (and only it) write the failed-events log group', () => {
    const [[, policy]] = resourcesOf(synth.template, 'AWS::Logs::ResourcePolicy') as [[string, never]];
    const document = JSON.parse(
      render((policy as { Properties: { PolicyDocument: unknown } }).Properties.PolicyDocument),
    );
    expect(document.Statement).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Resource: `<${logicalId(synth.service.failureDestination.logGroup)}.Arn>`,
      },
    ]);
  });
});

describe('recursion', () => {
  it.each(inUse)('%s: the recursive-loop setting of the definition, explicitly', (key) => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: functionName(service, key),
      RecursiveLoop: service.recursiveLoop,
    });
  });

  it('refuses maxHops at or above the loop detection while on Terminate, at definition and synth time', () => {
    // defineService makes the check (a definition `baton dev` refuses never deploys either); BatonService makes
    // it again for a definition put together by hand, before anything is built.
    expect(() => defineService(service)).not.toThrow();
    expect(() => defineService({ ...service, maxHops: 15 })).not.toThrow();
    expect(() => defineService({ ...service, maxHops: 16 })).toThrow(InvalidServiceDefinition);
    expect(() => defineService({ ...service, maxHops: 16, recursiveLoop: 'Allow' })).not.toThrow();
    expect(() => synthesize({ definition: { ...service, maxHops: 16 }, bundle: false })).toThrow(
      /recursive-loop detection/,
    );
  });
});

describe('logs and alarms', () => {
  it.each(inUse)('%s: its own log group, kept one month', (key) => {
    const fn = deployed(key);
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: fn.name,
      LoggingConfig: { LogGroup: { Ref: logicalId(fn.logGroup) } },
    });
    expect(synth.template.toJSON().Resources[logicalId(fn.logGroup)].Properties.RetentionInDays).toBe(30);
  });

  it('every log group has a retention', () => {
    for (const [, group] of resourcesOf(synth.template, 'AWS::Logs::LogGroup')) {
      expect(group.Properties.RetentionInDays).toBe(30);
    }
  });

  it.each(inUse)('%s: alarms on errors, throttles and failure-destination arrivals', (key) => {
    const fn = deployed(key);
    const common = {
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      Statistic: 'Sum',
    };
    for (const metric of ['Errors', 'Throttles']) {
      synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        ...common,
        Namespace: 'AWS/Lambda',
        MetricName: metric,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } }],
      });
    }
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common,
      Namespace: 'AWS/Events',
      MetricName: 'MatchedEvents',
      Dimensions: [{ Name: 'RuleName', Value: { Ref: logicalId(fn.failureRule) } }],
    });
  });

  it('reconciler: alarms on its errors and on the jobs it could not move on (from its log lines)', () => {
    const fn = maintained('reconciler');
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${fn.name}-errors`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } }],
      Threshold: 1,
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    });
    synth.template.hasResourceProperties('AWS::Logs::MetricFilter', {
      LogGroupName: { Ref: logicalId(fn.logGroup) },
      FilterPattern: '{ ($.message = "Reconciled jobs*") && ($.errors > 0) }',
      MetricTransformations: [
        {
          MetricNamespace: reconcilerMetricNamespace(service),
          MetricName: RECONCILER_ERRORS_METRIC,
          MetricValue: '$.errors',
          Unit: 'Count',
          DefaultValue: Match.absent(),
        },
      ],
    });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${fn.name}-joberrors`,
      Namespace: reconcilerMetricNamespace(service),
      MetricName: RECONCILER_ERRORS_METRIC,
      Dimensions: Match.absent(),
      Threshold: 1,
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    });
  });

  it('failed-event handler: alarms on its errors', () => {
    const fn = maintained('failedEvents');
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${fn.name}-errors`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(fn.function) } }],
    });
  });

  it('service: alarms on its failed jobs, from the JobsFailed metric its functions write (EMF)', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `${service.name}-jobsfailed`,
      Namespace: 'Baton',
      MetricName: 'JobsFailed',
      Dimensions: [{ Name: 'service', Value: service.name }],
      Period: 300,
      Threshold: 1,
      Statistic: 'Sum',
      TreatMissingData: 'notBreaching',
    });
  });

  it('has three alarms per function in use, three for the maintenance functions, one for failed jobs, and no others', () => {
    synth.template.resourceCountIs('AWS::CloudWatch::Alarm', 3 * inUse.length + 4);
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('finds nothing unacknowledged: synth with the plugin attached succeeded and the report is clean', () => {
    const reportPath = join(synth.outdir, 'validation-report.json');
    expect(existsSync(reportPath)).toBe(true);
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      pluginReports: { violations?: unknown[] }[];
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it('every acknowledgment names its rule and gives a reason a reviewer can check', () => {
    const acknowledged = synth.stack.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      expect(id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(reason.length).toBeGreaterThan(80);
    }
    const ids = new Set(acknowledged.map(([id]) => id.replace(/^Annotation::/, '')));
    expect([...ids].sort()).toEqual(
      [
        'AwsSolutions-APIG3',
        'AwsSolutions-APIG6',
        'AwsSolutions-COG4',
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        'AwsSolutions-IAM5[Resource::*]',
      ].sort(),
    );
  });

  it('the acknowledgments are written into the template for auditors', () => {
    const tracing = synth.template.toJSON().Resources[logicalId(deployed('api').tracingPolicy)];
    expect(tracing.Metadata.cdk_nag.rules_to_suppress).toEqual([
      expect.objectContaining({ id: 'AwsSolutions-IAM5[Resource::*]', reason: expect.any(String) }),
    ]);
  });
});

it('covers every function key of the definition that is in use', () => {
  expect([...synth.service.functions.keys()]).toEqual(inUse);
  expect(functionKeys(service).filter((key) => !inUse.includes(key))).toEqual([]);
});
