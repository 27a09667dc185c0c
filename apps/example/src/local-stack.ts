import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import { createJobsTable } from '@baton/dynamodb';
import {
  type FailedEvent,
  type FaultOptions,
  isLoopbackHost,
  type LambdaFunctionDefinition,
  type LambdaService,
  type LocalCredential,
  startEmbeddedDynamoDb,
  startFunctionUrlEmulator,
  startHttpApiEmulator,
  startLambdaService,
  startRestApiEmulator,
} from '@baton/local';
import { toJobRunEvent } from '@baton/self-invoke';
import {
  service as exampleService,
  functionEnvironment,
  functionFor,
  functionName,
  functionsInUse,
  jobRunner,
  jobsTableName,
  maintenanceEnvironment,
  maintenanceFunctionName,
  type ServiceDefinition,
} from './service-definition.js';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');

export interface LocalStackOptions {
  readonly host?: string;
  /** The first of five consecutive ports: REST API, HTTP API, Function URL, Invoke API, DynamoDB. 0 = any free ports. */
  readonly basePort?: number;
  /** Where DynamoDB keeps its data; absent = in memory (tests). */
  readonly dataDir?: string;
  readonly logs?: 'forward' | 'quiet';
  /** Who a direct invoke acts for when it names no caller. */
  readonly defaultCaller?: string;
  readonly service?: ServiceDefinition;
  /**
   * Who may call, with the secrets their SigV4 signatures are checked against. Required off loopback: every door
   * and the Invoke API then refuse requests not signed by one of them. On loopback signatures only name callers.
   */
  readonly credentials?: readonly LocalCredential[];
  /** Extra environment variables for every function. */
  readonly environment?: Readonly<Record<string, string>>;
  /** The lease of a job run. Default 10 s locally: a runner stopped with the stack is taken over soon after a restart. */
  readonly leaseTtlMs?: number;
  /**
   * The reconciler's timer (AWS: the definition's schedule, every minute): how often it runs and after how long it
   * looks at an unwritten job. Default: every 10 s, a grace of one lease. `false` turns the timer off.
   */
  readonly reconciler?: { readonly everyMs?: number; readonly graceMs?: number } | false;
  /** Scales the local Lambda service's async retry backoff and event age (see LambdaServiceOptions.timeScale). */
  readonly timeScale?: number;
  /** Fault injection in the local Lambda service (see FaultOptions). */
  readonly faults?: FaultOptions;
}

/** What `.baton/endpoints.json` holds: every URL a base that the routes append to. */
export interface Endpoints {
  readonly invoke: string;
  readonly restApi: string;
  readonly httpApi: string;
  readonly functionUrl: string;
  readonly dynamodb: string;
  readonly functions: Record<string, string>;
}

export const LOCAL_STAGE = 'local';
export const LOCAL_CALLER = 'arn:aws:iam::000000000000:user/local-developer';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const portAt = (base: number, offset: number) => (base === 0 ? 0 : base + offset);

/**
 * The whole example service on this machine, from the service definition: the embedded DynamoDB with the jobs
 * table, every function in the local Lambda service (the same handler modules the CDK app deploys), and an
 * emulator for each HTTP door.
 */
export async function startLocalStack(options: LocalStackOptions = {}) {
  const definition = options.service ?? exampleService;
  const host = options.host ?? '127.0.0.1';
  const base = options.basePort ?? 0;
  // Off loopback, refuse before anything listens (every server would refuse on its own, one by one).
  const signatures = { credentials: options.credentials ?? [] };
  if (!isLoopbackHost(host) && signatures.credentials.length === 0) {
    throw new Error(
      `${host} is not a loopback address: every door checks SigV4 signatures there, and no credentials were given to check them against.`,
    );
  }
  // The embedded DynamoDB has no authentication at all: it stays on loopback (the functions run on this machine).
  const dynamoHost = isLoopbackHost(host) ? host : '127.0.0.1';
  const [clientCredentials = credentials] = signatures.credentials;
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => {});
  };
  try {
    const dynamo = await startEmbeddedDynamoDb({
      host: dynamoHost,
      port: portAt(base, 4),
      ...(options.dataDir && { dataDir: options.dataDir }),
    });
    stops.push(() => dynamo.stop());
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    // A table left by an older version is rebuilt with its jobs: on a laptop that beats an error.
    await createJobsTable(client, jobsTableName(definition), { rebuildIfOutdated: true });
    const unfinished = await unfinishedJobIds(client, jobsTableName(definition));
    client.destroy();

    const leaseTtlMs = options.leaseTtlMs ?? 10_000;
    const reconcilerTimer = options.reconciler === false ? undefined : (options.reconciler ?? {});
    const common = {
      BATON_DEFAULT_CALLER: options.defaultCaller ?? LOCAL_CALLER,
      BATON_LEASE_TTL_MS: String(leaseTtlMs),
      ...options.environment,
    };
    const doorFunctions: LambdaFunctionDefinition[] = functionsInUse(definition).map((key) => {
      const fn = definition.functions[key];
      return {
        name: functionName(key, definition),
        entry: fn.entry,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        reservedConcurrency: fn.reservedConcurrency,
        async: fn.async,
        recursiveLoop: definition.recursiveLoop,
        environment: { ...functionEnvironment(key, definition), ...common },
      };
    });
    // The functions that look after jobs: the reconciler (on the timer below) and the failed-event handler.
    const maintenanceFunctions: LambdaFunctionDefinition[] = (['reconciler', 'failedEvents'] as const).map(
      (key) => {
        const fn = definition.maintenance[key];
        return {
          name: maintenanceFunctionName(key, definition),
          entry: fn.entry,
          timeoutSeconds: fn.timeoutSeconds,
          memoryMb: fn.memoryMb,
          reservedConcurrency: 1,
          async: { maximumRetryAttempts: 0, maximumEventAgeSeconds: 60 },
          environment: {
            ...maintenanceEnvironment(key, definition),
            ...common,
            ...(key === 'reconciler' && {
              BATON_RECONCILE_GRACE_MS: String(reconcilerTimer?.graceMs ?? leaseTtlMs),
            }),
          },
        };
      },
    );
    const functions = [...doorFunctions, ...maintenanceFunctions];
    const lambda: LambdaService = await startLambdaService({
      functions,
      host,
      port: portAt(base, 3),
      baseDir: appDir,
      environment: { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint },
      logs: options.logs ?? 'forward',
      ...(options.timeScale !== undefined && { timeScale: options.timeScale }),
      ...(options.faults !== undefined && { faults: options.faults }),
      ...signatures,
    });
    stops.push(() => lambda.stop());
    const accessLogs = { logs: options.logs ?? 'forward' } as const;

    const door = (kind: Parameters<typeof functionFor>[0]) => functionFor(kind, definition);
    const rest = await startRestApiEmulator({
      lambdaUrl: lambda.url,
      functionName: functionName(door('rest-api'), definition),
      stage: LOCAL_STAGE,
      host,
      port: portAt(base, 0),
      // The problem+json gateway responses the CDK app deploys: API Gateway's own errors answer alike here.
      gatewayResponses: PROBLEM_GATEWAY_RESPONSES,
      ...accessLogs,
      ...signatures,
    });
    stops.push(() => rest.stop());
    const http = await startHttpApiEmulator({
      lambdaUrl: lambda.url,
      functionName: functionName(door('http-api'), definition),
      host,
      port: portAt(base, 1),
      ...accessLogs,
      ...signatures,
    });
    stops.push(() => http.stop());
    const urlKey = door('function-url');
    const url = await startFunctionUrlEmulator({
      lambdaUrl: lambda.url,
      functionName: functionName(urlKey, definition),
      timeoutSeconds: definition.functions[urlKey].timeoutSeconds,
      host,
      port: portAt(base, 2),
      ...accessLogs,
      ...signatures,
    });
    stops.push(() => url.stop());

    const housekeeping = startHousekeeping(lambda, definition, clientCredentials, reconcilerTimer?.everyMs);
    stops.push(() => housekeeping.stop());

    const resumed = await resumeJobs(
      lambda.url,
      functionName(jobRunner(definition), definition),
      unfinished,
      clientCredentials,
    );

    const endpoints: Endpoints = {
      invoke: lambda.url,
      restApi: rest.url,
      httpApi: http.url,
      functionUrl: url.url,
      dynamodb: dynamo.endpoint,
      functions: Object.fromEntries(
        functionsInUse(definition).map((key) => [key, functionName(key, definition)]),
      ),
    };
    return { endpoints, lambda, stop, resumed, reconcileNow: housekeeping.reconcileNow };
  } catch (error) {
    await stop();
    throw error;
  }
}

export async function writeEndpointsFile(path: string, endpoints: Endpoints): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(endpoints, null, 2)}\n`);
}

/**
 * Jobs left queued or running when the stack last stopped: their job-run events lived only in the local Lambda
 * service's memory. A full scan is fine for a laptop's table; AWS keeps its own async queue and needs none.
 */
async function unfinishedJobIds(client: DynamoDBClient, tableName: string): Promise<string[]> {
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
 * Dispatches each unfinished job again. Its runner is gone, so the new delivery waits out the dead lease and
 * takes the job over from its last checkpoint; a job that was merely queued is simply claimed.
 */
async function resumeJobs(
  lambdaUrl: string,
  runner: string,
  jobIds: readonly string[],
  signer: { accessKeyId: string; secretAccessKey: string },
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
 * What AWS does on a schedule and on the failure bus, done here by a timer: runs the reconciler (the same handler
 * the CDK app schedules every minute) and hands each async event the Lambda service gave up on to the
 * failed-event handler, as the EventBridge rule on the failure bus does — an EventBridge event whose detail is
 * Lambda's invocation record. Failed events stay in the Lambda service's failure destination for `redrive`.
 */
function startHousekeeping(
  lambda: LambdaService,
  definition: ServiceDefinition,
  callerCredentials: { accessKeyId: string; secretAccessKey: string },
  everyMs: number | undefined,
) {
  const client = new LambdaClient({
    endpoint: lambda.url,
    region: lambda.region,
    credentials: callerCredentials,
  });
  const reconciler = maintenanceFunctionName('reconciler', definition);
  const failedEvents = maintenanceFunctionName('failedEvents', definition);
  const forwarded = new Set<string>();
  const invokeAsync = (name: string, payload: unknown) =>
    client.send(
      new InvokeCommand({
        FunctionName: name,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(payload)),
      }),
    );
  const forwardFailedEvents = async () => {
    for (const event of lambda.failedEvents()) {
      if (forwarded.has(event.id) || event.functionName === failedEvents) continue;
      forwarded.add(event.id);
      await invokeAsync(failedEvents, failureBusEvent(event, lambda)).catch(() => forwarded.delete(event.id));
    }
  };
  const reconcileNow = () =>
    invokeAsync(reconciler, { source: 'baton.local', 'detail-type': 'Scheduled Event' });
  // Failed events are forwarded within a second; the reconciler runs every `everyMs` (default 10 s).
  const failedEventTimer = setInterval(() => void forwardFailedEvents().catch(() => {}), 1_000);
  const reconcileTimer = setInterval(() => void reconcileNow().catch(() => {}), everyMs ?? 10_000);
  failedEventTimer.unref();
  reconcileTimer.unref();
  return {
    reconcileNow,
    stop: async () => {
      clearInterval(failedEventTimer);
      clearInterval(reconcileTimer);
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
