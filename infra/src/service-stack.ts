import { type GatewayResponseDefinition, PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import { jobsTable, jobsTableDefinition } from '@baton/dynamodb';
import {
  type Door,
  type FunctionKey,
  functionEnvironment,
  functionName,
  functionsInUse,
  jobRunner,
  jobsTableName,
  type MaintenanceKey,
  maintenanceEnvironment,
  maintenanceFunctionName,
  type ServiceDefinition,
} from '@baton/example/service-definition';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { EventBridgeDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { lambdaBundling } from './bundling.js';
import { entryPath, exampleAppDir, lockFilePath, repositoryRoot } from './paths.js';
import {
  FAILED_EVENTS_TABLE_ACTIONS,
  INDEX_ACTIONS,
  RECONCILER_TABLE_ACTIONS,
  tableActionsFor,
} from './permissions.js';
import { checkRecursionSetting } from './recursion.js';

export interface ServiceStackProps extends StackProps {
  readonly definition: ServiceDefinition;
  /** The folder the definition's `entry` paths are relative to. Default: apps/example. */
  readonly appDir?: string;
  /**
   * Deploy the regional API Gateway account setting (the role API Gateway writes REST access logs with).
   * Default: the context value `baton:apiGatewayAccountRole` (`cdk deploy -c baton:apiGatewayAccountRole=false`),
   * else true. Turn it off where the account already has one, so this stack does not replace it.
   */
  readonly apiGatewayAccountRole?: boolean;
  /** Write esbuild's metafile into each bundle (tests compare it with the local service's bundles). */
  readonly bundleMetafile?: boolean;
}

/** What the stack built for one function of the definition; tests and outputs read it. */
export interface DeployedFunction {
  readonly key: FunctionKey;
  readonly name: string;
  /** The absolute path of the handler module NodejsFunction bundled. */
  readonly entryPath: string;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** The rule that sees this function's failed async events as they happen (not replays). */
  readonly failureRule: events.Rule;
  /** The rule that hands this function's replayed failed events back to it. */
  readonly replayRule: events.Rule;
}

/** What the stack built for one maintenance function (the reconciler, the failed-event handler). */
export interface MaintenanceFunction {
  readonly key: MaintenanceKey;
  readonly name: string;
  /** The absolute path of the handler module NodejsFunction bundled. */
  readonly entryPath: string;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** What invokes it: the schedule (reconciler) or the rule on the failure bus (failed-event handler). */
  readonly trigger: events.Rule;
}

/** Lambda's EventBridge destination names its events so (lambda/latest/dg/invocation-async-retain-records). */
export const FAILURE_SOURCE = 'lambda';
export const FAILURE_DETAIL_TYPE = 'Lambda Function Invocation Result - Failure';
export const REST_API_STAGE = 'prod';
export const ACCOUNT_ROLE_CONTEXT = 'baton:apiGatewayAccountRole';
/** Where the reconciler's `errors` count (jobs it could not move on in a pass) is published: `Baton/<service>`. */
export const reconcilerMetricNamespace = (definition: ServiceDefinition) => `Baton/${definition.name}`;
export const RECONCILER_ERRORS_METRIC = 'ReconcilerJobErrors';
const LOG_RETENTION = logs.RetentionDays.ONE_MONTH;
const ARCHIVE_RETENTION = Duration.days(30);
const ALARM_PERIOD = Duration.minutes(5);

/** The HTTP routes of @baton/http (packages/http/src/http-api.ts), as the REST API and the HTTP API declare them. */
export const HTTP_ROUTES = [
  { path: '/jobs', method: 'POST' },
  { path: '/jobs', method: 'GET' },
  { path: '/jobs/{id}', method: 'GET' },
  { path: '/jobs/{id}/cancel', method: 'POST' },
  { path: '/operations', method: 'GET' },
] as const;

const pascal = (text: string) => text.replace(/(^|[-_])(\w)/g, (_, _sep, c: string) => c.toUpperCase());

/**
 * The example service on AWS, built from the service definition the local stack reads: the jobs table, the
 * functions in use with their doors, async configuration, failure destination, least-privilege roles, logs
 * and alarms.
 */
export class ServiceStack extends Stack {
  readonly definition: ServiceDefinition;
  readonly table: dynamodb.Table;
  readonly failureBus: events.EventBus;
  readonly failedEventsLogGroup: logs.LogGroup;
  readonly functions: ReadonlyMap<FunctionKey, DeployedFunction>;
  /** The reconciler and the failed-event handler. */
  readonly maintenance: ReadonlyMap<MaintenanceKey, MaintenanceFunction>;
  readonly restApi: apigw.RestApi | undefined;
  readonly httpApi: apigwv2.HttpApi | undefined;
  readonly functionUrl: lambda.FunctionUrl | undefined;

  constructor(scope: Construct, id: string, props: ServiceStackProps) {
    super(scope, id, props);
    const definition = props.definition;
    checkRecursionSetting(definition);
    this.definition = definition;

    this.table = this.jobsTable();
    const failures = this.failureDestination();
    this.failureBus = failures.bus;
    this.failedEventsLogGroup = failures.logGroup;

    const functions = new Map<FunctionKey, DeployedFunction>();
    for (const key of functionsInUse(definition)) {
      functions.set(key, this.serviceFunction(key, props));
    }
    this.functions = functions;
    this.maintenance = new Map<MaintenanceKey, MaintenanceFunction>([
      ['reconciler', this.reconciler(props)],
      ['failedEvents', this.failedEventHandler(props)],
    ]);

    const servedBy = (door: Door) =>
      [...functions.values()].find((fn) => definition.functions[fn.key].doors.includes(door));
    const restFn = servedBy('rest-api');
    this.restApi =
      restFn &&
      this.restApiDoor(restFn, props.apiGatewayAccountRole ?? this.contextFlag(ACCOUNT_ROLE_CONTEXT, true));
    const httpFn = servedBy('http-api');
    this.httpApi = httpFn && this.httpApiDoor(httpFn);
    const urlFn = servedBy('function-url');
    this.functionUrl = urlFn && this.functionUrlDoor(urlFn);
    // The 'invoke' door needs no resource: lambda:InvokeFunction on the function is the authorization.
    const invokeFn = servedBy('invoke');
    if (invokeFn) new CfnOutput(this, 'InvokeFunctionName', { value: invokeFn.name });

    new CfnOutput(this, 'JobsTableName', { value: this.table.tableName });
    new CfnOutput(this, 'FailureBusName', { value: this.failureBus.eventBusName });
    new CfnOutput(this, 'FailedEventsLogGroupName', { value: this.failedEventsLogGroup.logGroupName });
  }

  /** Built from @baton/dynamodb's own table definition, so the cloud table and the local one cannot differ. */
  private jobsTable(): dynamodb.Table {
    const spec = jobsTableDefinition(jobsTableName(this.definition));
    if (spec.BillingMode !== 'PAY_PER_REQUEST')
      throw new Error('The jobs table is expected to be on-demand.');
    const attribute = (name: string | undefined): dynamodb.Attribute => {
      const type = spec.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
      const types = { S: dynamodb.AttributeType.STRING, N: dynamodb.AttributeType.NUMBER };
      if (!name || (type !== 'S' && type !== 'N')) throw new Error(`Unsupported key attribute ${name}.`);
      return { name, type: types[type] };
    };
    const keyOf = (schema: typeof spec.KeySchema, kind: 'HASH' | 'RANGE') =>
      schema?.find((key) => key.KeyType === kind)?.AttributeName;

    const table = new dynamodb.Table(this, 'JobsTable', {
      tableName: spec.TableName,
      partitionKey: attribute(keyOf(spec.KeySchema, 'HASH')),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: jobsTable.ttl,
      // The AWS managed key (aws/dynamodb) rather than the AWS owned default: every use of it is in CloudTrail,
      // it costs no monthly key fee, and DynamoDB caches its data key so the KMS request charges are negligible.
      // A customer managed key would add $1/month and a key policy to maintain, for control nobody needs here.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Jobs are users' data: deleting the stack leaves the table (docs/deploy.md says how to delete it).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const index of spec.GlobalSecondaryIndexes ?? []) {
      const sortKey = keyOf(index.KeySchema, 'RANGE');
      const projection = index.Projection?.ProjectionType;
      if (!index.IndexName || !projection) throw new Error('An index needs a name and a projection.');
      table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: attribute(keyOf(index.KeySchema, 'HASH')),
        ...(sortKey && { sortKey: attribute(sortKey) }),
        projectionType: projection as dynamodb.ProjectionType,
        ...(projection === 'INCLUDE' && {
          nonKeyAttributes: [...(index.Projection?.NonKeyAttributes ?? [])],
        }),
      });
    }
    return table;
  }

  /**
   * Failed async events go to an EventBridge bus whose archive keeps them replayable (docs/decisions/0005).
   * Per function, one rule forwards live failures to a log group (and counts them for an alarm) and another
   * hands replayed ones back to the function.
   */
  private failureDestination() {
    const bus = new events.EventBus(this, 'FailureBus', {
      eventBusName: `${this.definition.name}-failures`,
      description: `Failed async invocations of ${this.definition.name}'s functions (Lambda on-failure destination).`,
    });
    bus.archive('FailedEventsArchive', {
      archiveName: `${this.definition.name}-failures`,
      description:
        'Every failed async invocation, kept for replay (start-replay hands them back to the function).',
      eventPattern: { source: [FAILURE_SOURCE], detailType: [FAILURE_DETAIL_TYPE] },
      retention: ARCHIVE_RETENTION,
    });
    const logGroup = new logs.LogGroup(this, 'FailedEventsLogs', { retention: LOG_RETENTION });
    // EventBridge writes to a log group only if the group's resource policy lets it. CDK's log-group target
    // would create that policy through a custom-resource Lambda; the native resource does the same job.
    new logs.ResourcePolicy(this, 'FailedEventsLogsPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [logGroup.logGroupArn],
        }),
      ],
    });
    return { bus, logGroup };
  }

  private contextFlag(name: string, fallback: boolean): boolean {
    const value: unknown = this.node.tryGetContext(name);
    return value === undefined ? fallback : value === true || value === 'true';
  }

  private functionArn(name: string): string {
    return this.formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: name,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * A function as every function of the stack is built: NodejsFunction from the handler module with the shared
   * bundling, nodejs24.x on arm64, an explicit role that may write only the function's own log group (no
   * AWSLambdaBasicExecutionRole), the log group with its retention, X-Ray, and the recursive-loop setting.
   */
  private lambdaFunction(
    id: string,
    spec: {
      readonly name: string;
      readonly entry: string;
      readonly description: string;
      readonly timeoutSeconds: number;
      readonly memoryMb: number;
      readonly reservedConcurrency: number | undefined;
      readonly environment: Record<string, string>;
    },
    props: ServiceStackProps,
  ) {
    const entry = entryPath(spec.entry, props.appDir ?? exampleAppDir);
    const logGroup = new logs.LogGroup(this, `${id}Logs`, { retention: LOG_RETENTION });
    // An explicit role, so the function gets no AWSLambdaBasicExecutionRole (logs:* on every log group).
    const role = new iam.Role(this, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${spec.name}`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    const handler = new NodejsFunction(this, `${id}Function`, {
      functionName: spec.name,
      description: spec.description,
      entry,
      handler: 'handler',
      projectRoot: repositoryRoot,
      depsLockFilePath: lockFilePath,
      bundling: lambdaBundling({ metafile: props.bundleMetafile ?? false }),
      // nodejs22.x is deprecated in April 2027; 24.x is supported until 2028.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: spec.memoryMb,
      timeout: Duration.seconds(spec.timeoutSeconds),
      ...(spec.reservedConcurrency !== undefined && {
        reservedConcurrentExecutions: spec.reservedConcurrency,
      }),
      environment: spec.environment,
      role,
      logGroup,
      // Explicit even where it is Lambda's default: the max-hops design depends on it (checkRecursionSetting).
      recursiveLoop:
        this.definition.recursiveLoop === 'Allow'
          ? lambda.RecursiveLoop.ALLOW
          : lambda.RecursiveLoop.TERMINATE,
    });
    this.activeTracing(id, handler, role);
    return { entryPath: entry, function: handler, role, logGroup };
  }

  /**
   * DynamoDB actions with exact resources: Query on the one index the function queries, every other action on
   * the table only.
   */
  private grantJobsTable(
    role: iam.Role,
    actions: readonly string[],
    index?: { readonly name: string; readonly sid: string },
  ): void {
    const isIndexAction = (action: string) => (INDEX_ACTIONS as readonly string[]).includes(action);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'JobsTable',
        actions: actions.filter((action) => !isIndexAction(action)),
        resources: [this.table.tableArn],
      }),
    );
    const indexActions = actions.filter(isIndexAction);
    if (indexActions.length === 0) return;
    if (!index) throw new Error(`${indexActions.join(', ')} needs the index it goes to.`);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: index.sid,
        actions: indexActions,
        resources: [`${this.table.tableArn}/index/${index.name}`],
      }),
    );
  }

  /**
   * lambda:InvokeFunction on functions named by their fixed names, never by their Function resources: a
   * function's policy naming its own ARN would be a dependency cycle (decision 0005).
   */
  private grantInvoke(role: iam.Role, names: readonly string[]): void {
    if (names.length === 0) return;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DispatchJobs',
        actions: ['lambda:InvokeFunction'],
        resources: names.map((name) => this.functionArn(name)),
      }),
    );
  }

  private serviceFunction(key: FunctionKey, props: ServiceStackProps): DeployedFunction {
    const definition = this.definition;
    const fn = definition.functions[key];
    const name = functionName(key, definition);
    const id = pascal(key);
    const {
      entryPath: entry,
      function: handler,
      role,
      logGroup,
    } = this.lambdaFunction(
      id,
      {
        name,
        entry: fn.entry,
        description: fn.description,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        reservedConcurrency: fn.reservedConcurrency,
        environment: functionEnvironment(key, definition),
      },
      props,
    );
    // Query goes to the owner index only; every other action to the table only.
    this.grantJobsTable(role, tableActionsFor(fn), { name: jobsTable.ownerIndex, sid: 'JobsOwnerIndex' });
    // Which functions this one invokes, from the definition: itself if it runs jobs (continuations and retries
    // are self-invocations), and the function its jobs go to.
    this.grantInvoke(
      role,
      jobTargets(definition, key).map((target) => functionName(target, definition)),
    );
    handler.configureAsyncInvoke({
      retryAttempts: fn.async.maximumRetryAttempts,
      maxEventAge: Duration.seconds(fn.async.maximumEventAgeSeconds),
      onFailure: new EventBridgeDestination(this.failureBus),
    });

    const arn = this.functionArn(name);
    // Lambda reports the ARN it ran, usually qualified (`…:function:name:$LATEST`).
    const fromThisFunction = invokedFunctionIs([arn]);
    const failureRule = new events.Rule(this, `${id}FailureRule`, {
      eventBus: this.failureBus,
      description: `Failed async invocations of ${name}, as they happen.`,
      eventPattern: { source: [FAILURE_SOURCE], detailType: [FAILURE_DETAIL_TYPE], detail: fromThisFunction },
      targets: [new LogGroupTarget(this.failedEventsLogGroup)],
    });
    // A replayed event carries `replay-name` (the archive's own rule uses it to skip replays). The L2 pattern
    // has no such field, hence the override.
    replayOnly(failureRule, false);
    const replayRule = new events.Rule(this, `${id}ReplayRule`, {
      eventBus: this.failureBus,
      description: `Replayed failed invocations of ${name}: the original event goes back to the function.`,
      eventPattern: { source: [FAILURE_SOURCE], detailType: [FAILURE_DETAIL_TYPE], detail: fromThisFunction },
      targets: [
        new targets.LambdaFunction(handler, {
          event: events.RuleTargetInput.fromEventPath('$.detail.requestPayload'),
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    replayOnly(replayRule, true);

    this.alarms(id, name, handler, failureRule);
    new CfnOutput(this, `${id}FunctionName`, { value: name });
    return { key, name, entryPath: entry, function: handler, role, logGroup, failureRule, replayRule };
  }

  /**
   * The reconciler: every `everyMinutes` an EventBridge schedule runs one bounded pass of reconcileJobs, which
   * moves on the jobs nobody is looking after and sends recovered ones to the job runner. Reserved concurrency
   * 1: one pass at a time is enough, and a second one at once would only find the same jobs (it would be safe:
   * every change is a conditional write on the state read, so of two passes exactly one acts on a job).
   */
  private reconciler(props: ServiceStackProps): MaintenanceFunction {
    const definition = this.definition;
    const spec = definition.maintenance.reconciler;
    if (!Number.isInteger(spec.everyMinutes) || spec.everyMinutes < 1) {
      throw new Error(
        `${definition.name}: the reconciler runs every ${spec.everyMinutes} minutes, but an EventBridge ` +
          'schedule takes whole minutes, at least one.',
      );
    }
    const id = 'Reconciler';
    const name = maintenanceFunctionName('reconciler', definition);
    const built = this.lambdaFunction(
      id,
      {
        ...spec,
        name,
        reservedConcurrency: 1,
        environment: maintenanceEnvironment('reconciler', definition),
      },
      props,
    );
    const { function: handler, role } = built;
    // findStale queries the unfinished index and reads the jobs in one BatchGetItem; every change is an
    // UpdateItem (GetItem only to size an update DynamoDB refuses). Nothing is created, deleted or scanned.
    this.grantJobsTable(role, RECONCILER_TABLE_ACTIONS, {
      name: jobsTable.unfinishedIndex,
      sid: 'JobsUnfinishedIndex',
    });
    // Recovered jobs go to the function that runs jobs, by its fixed name (the one in BATON_JOBS_FUNCTION).
    this.grantInvoke(role, [functionName(jobRunner(definition), definition)]);
    // A pass that failed or waited is not worth running late: the next one comes within minutes and looks at
    // the same jobs. So no retries, the shortest event age Lambda allows, and no failure destination — a
    // schedule's event carries nothing to replay, and the `-errors` alarm reports the failure.
    handler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    const trigger = new events.Rule(this, `${id}Schedule`, {
      description: `Runs ${name} every ${spec.everyMinutes === 1 ? 'minute' : `${spec.everyMinutes} minutes`}: one reconciliation pass of the jobs.`,
      schedule: events.Schedule.rate(Duration.minutes(spec.everyMinutes)),
      targets: [new targets.LambdaFunction(handler, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    this.alarm(id, name, 'Errors', handler.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }), {
      description: `${name} threw or timed out: a reconciliation pass did not finish (the next one retries).`,
    });
    // The pass logs its counts; `errors` counts jobs it could not move on (store or dispatch failures). The
    // metric exists only while such lines are written, so it costs nothing idle.
    const jobErrors = new logs.MetricFilter(this, `${id}JobErrorsFilter`, {
      logGroup: built.logGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', 'Reconciled jobs*'),
        logs.FilterPattern.numberValue('$.errors', '>', 0),
      ),
      metricNamespace: reconcilerMetricNamespace(definition),
      metricName: RECONCILER_ERRORS_METRIC,
      metricValue: '$.errors',
      unit: cloudwatch.Unit.COUNT,
    });
    this.alarm(id, name, 'JobErrors', jobErrors.metric({ period: ALARM_PERIOD, statistic: 'Sum' }), {
      description: `${name} could not move some jobs on (DynamoDB or Invoke failed for them); it tries again next pass.`,
    });
    new CfnOutput(this, `${id}FunctionName`, { value: name });
    new CfnOutput(this, `${id}LogGroupName`, { value: built.logGroup.logGroupName });
    return { key: 'reconciler', name, ...built, trigger };
  }

  /**
   * The failed-event handler: a rule on the failure bus hands it Lambda's failure record of every job-run event
   * a job-running function gave up on, as it happens (not replays), and it marks that job failed with the
   * reason. It listens on the bus beside the archive, the log and the replay rules, rather than being the
   * functions' on-failure destination, so none of those is lost (decision 0005).
   */
  private failedEventHandler(props: ServiceStackProps): MaintenanceFunction {
    const definition = this.definition;
    const spec = definition.maintenance.failedEvents;
    const id = 'FailedEventHandler';
    const name = maintenanceFunctionName('failedEvents', definition);
    const built = this.lambdaFunction(
      id,
      {
        ...spec,
        name,
        reservedConcurrency: undefined,
        environment: maintenanceEnvironment('failedEvents', definition),
      },
      props,
    );
    const { function: handler, role } = built;
    this.grantJobsTable(role, FAILED_EVENTS_TABLE_ACTIONS);
    // EventBridge invokes it asynchronously: Lambda retries a record it failed on (a store error is thrown for
    // that) twice within the hour. No failure destination on purpose: its own failure record would go to the bus
    // it listens on, so a handler that cannot get through would keep feeding itself. A record it drops is still
    // in the archive and the FailedEventsLogs log group, its `-errors` alarm goes off, and the reconciler ends or
    // recovers the job anyway once it has been left alone for the grace period.
    handler.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });
    const runners = [...this.functions.values()].filter((fn) =>
      jobTargets(definition, fn.key).includes(fn.key),
    );
    const trigger = new events.Rule(this, `${id}Rule`, {
      eventBus: this.failureBus,
      description: `Failed job-run events of the functions that run jobs, as they happen: to ${name}.`,
      eventPattern: {
        source: [FAILURE_SOURCE],
        detailType: [FAILURE_DETAIL_TYPE],
        detail: invokedFunctionIs(runners.map((fn) => this.functionArn(fn.name))),
      },
      // The whole event: the handler reads Lambda's record from `detail`. EventBridge retries a delivery Lambda
      // refused (the invoke itself failing, not the function) for up to an hour; no dead-letter queue, for the
      // same reasons as above.
      targets: [new targets.LambdaFunction(handler, { retryAttempts: 2, maxEventAge: Duration.hours(1) })],
    });
    replayOnly(trigger, false);

    this.alarm(id, name, 'Errors', handler.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }), {
      description: `${name} threw or timed out on a failed job-run event (Lambda retries it; the reconciler is the backstop).`,
    });
    new CfnOutput(this, `${id}FunctionName`, { value: name });
    new CfnOutput(this, `${id}LogGroupName`, { value: built.logGroup.logGroupName });
    return { key: 'failedEvents', name, ...built, trigger };
  }

  /**
   * X-Ray active tracing. Set here rather than with the `tracing` prop, which would put X-Ray's `Resource: *`
   * (its actions have no resource-level permissions) into the role's default policy: a policy of its own keeps
   * the acknowledgment of that one wildcard from covering anything else the default policy may ever hold.
   */
  private activeTracing(id: string, handler: lambda.Function, role: iam.Role): void {
    const policy = new iam.Policy(this, `${id}TracingPolicy`, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'PutTraces',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
          resources: ['*'],
        }),
      ],
    });
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions (IAM service ' +
        'authorization reference for X-Ray), so "*" is the only possible resource; this policy holds nothing else.',
    });
    (handler.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    handler.node.addDependency(policy);
  }

  private alarm(
    id: string,
    name: string,
    suffix: string,
    metric: cloudwatch.IMetric,
    options: { readonly description: string },
  ): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this, `${id}${suffix}Alarm`, {
      alarmName: `${name}-${suffix.toLowerCase()}`,
      alarmDescription: options.description,
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  private alarms(id: string, name: string, handler: lambda.IFunction, failureRule: events.Rule) {
    const period = ALARM_PERIOD;
    this.alarm(id, name, 'Errors', handler.metricErrors({ period, statistic: 'Sum' }), {
      description: `${name} threw or timed out.`,
    });
    this.alarm(id, name, 'Throttles', handler.metricThrottles({ period, statistic: 'Sum' }), {
      description: `${name} hit its reserved concurrency: requests were refused or async events delayed.`,
    });
    this.alarm(
      id,
      name,
      'FailedEvents',
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'MatchedEvents',
        dimensionsMap: { RuleName: failureRule.ruleName },
        statistic: 'Sum',
        period,
      }),
      {
        description: `An async event of ${name} exhausted its retries and went to the failure bus (replayable from the archive).`,
      },
    );
  }

  private restApiDoor(target: DeployedFunction, accountRole: boolean): apigw.RestApi {
    const accessLogs = new logs.LogGroup(this, 'RestApiAccessLogs', { retention: LOG_RETENTION });
    const api = new apigw.RestApi(this, 'RestApi', {
      restApiName: `${this.definition.name}-rest`,
      description: `${this.definition.name}: REST API door (IAM authorization on every method).`,
      // Regional: the only kind whose 29 s integration timeout can be raised by quota request.
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // REST access logs need API Gateway's account-level CloudWatch role; see the acknowledgment below.
      cloudWatchRole: accountRole,
      deployOptions: {
        stageName: REST_API_STAGE,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat('rest'),
        tracingEnabled: true,
      },
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
    });
    // cdk-nag (APIG2) wants a validator that checks parameters and bodies. Parameters are checked here (the
    // job id is required). Bodies have no gateway model on purpose: the domain validates them against each
    // operation's zod schema and answers problem+json with JSON pointers, locally and in the cloud alike; a
    // gateway model would be a weaker copy answering in another format.
    const validator = api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'parameters-and-bodies',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integration = new apigw.LambdaIntegration(target.function, { proxy: true, allowTestInvoke: false });
    for (const route of HTTP_ROUTES) {
      const resource = api.root.resourceForPath(route.path);
      const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      resource.addMethod(route.method, integration, {
        authorizationType: apigw.AuthorizationType.IAM,
        requestValidator: validator,
        requestParameters: Object.fromEntries(
          pathParameters.map((name) => [`method.request.path.${name}`, true]),
        ),
      });
    }
    this.gatewayResponses(api, PROBLEM_GATEWAY_RESPONSES);
    Validations.of(api.deploymentStage).acknowledge(
      {
        id: 'AwsSolutions-APIG3',
        reason:
          'No WAF web ACL: every method requires IAM (SigV4) authorization, so API Gateway refuses unsigned ' +
          'requests before any integration runs, and reserved concurrency caps what signed callers can spend. ' +
          'A web ACL (≈ $6/month at rest) is worth adding for callers outside the owning organisation.',
      },
      {
        id: 'AwsSolutions-APIG6',
        reason:
          'Execution logging stays off: the JSON access log records every request (caller, status, latency, ' +
          'integration error) and the function logs every request itself; execution logs would go to a log group ' +
          'API Gateway creates outside this stack, with no retention.',
      },
    );
    for (const method of api.methods) {
      Validations.of(method).acknowledge({
        id: 'AwsSolutions-COG4',
        reason:
          'Callers are AWS principals authorized by IAM (AWS_IAM on every method), not Cognito users: the ' +
          "job owner is the caller's IAM ARN.",
      });
    }
    const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      Validations.of(cloudWatchRole).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          "API Gateway's account-level logging role is assumed only by apigateway.amazonaws.com and needs to " +
          'create and write log groups API Gateway names itself; AmazonAPIGatewayPushToCloudWatchLogs is the ' +
          'policy AWS documents for it and maintains.',
      });
    }
    new CfnOutput(this, 'RestApiUrl', { value: api.url });
    return api;
  }

  /**
   * What the REST API answers when API Gateway itself refuses or fails a request (unsigned, throttled, Lambda
   * refused the invoke, …): the problems of @baton/api-gateway, so every answer is application/problem+json
   * (decision 0006). CDK folds them into the deployment's logical id, so a change redeploys the stage. An HTTP
   * API has no gateway responses: AWS offers none for it.
   */
  private gatewayResponses(api: apigw.RestApi, responses: readonly GatewayResponseDefinition[]): void {
    for (const response of responses) {
      api.addGatewayResponse(`GatewayResponse${pascal(response.type.toLowerCase())}`, {
        type: apigw.ResponseType.of(response.type),
        ...(response.statusCode !== undefined && { statusCode: response.statusCode }),
        responseHeaders: { ...response.responseHeaders },
        templates: { 'application/json': response.template },
      });
    }
  }

  private httpApiDoor(target: DeployedFunction): apigwv2.HttpApi {
    const accessLogs = new logs.LogGroup(this, 'HttpApiAccessLogs', { retention: LOG_RETENTION });
    const api = new apigwv2.HttpApi(this, 'HttpApi', {
      apiName: `${this.definition.name}-http`,
      description: `${this.definition.name}: HTTP API door (IAM authorization on every route).`,
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The default stage is added below, with access logs (the default one cannot have them).
      createDefaultStage: false,
    });
    const stage = api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(accessLogs),
        format: accessLogFormat('http'),
      },
    });
    const integration = new HttpLambdaIntegration('HttpApiIntegration', target.function);
    for (const route of HTTP_ROUTES) {
      api.addRoutes({
        path: route.path,
        methods: [route.method as apigwv2.HttpMethod],
        integration,
      });
    }
    new CfnOutput(this, 'HttpApiUrl', { value: stage.url });
    return api;
  }

  private functionUrlDoor(target: DeployedFunction): lambda.FunctionUrl {
    const url = target.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    new CfnOutput(this, 'FunctionUrl', { value: url.url });
    return url;
  }
}

/**
 * The functions a function invokes, as the definition lays them out: the function its jobs go to, and itself
 * if it runs jobs — its own (`jobsGoTo: 'self'`) or those another function sends it — because continuation
 * hops and retries are self-invocations of whichever function runs the job.
 */
export function jobTargets(definition: ServiceDefinition, key: FunctionKey): FunctionKey[] {
  const fn = definition.functions[key];
  const inUse = functionsInUse(definition);
  const receivesJobs = inUse.some((other) => other !== key && definition.functions[other].jobsGoTo === key);
  const targets = new Set<FunctionKey>();
  if (fn.jobsGoTo === 'self' || receivesJobs) targets.add(key);
  if (fn.jobsGoTo !== 'self') targets.add(fn.jobsGoTo);
  return [...targets];
}

/**
 * One JSON line per request, with the caller's IAM ARN (the job owner) and where time went. The REST and HTTP
 * APIs know different variables: only the HTTP API has a route key, only the REST API a resource path.
 */
function accessLogFormat(kind: 'rest' | 'http'): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      caller: '$context.identity.userArn',
      sourceIp: '$context.identity.sourceIp',
      method: '$context.httpMethod',
      ...(kind === 'rest' ? { resource: '$context.resourcePath' } : { route: '$context.routeKey' }),
      path: '$context.path',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationStatus: '$context.integrationStatus',
      integrationError: '$context.integrationErrorMessage',
      error: '$context.error.message',
    }),
  );
}

/**
 * An event pattern for failure records of these functions. Lambda reports the ARN it ran, usually qualified
 * (`…:function:name:$LATEST`), so each ARN matches bare or as a prefix.
 */
function invokedFunctionIs(arns: readonly string[]) {
  return { requestContext: { functionArn: arns.flatMap((arn) => [arn, { prefix: `${arn}:` }]) } };
}

/** Matches only replayed events (`replay-name` present) or only live ones. */
function replayOnly(rule: events.Rule, replayed: boolean): void {
  (rule.node.defaultChild as events.CfnRule).addPropertyOverride('EventPattern.replay-name', [
    { exists: replayed },
  ]);
}

/** A CloudWatch Logs rule target whose resource policy is a native resource (see failureDestination). */
class LogGroupTarget implements events.IRuleTarget {
  constructor(private readonly logGroup: logs.LogGroup) {}
  bind(): events.RuleTargetConfig {
    const stack = Stack.of(this.logGroup);
    return {
      arn: stack.formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: this.logGroup.logGroupName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    };
  }
}
