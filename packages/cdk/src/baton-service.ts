import { jobsTable } from '@baton/dynamodb';
import {
  baseName,
  type Door,
  defineService,
  doorParameterName,
  doorsInUse,
  eventBusName,
  failureBusName,
  functionEnvironment,
  functionName,
  functionsInUse,
  jobRunner,
  jobsTableName,
  jobTargets,
  maintenanceEnvironment,
  maintenanceFunctionName,
  type NamingOptions,
  type ServiceDefinition,
  servingFunction,
} from '@baton/service';
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { jobsFailedAlarm } from './alarms.js';
import { BatonFunction, DEFAULT_LOG_RETENTION } from './baton-function.js';
import { bundlingProject } from './bundling.js';
import { FailureDestination } from './failure-destination.js';
import { FunctionUrlDoor } from './function-url-door.js';
import { HttpApiDoor } from './http-api-door.js';
import { InvokeDoor } from './invoke-door.js';
import { JobsTable } from './jobs-table.js';
import { tableActionsFor } from './permissions.js';
import { Reconciler } from './reconciler.js';
import { RestApiDoor } from './rest-api-door.js';

/** The context value that sets `apiGatewayAccountRole` from the command line (`-c baton:apiGatewayAccountRole=false`). */
export const ACCOUNT_ROLE_CONTEXT = 'baton:apiGatewayAccountRole';

/** What a team may change about one function without touching the service definition. */
export interface FunctionOverrides {
  /** @default - the definition's `memoryMb` */
  readonly memoryMb?: number;
  /** @default - the definition's `timeoutSeconds` */
  readonly timeoutSeconds?: number;
  /** @default - the definition's `reservedConcurrency` */
  readonly reservedConcurrency?: number;
}

export interface BatonServiceProps<K extends string = string> {
  /** The service, from `defineService` of @baton/service: the same definition `baton dev` runs. */
  readonly definition: ServiceDefinition<K>;
  /**
   * The folder the definition's `entry` paths are relative to.
   * @default process.cwd()
   */
  readonly projectDir?: string;
  /**
   * The project's lock file (a relative path is relative to `projectDir`): NodejsFunction bundles from its
   * folder (the project root, which every entry must be under) with the package manager it names.
   * @default - the first package-lock.json, pnpm-lock.yaml, yarn.lock or bun.lock(b) in `projectDir` or above
   */
  readonly depsLockFilePath?: string;
  /**
   * Put before every name (functions, table, bus, APIs, alarms, parameters): `staging` → `staging-reports-api`,
   * so two stages, or two copies of a service, fit one account. Lower-case letters, digits and hyphens.
   * @default - no prefix: names start with the definition's name
   */
  readonly prefix?: string;
  /** Per function of the definition: memory, timeout and reserved concurrency for this deployment. @default - none */
  readonly functions?: { readonly [Key in K]?: FunctionOverrides };
  /** Of every log group: functions, access logs, failed events. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** How long failed async events stay in the archive, replayable. @default Duration.days(30) */
  readonly failedEventsRetention?: Duration;
  /** Added to every alarm (errors, throttles, failed events, the reconciler's job errors). @default - none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * Deploy the regional API Gateway account setting (the role API Gateway writes REST access logs with), when
   * the service has a REST API. One per account and region: turn it off where the account already has one.
   * @default - the context value `baton:apiGatewayAccountRole`, else true
   */
  readonly apiGatewayAccountRole?: boolean;
  /**
   * A jobs table made elsewhere (for instance a `JobsTable` in a stateful stack); it must have the design of
   * @baton/dynamodb's `jobsTableDefinition`. The functions are told its name.
   * @default - a JobsTable named `jobsTableName(definition, { prefix })` is created
   */
  readonly existingTable?: dynamodb.ITable;
  /**
   * What deleting the stack does to the table BatonService creates (not with `existingTable`).
   * @default RemovalPolicy.RETAIN - jobs are users' data
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Write esbuild's metafile into each bundle, for tests that compare bundles. Never for a deploy: it would
   * ship inside the zips.
   * @default false
   */
  readonly bundleMetafile?: boolean;
}

/** Lambda's limits on names Baton sets (function names 64, archive names 48 characters). */
const MAX_FUNCTION_NAME = 64;
const MAX_ARCHIVE_NAME = 48;
const PREFIX = /^[a-z](?:[a-z0-9-]*[a-z0-9])?$/;

const pascal = (text: string) => text.replace(/(^|[-_])(\w)/g, (_, _sep, c: string) => c.toUpperCase());

/**
 * A Baton service on AWS, built from its service definition: the jobs table, each function in use with its
 * doors (REST API, HTTP API, Function URL, direct invoke — each published as an SSM parameter), async
 * configuration and failure destination, the failed-event handler, the reconciler and its schedule, least-
 * privilege roles, logs and alarms. Every part is a construct of its own, exposed here and usable alone.
 */
export class BatonService<K extends string = string> extends Construct {
  readonly definition: ServiceDefinition<K>;
  /** The names this deployment uses (its prefix). */
  readonly naming: NamingOptions;
  readonly table: dynamodb.ITable;
  /** The table BatonService created; undefined with `existingTable`. */
  readonly jobsTable: JobsTable | undefined;
  /** The functions in use (`functionsInUse`), by key of the definition. */
  readonly functions: ReadonlyMap<K, BatonFunction>;
  readonly failureDestination: FailureDestination;
  readonly failureBus: events.IEventBus;
  /** The service's own bus: a `Baton Job Finished` event for every job that ends (decision 0018). */
  readonly eventBus: events.EventBus;
  readonly reconciler: Reconciler;
  /** Goes off when a job of the service ends failed (the `JobsFailed` job metric, decision 0019). */
  readonly jobsFailedAlarm: cloudwatch.Alarm;
  readonly doors: {
    readonly restApi?: RestApiDoor;
    readonly httpApi?: HttpApiDoor;
    readonly functionUrl?: FunctionUrlDoor;
    readonly invoke?: InvokeDoor;
  };
  readonly restApi: apigw.RestApi | undefined;
  readonly httpApi: apigwv2.HttpApi | undefined;
  readonly functionUrl: lambda.FunctionUrl | undefined;
  /** Where each door is, for clients: `doorParameterName(definition, door, { prefix })`. */
  readonly parameters: Readonly<Partial<Record<Door, ssm.StringParameter>>>;

  constructor(scope: Construct, id: string, props: BatonServiceProps<K>) {
    super(scope, id);
    // A definition made by hand (not through defineService) is checked here, before anything is built: the
    // same checks, so a definition `baton dev` refuses never deploys (maxHops against Lambda's loop detection…).
    const definition = defineService(props.definition);
    this.definition = definition;
    checkProps(definition, props);
    const naming: NamingOptions = props.prefix === undefined ? {} : { prefix: props.prefix };
    this.naming = naming;
    const base = baseName(definition, naming);
    const project = bundlingProject(props);
    const logRetention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    const alarmActions = props.alarmActions ?? [];
    const shared = {
      projectDir: project.projectDir,
      depsLockFilePath: project.depsLockFilePath,
      logRetention,
      alarmActions,
      bundleMetafile: props.bundleMetafile ?? false,
      recursiveLoop:
        definition.recursiveLoop === 'Allow' ? lambda.RecursiveLoop.ALLOW : lambda.RecursiveLoop.TERMINATE,
    };

    this.jobsTable = props.existingTable
      ? undefined
      : new JobsTable(this, 'JobsTable', {
          tableName: jobsTableName(definition, naming),
          ...(props.removalPolicy !== undefined && { removalPolicy: props.removalPolicy }),
        });
    const table = props.existingTable ?? (this.jobsTable as JobsTable).table;
    this.table = table;
    // The handlers find the table by name; a table made elsewhere may have another one.
    const tableEnvironment: Record<string, string> = props.existingTable
      ? { JOBS_TABLE: props.existingTable.tableName }
      : {};

    // A bus of its own, not the failure bus: rules on finished jobs never see (or replay) failed invocations.
    this.eventBus = new events.EventBus(this, 'Events', {
      eventBusName: eventBusName(definition, naming),
      description: `Events of ${base}: Baton Job Finished, one for every job that ends.`,
    });

    const inUse = functionsInUse(definition);
    const runsJobs = (key: K) => jobTargets(definition, key).includes(key);
    const failedEvents = definition.maintenance.failedEvents;
    this.failureDestination = new FailureDestination(this, 'Failures', {
      busName: failureBusName(definition, naming),
      description: `Failed async invocations of ${base}'s functions (Lambda on-failure destination).`,
      archiveRetention: props.failedEventsRetention ?? Duration.days(30),
      logRetention,
      alarmActions,
      table,
      jobRunnerFunctionNames: inUse.filter(runsJobs).map((key) => functionName(definition, key, naming)),
      parameterPath: failedEventsParameterPath(definition, naming),
      failedEventHandler: {
        ...shared,
        functionName: maintenanceFunctionName(definition, 'failedEvents', naming),
        entry: failedEvents.entry,
        description: failedEvents.description,
        memorySize: failedEvents.memoryMb,
        timeout: Duration.seconds(failedEvents.timeoutSeconds),
        environment: { ...maintenanceEnvironment(definition, 'failedEvents', naming), ...tableEnvironment },
      },
    });
    this.failureBus = this.failureDestination.bus;
    // Every function that can end a job announces it (BATON_EVENT_BUS, from the definition's environment).
    this.eventBus.grantPutEventsTo(this.failureDestination.handler.function);

    const functions = new Map<K, BatonFunction>();
    for (const key of inUse) {
      const spec = definition.functions[key];
      const overrides: FunctionOverrides = props.functions?.[key] ?? {};
      const reservedConcurrency = overrides.reservedConcurrency ?? spec.reservedConcurrency;
      const fn = new BatonFunction(this, `${pascal(key)}Function`, {
        ...shared,
        functionName: functionName(definition, key, naming),
        entry: spec.entry,
        description: spec.description,
        memorySize: overrides.memoryMb ?? spec.memoryMb,
        timeout: Duration.seconds(overrides.timeoutSeconds ?? spec.timeoutSeconds),
        ...(reservedConcurrency !== undefined && { reservedConcurrentExecutions: reservedConcurrency }),
        environment: { ...functionEnvironment(definition, key, naming), ...tableEnvironment },
      });
      // Query goes to the owner index only; every other action to the table only.
      fn.grantJobsTable(table, tableActionsFor(spec), { name: jobsTable.ownerIndex, sid: 'JobsOwnerIndex' });
      // Which functions this one invokes, from the definition: itself if it runs jobs (continuations and
      // retries are self-invocations), and the function its jobs go to.
      fn.grantDispatch(jobTargets(definition, key).map((target) => functionName(definition, target, naming)));
      fn.function.configureAsyncInvoke({
        retryAttempts: spec.async.maximumRetryAttempts,
        maxEventAge: Duration.seconds(spec.async.maximumEventAgeSeconds),
        onFailure: this.failureDestination.destination,
      });
      this.failureDestination.watch(fn);
      this.eventBus.grantPutEventsTo(fn.function);
      functions.set(key, fn);
    }
    this.functions = functions;

    const reconciler = definition.maintenance.reconciler;
    this.reconciler = new Reconciler(this, 'Reconciler', {
      ...shared,
      functionName: maintenanceFunctionName(definition, 'reconciler', naming),
      entry: reconciler.entry,
      description: reconciler.description,
      memorySize: reconciler.memoryMb,
      timeout: Duration.seconds(reconciler.timeoutSeconds),
      environment: { ...maintenanceEnvironment(definition, 'reconciler', naming), ...tableEnvironment },
      everyMinutes: reconciler.everyMinutes,
      table,
      jobRunnerFunctionName: functionName(definition, jobRunner(definition), naming),
      metricNamespace: reconcilerMetricNamespace(definition, naming),
    });
    this.eventBus.grantPutEventsTo(this.reconciler.handler.function);
    this.jobsFailedAlarm = jobsFailedAlarm(this, 'JobsFailedAlarm', {
      serviceName: definition.name,
      alarmName: `${base}-jobsfailed`,
      alarmActions,
    });

    const handlerOf = (door: Door): lambda.IFunction | undefined => {
      const key = servingFunction(definition, door);
      return key === undefined ? undefined : functions.get(key)?.function;
    };
    const parameterName = (door: Door) => doorParameterName(definition, door, naming);
    const restHandler = handlerOf('rest-api');
    const httpHandler = handlerOf('http-api');
    const urlHandler = handlerOf('function-url');
    const invokeHandler = handlerOf('invoke');
    this.doors = {
      ...(restHandler && {
        restApi: new RestApiDoor(this, 'RestApi', {
          handler: restHandler,
          restApiName: `${base}-rest`,
          description: `${base}: REST API door (IAM authorization on every method).`,
          parameterName: parameterName('rest-api'),
          accountRole: props.apiGatewayAccountRole ?? this.contextFlag(ACCOUNT_ROLE_CONTEXT, true),
          logRetention,
        }),
      }),
      ...(httpHandler && {
        httpApi: new HttpApiDoor(this, 'HttpApi', {
          handler: httpHandler,
          httpApiName: `${base}-http`,
          description: `${base}: HTTP API door (IAM authorization on every route).`,
          parameterName: parameterName('http-api'),
          logRetention,
        }),
      }),
      ...(urlHandler && {
        functionUrl: new FunctionUrlDoor(this, 'FunctionUrl', {
          handler: urlHandler,
          parameterName: parameterName('function-url'),
        }),
      }),
      // The invoke door needs no resource: lambda:InvokeFunction on the function is the authorization.
      ...(invokeHandler && {
        invoke: new InvokeDoor(this, 'Invoke', {
          handler: invokeHandler,
          parameterName: parameterName('invoke'),
        }),
      }),
    };
    this.restApi = this.doors.restApi?.api;
    this.httpApi = this.doors.httpApi?.api;
    this.functionUrl = this.doors.functionUrl?.functionUrl;
    const parameters: Partial<Record<Door, ssm.StringParameter>> = {};
    const byDoor: Record<Door, { parameter: ssm.StringParameter | undefined } | undefined> = {
      'rest-api': this.doors.restApi,
      'http-api': this.doors.httpApi,
      'function-url': this.doors.functionUrl,
      invoke: this.doors.invoke,
    };
    for (const door of doorsInUse(definition)) {
      const parameter = byDoor[door]?.parameter;
      if (parameter) parameters[door] = parameter;
    }
    this.parameters = parameters;
  }

  /** Every alarm of the service. */
  get alarms(): readonly cloudwatch.Alarm[] {
    return [
      ...[...this.functions.values()].flatMap((fn) => fn.alarms),
      ...this.reconciler.alarms,
      ...this.failureDestination.handler.alarms,
      this.jobsFailedAlarm,
    ];
  }

  /**
   * Lets the grantee call the service through every door it has (execute-api:Invoke on the APIs,
   * lambda:InvokeFunctionUrl on the Function URL, lambda:InvokeFunction on the invoke door's function) and read
   * the door parameters to find them. What a caller may then do with a job is the service's own check (owners).
   */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    const grants = [
      ...Object.values(this.doors).map((door) => door.grantInvoke(grantee)),
      ...Object.values(this.parameters).map((parameter) => parameter.grantRead(grantee)),
    ];
    return grants.reduce((all, grant) => all.combine(grant), iam.Grant.drop(grantee, 'no door'));
  }

  /** Lets the grantee list and replay the failed events (`baton failed list|replay`). */
  grantFailedEvents(grantee: iam.IGrantable): iam.Grant {
    return this.failureDestination.grantReplay(grantee);
  }

  private contextFlag(name: string, fallback: boolean): boolean {
    const value: unknown = this.node.tryGetContext(name);
    return value === undefined ? fallback : value === true || value === 'true';
  }
}

/**
 * Where `baton failed list|replay` finds the failed events of a deployed service: SSM parameters beside the door
 * parameters, `/baton/<prefix>-<service>/failed-events/{log-group,archive,bus}` (the log group's name is
 * CloudFormation's, and the ARNs need the account).
 */
export const failedEventsParameterPath = (definition: ServiceDefinition, naming: NamingOptions = {}) =>
  `/baton/${baseName(definition, naming)}/failed-events`;

/** Where the reconciler's job-errors metric is published: `Baton/<prefix>-<service>`. */
export const reconcilerMetricNamespace = (definition: ServiceDefinition, naming: NamingOptions = {}) =>
  `Baton/${baseName(definition, naming)}`;

/** Every problem with the props at once, each naming its prop, before anything is built. */
function checkProps<K extends string>(definition: ServiceDefinition<K>, props: BatonServiceProps<K>): void {
  const problems: string[] = [];
  if (props.prefix !== undefined && !PREFIX.test(props.prefix)) {
    problems.push(
      `prefix: '${props.prefix}' must be lower-case letters, digits and hyphens, starting with a letter ` +
        'and not ending with a hyphen.',
    );
  }
  if (props.existingTable && props.removalPolicy !== undefined) {
    problems.push(
      'existingTable and removalPolicy: set one or the other — removalPolicy applies to the table BatonService ' +
        'creates, and an existing table keeps its own.',
    );
  }
  const keys = Object.keys(definition.functions);
  for (const [key, overrides] of Object.entries<FunctionOverrides | undefined>(props.functions ?? {})) {
    const at = `functions.${key}`;
    if (!keys.includes(key)) {
      problems.push(`${at}: '${definition.name}' has no function '${key}' (it has ${keys.join(', ')}).`);
      continue;
    }
    const { memoryMb, timeoutSeconds, reservedConcurrency } = overrides ?? {};
    if (memoryMb !== undefined && (!Number.isInteger(memoryMb) || memoryMb < 128 || memoryMb > 10_240)) {
      problems.push(`${at}.memoryMb: 128 to 10240 (Lambda's range), not ${memoryMb}.`);
    }
    if (
      timeoutSeconds !== undefined &&
      (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 900)
    ) {
      problems.push(`${at}.timeoutSeconds: 1 to 900 (Lambda's range), not ${timeoutSeconds}.`);
    }
    if (
      reservedConcurrency !== undefined &&
      (!Number.isInteger(reservedConcurrency) || reservedConcurrency < 1)
    ) {
      problems.push(`${at}.reservedConcurrency: a whole number, at least 1, not ${reservedConcurrency}.`);
    }
  }
  if (problems.length === 0) {
    const naming = props.prefix === undefined ? {} : { prefix: props.prefix };
    const names = [
      ...functionsInUse(definition).map((key) => functionName(definition, key, naming)),
      maintenanceFunctionName(definition, 'reconciler', naming),
      maintenanceFunctionName(definition, 'failedEvents', naming),
    ];
    for (const name of names.filter((n) => n.length > MAX_FUNCTION_NAME)) {
      problems.push(
        `prefix: the function name '${name}' is longer than Lambda's ${MAX_FUNCTION_NAME} characters; use a ` +
          'shorter prefix, service name or function key.',
      );
    }
    const archive = failureBusName(definition, naming);
    if (archive.length > MAX_ARCHIVE_NAME) {
      problems.push(
        `prefix: the failed-events archive '${archive}' is longer than EventBridge's ${MAX_ARCHIVE_NAME} ` +
          'characters; use a shorter prefix or service name.',
      );
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `BatonService of '${definition.name}':\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
  }
}
