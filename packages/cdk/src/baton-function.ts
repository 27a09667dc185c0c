import { ArnFormat, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ALARM_PERIOD, batonAlarm } from './alarms.js';
import { bundlingProject, entryPath, lambdaBundling } from './bundling.js';
import { INDEX_ACTIONS } from './permissions.js';

/** How long Baton keeps the logs it writes, unless told otherwise. */
export const DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH;

export interface BatonFunctionProps {
  /** The deployed name: fixed, because Baton's functions find each other by name. */
  readonly functionName: string;
  /** The handler module (its export is `handler`): absolute, or relative to `projectDir`. */
  readonly entry: string;
  /**
   * The folder a relative `entry` is relative to.
   * @default process.cwd()
   */
  readonly projectDir?: string;
  /**
   * The project's lock file (a relative path is relative to `projectDir`). NodejsFunction bundles from its
   * folder (every entry must be under it) and runs esbuild with the package manager it names.
   * @default - the first package-lock.json, pnpm-lock.yaml, yarn.lock or bun.lock(b) in `projectDir` or above
   */
  readonly depsLockFilePath?: string;
  /** @default - no description */
  readonly description?: string;
  /** @default 1024 */
  readonly memorySize?: number;
  /** @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /**
   * Concurrency reserved for, and capping, the function.
   * @default - none reserved
   */
  readonly reservedConcurrentExecutions?: number;
  /** @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /**
   * Lambda's recursive-loop detection. Baton's max-hops design depends on it, so it is always set explicitly.
   * @default lambda.RecursiveLoop.TERMINATE
   */
  readonly recursiveLoop?: lambda.RecursiveLoop;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Added to every alarm of the function. @default - none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * An alarm on throttles (the function hit its reserved concurrency).
   * @default true
   */
  readonly throttlesAlarm?: boolean;
  /** @default '<functionName> threw or timed out.' */
  readonly errorsAlarmDescription?: string;
  /**
   * Write esbuild's metafile into the bundle (tests compare bundles with it). Never for a deploy: it would
   * ship inside the function's zip.
   * @default false
   */
  readonly bundleMetafile?: boolean;
}

/**
 * A Lambda function as Baton builds every one: NodejsFunction from the handler module with the shared bundling
 * (one ESM file, AWS SDK inside), nodejs24.x on arm64, an explicit role that may write only the function's own
 * log group (no AWSLambdaBasicExecutionRole), that log group with its retention, X-Ray active tracing from a
 * policy of its own, the recursive-loop setting, and alarms on errors and throttles.
 */
export class BatonFunction extends Construct {
  readonly functionName: string;
  /** The absolute path of the handler module NodejsFunction bundled. */
  readonly entryPath: string;
  readonly function: NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  /** X-Ray's two actions on `*`, alone in a policy (see `activeTracing`). */
  readonly tracingPolicy: iam.Policy;
  readonly errorsAlarm: cloudwatch.Alarm;
  readonly throttlesAlarm: cloudwatch.Alarm | undefined;
  private readonly alarmActions: readonly cloudwatch.IAlarmAction[];
  private readonly extraAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: BatonFunctionProps) {
    super(scope, id);
    const project = bundlingProject(props);
    this.functionName = props.functionName;
    this.entryPath = entryPath(props.entry, project.projectDir);
    this.alarmActions = props.alarmActions ?? [];

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
    });
    // An explicit role, so the function gets no AWSLambdaBasicExecutionRole (logs:* on every log group).
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.functionName}`,
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.function = new NodejsFunction(this, 'Function', {
      functionName: props.functionName,
      ...(props.description !== undefined && { description: props.description }),
      entry: this.entryPath,
      handler: 'handler',
      projectRoot: project.projectRoot,
      depsLockFilePath: project.depsLockFilePath,
      bundling: lambdaBundling({ metafile: props.bundleMetafile ?? false }),
      // nodejs22.x is deprecated in April 2027; 24.x is supported until 2028.
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 1024,
      timeout: props.timeout ?? Duration.seconds(30),
      ...(props.reservedConcurrentExecutions !== undefined && {
        reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      }),
      environment: { ...props.environment },
      role: this.role,
      logGroup: this.logGroup,
      // Explicit even where it is Lambda's default: the max-hops design depends on it.
      recursiveLoop: props.recursiveLoop ?? lambda.RecursiveLoop.TERMINATE,
    });
    this.tracingPolicy = this.activeTracing();

    const period = ALARM_PERIOD;
    const name = props.functionName;
    this.errorsAlarm = batonAlarm(this, 'ErrorsAlarm', {
      alarmName: `${name}-errors`,
      description: props.errorsAlarmDescription ?? `${name} threw or timed out.`,
      metric: this.function.metricErrors({ period, statistic: 'Sum' }),
      alarmActions: this.alarmActions,
    });
    this.throttlesAlarm =
      (props.throttlesAlarm ?? true)
        ? batonAlarm(this, 'ThrottlesAlarm', {
            alarmName: `${name}-throttles`,
            description: `${name} hit its reserved concurrency: requests were refused or async events delayed.`,
            metric: this.function.metricThrottles({ period, statistic: 'Sum' }),
            alarmActions: this.alarmActions,
          })
        : undefined;
  }

  /** The function's alarms, and any added with `addAlarm`. */
  get alarms(): readonly cloudwatch.Alarm[] {
    return [this.errorsAlarm, ...(this.throttlesAlarm ? [this.throttlesAlarm] : []), ...this.extraAlarms];
  }

  /**
   * Another alarm about this function, named `<functionName>-<suffix>` and given the function's alarm actions.
   */
  addAlarm(
    id: string,
    props: { readonly suffix: string; readonly description: string; readonly metric: cloudwatch.IMetric },
  ): cloudwatch.Alarm {
    const alarm = batonAlarm(this, id, {
      alarmName: `${this.functionName}-${props.suffix}`,
      description: props.description,
      metric: props.metric,
      alarmActions: this.alarmActions,
    });
    this.extraAlarms.push(alarm);
    return alarm;
  }

  /**
   * DynamoDB actions on the jobs table with exact resources: Query on the one index the function queries (it
   * needs `index`), every other action on the table only.
   */
  grantJobsTable(
    table: dynamodb.ITable,
    actions: readonly string[],
    index?: { readonly name: string; readonly sid: string },
  ): void {
    const isIndexAction = (action: string) => (INDEX_ACTIONS as readonly string[]).includes(action);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'JobsTable',
        actions: actions.filter((action) => !isIndexAction(action)),
        resources: [table.tableArn],
      }),
    );
    const indexActions = actions.filter(isIndexAction);
    if (indexActions.length === 0) return;
    if (!index) throw new Error(`${indexActions.join(', ')} needs the index it goes to.`);
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: index.sid,
        actions: indexActions,
        resources: [`${table.tableArn}/index/${index.name}`],
      }),
    );
  }

  /**
   * lambda:InvokeFunction on functions named by their fixed names, never by their Function resources: a
   * function's policy naming its own ARN would be a dependency cycle.
   */
  grantDispatch(functionNames: readonly string[]): void {
    if (functionNames.length === 0) return;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DispatchJobs',
        actions: ['lambda:InvokeFunction'],
        resources: functionNames.map((name) => functionArnFromName(this, name)),
      }),
    );
  }

  /**
   * X-Ray active tracing. Set here rather than with the `tracing` prop, which would put X-Ray's `Resource: *`
   * (its actions have no resource-level permissions) into the role's default policy: a policy of its own keeps
   * the acknowledgment of that one wildcard from covering anything else the default policy may ever hold.
   */
  private activeTracing(): iam.Policy {
    const policy = new iam.Policy(this, 'TracingPolicy', {
      roles: [this.role],
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
    (this.function.node.defaultChild as lambda.CfnFunction).tracingConfig = { mode: lambda.Tracing.ACTIVE };
    this.function.node.addDependency(policy);
    return policy;
  }
}

/** The ARN of a function in the stack's account and region, by its name (no reference to its resource). */
export function functionArnFromName(scope: Construct, functionName: string): string {
  return Stack.of(scope).formatArn({
    service: 'lambda',
    resource: 'function',
    resourceName: functionName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}
