import { statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import { createJobsTable } from '@baton/dynamodb';
import { looksLikeJobRunEvent, toJobReplayEvent, toJobRunEvent } from '@baton/self-invoke';
import {
  type Door,
  doorsInUse,
  functionEnvironment,
  functionName,
  functionsInUse,
  jobRunner,
  jobsTableName,
  MAINTENANCE_KEYS,
  maintenanceEnvironment,
  maintenanceFunctionName,
  type NamingOptions,
  type ServiceDefinition,
  servingFunction,
} from '@baton/service';
import { type Dashboard, startDashboard } from './dashboard/server.js';
import { startEmbeddedDynamoDb } from './embedded-dynamodb.js';
import type { FailedEvent } from './failure-destination.js';
import type { FaultOptions } from './fault-injection.js';
import type { EmulatorHandle } from './front-door.js';
import type { LambdaFunctionDefinition } from './function-definition.js';
import { startFunctionUrlEmulator } from './function-url-emulator.js';
import { startHttpApiEmulator } from './http-api-emulator.js';
import { type LambdaService, startLambdaService } from './lambda-service.js';
import { startRestApiEmulator } from './rest-api-emulator.js';
import { isLoopbackHost, type LocalCredential } from './sigv4.js';

export interface StartServiceOptions {
  /** The folder the definition's entries are relative to: the project's folder (where its baton.config.ts is). */
  readonly appDir: string;
  /** Put before every name, as in the cloud: `dev` → `dev-<service>-<function>`, `dev-<service>-jobs`. */
  readonly prefix?: string;
  /** Default 127.0.0.1. Off loopback every door and the Invoke API check SigV4 signatures against `credentials`. */
  readonly host?: string;
  /**
   * The first of six consecutive ports: +0 REST API, +1 HTTP API, +2 Function URL, +3 Invoke API, +4 DynamoDB,
   * +5 the dashboard (a door the service does not have leaves its port unused). 0 (the default) = any free ports.
   */
  readonly basePort?: number;
  /** Where DynamoDB keeps its data; absent = in memory (tests). */
  readonly dataDir?: string;
  /**
   * Where the functions' bundles go, kept between runs: a restart whose inputs did not change reuses them and
   * starts no bundler (`baton dev`: `.baton/bundles`). Absent: a temporary folder, removed on stop.
   */
  readonly bundleDir?: string;
  /** How long an idle execution environment is kept (see LambdaServiceOptions.idleEnvironmentTtlMs). */
  readonly idleEnvironmentTtlMs?: number;
  /** Function logs and the doors' access logs: 'forward' (default) to this process's output, or 'quiet'. */
  readonly logs?: 'forward' | 'quiet';
  /** Who a direct invoke acts for when it names no caller. Default: LOCAL_CALLER. */
  readonly defaultCaller?: string;
  /**
   * Who may call, with the secrets their SigV4 signatures are checked against. Required off loopback: every door
   * and the Invoke API then refuse requests not signed by one of them. On loopback signatures only name callers.
   */
  readonly credentials?: readonly LocalCredential[];
  /** Extra environment variables for every function. */
  readonly environment?: Readonly<Record<string, string>>;
  /** The lease of a job run. Default 10 s locally: a runner stopped with the service is taken over soon after a restart. */
  readonly leaseTtlMs?: number;
  /**
   * The reconciler's timer (AWS: the definition's schedule, every minute or more): how often it runs and after
   * how long it looks at an unwritten job. Default: every 10 s, a grace of one lease. `false` turns the timer off.
   */
  readonly reconciler?: { readonly everyMs?: number; readonly graceMs?: number } | false;
  /** Scales the local Lambda service's async retry backoff and event age (see LambdaServiceOptions.timeScale). */
  readonly timeScale?: number;
  /** Fault injection in the local Lambda service (see FaultOptions). */
  readonly faults?: FaultOptions;
  /**
   * Pick up changes to a function's sources without a restart: the next invocation runs the new code (see
   * LambdaServiceOptions.reloadOnChange). Default false.
   */
  readonly reloadOnChange?: boolean;
}

/**
 * Where a running service is reached (what `.baton/endpoints.json` holds): every URL a base that the routes
 * append to. A door the service does not have is absent.
 */
export interface Endpoints {
  /** The Lambda Invoke API: the `invoke` door, and the way in to every function. */
  readonly invoke: string;
  /** The REST API (API Gateway v1), its stage included: `http://127.0.0.1:3000/local`. */
  readonly restApi?: string;
  /** The HTTP API (API Gateway v2). */
  readonly httpApi?: string;
  readonly functionUrl?: string;
  readonly dynamodb: string;
  /** The dashboard, a page for a browser: every owner's jobs, live; the failed events; these endpoints. */
  readonly dashboard: string;
  /** Each function in use, by key: its name (as deployed, so also the name to invoke). */
  readonly functions: Record<string, string>;
  /** The function serving the `invoke` door (its name, to invoke through `invoke`), when the service has one. */
  readonly invokeFunction?: string;
}

export interface RunningService {
  readonly endpoints: Endpoints;
  readonly lambda: LambdaService;
  /** The dashboard: its URL, and the operations its examples run (`baton dev` learns them once the service is up). */
  readonly dashboard: Pick<Dashboard, 'url' | 'setOperations'>;
  /** Jobs left queued or running by the last run (a `dataDir` keeps them), dispatched again at start. */
  readonly resumed: number;
  /** Runs the reconciler now, as its schedule would (asynchronously: resolves once it is queued). */
  reconcileNow(): Promise<void>;
  /** Stops everything, the doors last started first. */
  stop(): Promise<void>;
}

/** The stage of the local REST API (its URL's first path segment). */
export const LOCAL_STAGE = 'local';
/** Who a direct invoke acts for, locally, when it names no caller. */
export const LOCAL_CALLER = 'arn:aws:iam::000000000000:user/local-developer';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** The highest base port: its sixth port (+5) is the highest there is. */
const MAX_BASE_PORT = 65_535 - 5;
export class PortInUse extends Error {
  override readonly name = 'PortInUse';
}

/** Listens on the port for a moment: the clearest way to learn whether another process holds it. */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise((resolveFree, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE'
          ? new PortInUse(
              `Port ${port} on ${host} is in use by another process: stop it, or choose other ports (the first of six, e.g. --port ${port + 10}).`,
            )
          : error,
      ),
    );
    probe.listen(port, host, () => probe.close(() => resolveFree()));
  });
}

const portAt = (base: number, offset: number) => (base === 0 ? 0 : base + offset);

/**
 * A whole service on this machine, from its definition: the embedded DynamoDB with the jobs table, every
 * function in use and the maintenance functions in the local Lambda service (the same handler modules that are
 * deployed, under the same names), an emulator for each HTTP door the service has, and what AWS does on a
 * schedule and on the failure bus. Jobs left unfinished by the last run are dispatched again.
 *
 * Every option is checked before anything listens; on a failure part-way, what had started is stopped.
 */
export async function startService<K extends string>(
  definition: ServiceDefinition<K>,
  options: StartServiceOptions,
): Promise<RunningService> {
  const host = options.host ?? '127.0.0.1';
  const base = options.basePort ?? 0;
  if (!Number.isInteger(base) || base < 0 || base > MAX_BASE_PORT) {
    throw new Error(
      `basePort must be 0 (any free ports) or the first of six ports, 1 to ${MAX_BASE_PORT}; got ${base}.`,
    );
  }
  const appDir = checkedAppDir(options.appDir);
  // Off loopback, refuse before anything listens (every server would refuse on its own, one by one).
  const signatures = { credentials: options.credentials ?? [] };
  if (!isLoopbackHost(host) && signatures.credentials.length === 0) {
    throw new Error(
      `${host} is not a loopback address: every door checks SigV4 signatures there, and no credentials were given to check them against.`,
    );
  }
  const naming: NamingOptions = options.prefix === undefined ? {} : { prefix: options.prefix };
  const inUse = functionsInUse(definition);
  const nameOf = (key: K) => functionName(definition, key, naming);
  // The embedded DynamoDB and the dashboard check no signatures at all: they stay on loopback (the functions run
  // on this machine, and the dashboard is an admin tool for whoever sits at it).
  const dynamoHost = isLoopbackHost(host) ? host : '127.0.0.1';
  const [clientCredentials = credentials] = signatures.credentials;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.splice(0).reverse()) await stopOne().catch(() => {});
  };
  // Bundling every function takes seconds: a port someone else holds is found before that, not after.
  if (base !== 0) {
    for (let offset = 0; offset <= 5; offset++) {
      await assertPortFree(offset >= 4 ? dynamoHost : host, base + offset);
    }
  }
  try {
    const dynamo = await startEmbeddedDynamoDb({
      host: dynamoHost,
      port: portAt(base, 4),
      ...(options.dataDir && { dataDir: options.dataDir }),
    });
    stops.push(() => dynamo.stop());
    const tableName = jobsTableName(definition, naming);
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    let unfinished: string[];
    try {
      // A table left by an older version is rebuilt with its jobs: on a laptop that beats an error.
      await createJobsTable(client, tableName, { rebuildIfOutdated: true });
      unfinished = await unfinishedJobIds(client, tableName);
    } finally {
      client.destroy();
    }

    const leaseTtlMs = options.leaseTtlMs ?? 10_000;
    const reconcilerTimer = options.reconciler === false ? undefined : (options.reconciler ?? {});
    const common = {
      // The AWS SDK warns at every cold start that its releases after January 2027 need Node 22: a fact about
      // this machine's Node, not about the deployed functions (nodejs24.x), repeated in every environment.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      BATON_DEFAULT_CALLER: options.defaultCaller ?? LOCAL_CALLER,
      BATON_LEASE_TTL_MS: String(leaseTtlMs),
      ...options.environment,
    };
    const serviceFunctions: LambdaFunctionDefinition[] = inUse.map((key) => {
      const fn = definition.functions[key];
      return {
        name: nameOf(key),
        entry: fn.entry,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        ...(fn.reservedConcurrency !== undefined && { reservedConcurrency: fn.reservedConcurrency }),
        async: fn.async,
        recursiveLoop: definition.recursiveLoop,
        environment: { ...functionEnvironment(definition, key, naming), ...common },
      };
    });
    // The functions that look after jobs: the reconciler (on the timer below) and the failed-event handler.
    const maintenanceFunctions: LambdaFunctionDefinition[] = MAINTENANCE_KEYS.map((key) => {
      const fn = definition.maintenance[key];
      return {
        name: maintenanceFunctionName(definition, key, naming),
        entry: fn.entry,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        reservedConcurrency: 1,
        async: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 },
        environment: {
          ...maintenanceEnvironment(definition, key, naming),
          ...common,
          ...(key === 'reconciler' && {
            BATON_RECONCILE_GRACE_MS: String(reconcilerTimer?.graceMs ?? leaseTtlMs),
          }),
        },
      };
    });
    const logs = options.logs ?? 'forward';
    const lambda = await startLambdaService({
      functions: [...serviceFunctions, ...maintenanceFunctions],
      host,
      port: portAt(base, 3),
      baseDir: appDir,
      environment: { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint },
      logs,
      // A replay tells the worker so: only a replay puts back in the queue a job failed because Lambda gave up
      // delivering its event (decision 0015), as the failure bus's replay rule does in AWS.
      redrivePayload: (failed) =>
        looksLikeJobRunEvent(failed.payload) ? toJobReplayEvent(failed.payload, failed.id) : failed.payload,
      ...(options.timeScale !== undefined && { timeScale: options.timeScale }),
      ...(options.faults !== undefined && { faults: options.faults }),
      ...(options.reloadOnChange !== undefined && { reloadOnChange: options.reloadOnChange }),
      ...(options.bundleDir !== undefined && { bundleDir: options.bundleDir }),
      ...(options.idleEnvironmentTtlMs !== undefined && {
        idleEnvironmentTtlMs: options.idleEnvironmentTtlMs,
      }),
      ...signatures,
    });
    stops.push(() => lambda.stop());

    // An emulator for each HTTP door the service has, in front of the function serving it.
    const doorCommon = { lambdaUrl: lambda.url, host, logs, ...signatures };
    const startDoor = async (
      door: Exclude<Door, 'invoke'>,
      start: (key: K) => Promise<EmulatorHandle>,
    ): Promise<string | undefined> => {
      const key = servingFunction(definition, door);
      if (key === undefined) return undefined;
      const emulator = await start(key);
      stops.push(() => emulator.stop());
      return emulator.url;
    };
    const restApi = await startDoor('rest-api', (key) =>
      startRestApiEmulator({
        ...doorCommon,
        functionName: nameOf(key),
        stage: LOCAL_STAGE,
        port: portAt(base, 0),
        // The problem+json gateway responses that are deployed: API Gateway's own errors answer alike here.
        gatewayResponses: PROBLEM_GATEWAY_RESPONSES,
      }),
    );
    const httpApi = await startDoor('http-api', (key) =>
      startHttpApiEmulator({ ...doorCommon, functionName: nameOf(key), port: portAt(base, 1) }),
    );
    const functionUrl = await startDoor('function-url', (key) =>
      startFunctionUrlEmulator({
        ...doorCommon,
        functionName: nameOf(key),
        timeoutSeconds: definition.functions[key].timeoutSeconds,
        port: portAt(base, 2),
      }),
    );

    const housekeeping = startHousekeeping(lambda, {
      reconciler: maintenanceFunctionName(definition, 'reconciler', naming),
      failedEvents: maintenanceFunctionName(definition, 'failedEvents', naming),
      callerCredentials: clientCredentials,
      everyMs: reconcilerTimer === undefined ? undefined : (reconcilerTimer.everyMs ?? 10_000),
    });
    stops.push(() => housekeeping.stop());

    const resumed = await resumeJobs(
      lambda.url,
      nameOf(jobRunner(definition)),
      unfinished,
      clientCredentials,
    );

    const invokeDoorFunction = servingFunction(definition, 'invoke');
    let endpoints: Omit<Endpoints, 'dashboard'> & { dashboard?: string } = {
      invoke: lambda.url,
      ...(restApi !== undefined && { restApi }),
      ...(httpApi !== undefined && { httpApi }),
      ...(functionUrl !== undefined && { functionUrl }),
      dynamodb: dynamo.endpoint,
      functions: Object.fromEntries(inUse.map((key) => [key, nameOf(key)])),
      ...(invokeDoorFunction !== undefined && { invokeFunction: nameOf(invokeDoorFunction) }),
    };
    const dashboard = await startDashboard({
      service: definition.name,
      host: dynamoHost,
      port: portAt(base, 5),
      dynamodbEndpoint: dynamo.endpoint,
      tableName,
      lambda,
      endpoints: () => endpoints,
      servedBy: Object.fromEntries(
        doorsInUse(definition).map((door) => [door, servingFunction(definition, door)]),
      ),
      signer: clientCredentials,
    });
    stops.push(() => dashboard.stop());
    endpoints = { ...endpoints, dashboard: dashboard.url };
    return {
      endpoints: endpoints as Endpoints,
      lambda,
      dashboard,
      stop,
      resumed,
      reconcileNow: housekeeping.reconcileNow,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Writes the endpoints as JSON (`.baton/endpoints.json`), for scripts and clients to find the service by. */
export async function writeEndpointsFile(path: string, endpoints: Endpoints): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(endpoints, null, 2)}\n`);
}

function checkedAppDir(appDir: string): string {
  if (typeof appDir !== 'string' || appDir === '') {
    throw new Error("appDir is required: the folder the service definition's entries are relative to.");
  }
  const dir = resolve(appDir);
  if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    throw new Error(`appDir ${dir} is not a folder: it must hold the service definition's entries.`);
  }
  return dir;
}

/**
 * Jobs left queued or running when the service last stopped: their job-run events lived only in the local Lambda
 * service's memory. A full scan is fine for a laptop's table; AWS keeps its own async queue and needs none.
 */
export async function unfinishedJobIds(client: DynamoDBClient, tableName: string): Promise<string[]> {
  const ids: string[] = [];
  const pages = paginateScan(
    { client },
    {
      TableName: tableName,
      ConsistentRead: true,
      FilterExpression: '#status IN (:queued, :running)',
      ExpressionAttributeNames: { '#status': 'status', '#id': 'id' },
      ExpressionAttributeValues: { ':queued': { S: 'queued' }, ':running': { S: 'running' } },
      ProjectionExpression: '#id',
    },
  );
  for await (const page of pages) for (const item of page.Items ?? []) if (item.id?.S) ids.push(item.id.S);
  return ids;
}

/**
 * Dispatches each unfinished job again to `runner`. Its runner is gone, so the new delivery waits out the dead
 * lease and takes the job over from its last checkpoint; a job that was merely queued is simply claimed.
 * Resolves with how many were dispatched.
 */
export async function resumeJobs(
  lambdaUrl: string,
  runner: string,
  jobIds: readonly string[],
  signer: { readonly accessKeyId: string; readonly secretAccessKey: string },
): Promise<number> {
  if (jobIds.length === 0) return 0;
  const lambda = new LambdaClient({
    endpoint: lambdaUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: signer.accessKeyId, secretAccessKey: signer.secretAccessKey },
  });
  try {
    for (const jobId of jobIds) {
      await lambda.send(
        new InvokeCommand({
          FunctionName: runner,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(toJobRunEvent({ jobId, hop: 0 }))),
        }),
      );
    }
    return jobIds.length;
  } finally {
    lambda.destroy();
  }
}

/**
 * What AWS does on a schedule and on the failure bus, done here by timers: runs the reconciler (the handler that
 * is deployed on a schedule) and hands each async event the Lambda service gave up on to the failed-event
 * handler, as the EventBridge rule on the failure bus does — an EventBridge event whose detail is Lambda's
 * invocation record. Failed events stay in the Lambda service's failure destination for `redrive` (and the
 * Invoke API's `/_baton/failed-events` routes), which sends a job-run event back as a replay.
 */
function startHousekeeping(
  lambda: LambdaService,
  settings: {
    readonly reconciler: string;
    readonly failedEvents: string;
    readonly callerCredentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
    /** How often the reconciler runs; undefined: only when asked (`reconcileNow`). */
    readonly everyMs: number | undefined;
  },
) {
  const client = new LambdaClient({
    endpoint: lambda.url,
    region: lambda.region,
    credentials: {
      accessKeyId: settings.callerCredentials.accessKeyId,
      secretAccessKey: settings.callerCredentials.secretAccessKey,
    },
  });
  const forwarded = new Set<string>();
  const invokeAsync = async (name: string, payload: unknown) => {
    await client.send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
  };
  const forwardFailedEvents = async () => {
    for (const event of lambda.failedEvents()) {
      if (forwarded.has(event.id) || event.functionName === settings.failedEvents) continue;
      forwarded.add(event.id);
      await invokeAsync(settings.failedEvents, failureBusEvent(event, lambda)).catch(() =>
        forwarded.delete(event.id),
      );
    }
  };
  const reconcileNow = () =>
    invokeAsync(settings.reconciler, { source: 'baton.local', 'detail-type': 'Scheduled Event' });
  // Failed events are forwarded within a second; the reconciler runs every `everyMs`.
  const timers = [setInterval(() => void forwardFailedEvents().catch(() => {}), 1_000)];
  if (settings.everyMs !== undefined) {
    timers.push(setInterval(() => void reconcileNow().catch(() => {}), settings.everyMs));
  }
  for (const timer of timers) timer.unref();
  return {
    reconcileNow,
    stop: async () => {
      for (const timer of timers) clearInterval(timer);
      client.destroy();
    },
  };
}

/** The EventBridge event Lambda's EventBridge destination puts on the failure bus, for a failed local event. */
function failureBusEvent(event: FailedEvent, lambda: LambdaService) {
  return {
    version: '0',
    id: event.id,
    'detail-type': 'Lambda Function Invocation Result - Failure',
    source: 'lambda',
    account: lambda.accountId,
    time: event.failedAt,
    region: lambda.region,
    resources: [],
    detail: {
      version: '1.0',
      timestamp: event.failedAt,
      requestContext: {
        requestId: event.requestId,
        functionArn: `${event.functionArn}:$LATEST`,
        condition: event.reason,
        approximateInvokeCount: event.attempts,
      },
      requestPayload: event.payload,
      ...(event.error && {
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: event.error,
      }),
    },
  };
}
