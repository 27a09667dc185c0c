import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { createJobsTable } from '@baton/dynamodb';
import {
  type LambdaFunctionDefinition,
  type LambdaService,
  startEmbeddedDynamoDb,
  startFunctionUrlEmulator,
  startHttpApiEmulator,
  startLambdaService,
  startRestApiEmulator,
} from '@baton/local';
import { toJobRunEvent } from '@baton/self-invoke';
import {
  service as exampleService,
  type FunctionKey,
  functionEnvironment,
  functionFor,
  functionName,
  functionsInUse,
  jobsTableName,
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
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => {});
  };
  try {
    const dynamo = await startEmbeddedDynamoDb({
      host,
      port: portAt(base, 4),
      ...(options.dataDir && { dataDir: options.dataDir }),
    });
    stops.push(() => dynamo.stop());
    const client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: 'us-east-1', credentials });
    await createJobsTable(client, jobsTableName(definition));
    const unfinished = await unfinishedJobIds(client, jobsTableName(definition));
    client.destroy();

    const functions: LambdaFunctionDefinition[] = functionsInUse(definition).map((key) => {
      const fn = definition.functions[key];
      return {
        name: functionName(key, definition),
        entry: fn.entry,
        timeoutSeconds: fn.timeoutSeconds,
        memoryMb: fn.memoryMb,
        reservedConcurrency: fn.reservedConcurrency,
        async: fn.async,
        recursiveLoop: definition.recursiveLoop,
        environment: {
          ...functionEnvironment(key, definition),
          BATON_DEFAULT_CALLER: options.defaultCaller ?? LOCAL_CALLER,
          // Locally a runner stopped with the stack is taken over within 10 s of a restart, not a minute.
          BATON_LEASE_TTL_MS: '10000',
        },
      };
    });
    const lambda: LambdaService = await startLambdaService({
      functions,
      host,
      port: portAt(base, 3),
      baseDir: appDir,
      environment: { AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint },
      logs: options.logs ?? 'forward',
    });
    stops.push(() => lambda.stop());

    const door = (kind: Parameters<typeof functionFor>[0]) => functionFor(kind, definition);
    const rest = await startRestApiEmulator({
      lambdaUrl: lambda.url,
      functionName: functionName(door('rest-api'), definition),
      stage: LOCAL_STAGE,
      host,
      port: portAt(base, 0),
    });
    stops.push(() => rest.stop());
    const http = await startHttpApiEmulator({
      lambdaUrl: lambda.url,
      functionName: functionName(door('http-api'), definition),
      host,
      port: portAt(base, 1),
    });
    stops.push(() => http.stop());
    const urlKey = door('function-url');
    const url = await startFunctionUrlEmulator({
      lambdaUrl: lambda.url,
      functionName: functionName(urlKey, definition),
      timeoutSeconds: definition.functions[urlKey].timeoutSeconds,
      host,
      port: portAt(base, 2),
    });
    stops.push(() => url.stop());

    const resumed = await resumeJobs(lambda.url, functionName(jobRunner(definition), definition), unfinished);

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
    return { endpoints, lambda, stop, resumed };
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

/** The function that runs jobs handed to it: the worker other doors send jobs to, or else any door's function. */
function jobRunner(definition: ServiceDefinition): FunctionKey {
  const used = functionsInUse(definition);
  return (
    used.find((key) => used.some((other) => definition.functions[other].jobsGoTo === key)) ??
    (used[0] as FunctionKey)
  );
}

/**
 * Dispatches each unfinished job again. Its runner is gone, so the new delivery waits out the dead lease and
 * takes the job over from its last checkpoint; a job that was merely queued is simply claimed.
 */
async function resumeJobs(lambdaUrl: string, runner: string, jobIds: readonly string[]): Promise<number> {
  if (jobIds.length === 0) return 0;
  const lambda = new LambdaClient({ endpoint: lambdaUrl, region: 'us-east-1', credentials });
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
