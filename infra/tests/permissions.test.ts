import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createJobsTable, jobsTable } from '@baton/dynamodb';
import {
  type FunctionKey,
  functionEnvironment,
  functionName,
  functionsInUse,
  jobsTableName,
  service,
} from '@baton/example/service-definition';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '@baton/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppDir, repositoryRoot } from '../src/paths.js';
import { DOOR_TABLE_ACTIONS } from '../src/permissions.js';
import {
  actionsOf,
  logicalId,
  resourcesOfStatement,
  type Synthesized,
  statementsOfRole,
  synthesize,
} from './support/synth.js';

/**
 * The grants are written by hand from the code; these tests hold them to the code. The real handler modules
 * of each function run here against an embedded DynamoDB behind a recording proxy and a fake Lambda Invoke
 * endpoint, and every DynamoDB action and every function they invoke must be granted to that function's role
 * in the synthesized template.
 */

it("grants the doors exactly the DynamoDB actions of the store's commands", () => {
  const source = readFileSync(join(repositoryRoot, 'packages/dynamodb/src/dynamodb-job-store.ts'), 'utf8');
  const commands = new Set([...source.matchAll(/new (\w+)Command\(/g)].map((match) => match[1]));
  const action: Record<string, string> = {
    BatchGet: 'BatchGetItem',
    Delete: 'DeleteItem',
    Get: 'GetItem',
    Put: 'PutItem',
    Query: 'Query',
    Update: 'UpdateItem',
  };
  const unknown = [...commands].filter((command) => command && !(command in action));
  expect(unknown, 'a command with no known IAM action: add it to the map and to permissions.ts').toEqual([]);
  expect([...commands].map((command) => `dynamodb:${action[command as string]}`).sort()).toEqual(
    [...DOOR_TABLE_ACTIONS].sort(),
  );
});

interface Recorded {
  readonly dynamodb: { action: string; indexName?: string }[];
  readonly invoked: { functionName: string; payload: unknown }[];
}

const recorded: Recorded = { dynamodb: [], invoked: [] };
const take = () => {
  const snapshot = { dynamodb: [...recorded.dynamodb], invoked: [...recorded.invoked] };
  recorded.dynamodb.length = 0;
  recorded.invoked.length = 0;
  return snapshot;
};

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const bodyOf = async (request: AsyncIterable<Buffer>) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks);
};

/** Forwards to the embedded DynamoDB, noting each request's action (the `X-Amz-Target` is the IAM action). */
function recordingDynamoDbProxy(target: string): Server {
  return createServer(async (request, response) => {
    const body = await bodyOf(request);
    const action = String(request.headers['x-amz-target'] ?? '').replace(/^DynamoDB_\d+\./, '');
    const { IndexName } = JSON.parse(body.toString('utf8') || '{}') as { IndexName?: string };
    recorded.dynamodb.push({ action: `dynamodb:${action}`, ...(IndexName && { indexName: IndexName }) });
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(
        ([name]) => !['host', 'connection', 'content-length'].includes(name),
      ),
    ) as Record<string, string>;
    const upstream = await fetch(`${target}${request.url}`, { method: request.method, headers, body });
    response.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? '' });
    response.end(Buffer.from(await upstream.arrayBuffer()));
  });
}

/** Answers Event invocations as Lambda does (202) and notes which function was invoked with what. */
function fakeLambdaInvoke(): Server {
  return createServer(async (request, response) => {
    const body = await bodyOf(request);
    const match = /^\/2015-03-31\/functions\/([^/]+)\/invocations/.exec(request.url ?? '');
    recorded.invoked.push({
      functionName: decodeURIComponent(match?.[1] ?? ''),
      payload: JSON.parse(body.toString('utf8')),
    });
    response.writeHead(request.headers['x-amz-invocation-type'] === 'Event' ? 202 : 200);
    response.end();
  });
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const lambdaContext = (key: FunctionKey, remainingMs = 60_000, caller?: string) => {
  const name = functionName(key, service);
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${name}`,
    memoryLimitInMB: String(service.functions[key].memoryMb),
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
    ...(caller && { clientContext: { custom: { caller } } }),
  };
};

const OWNER = 'arn:aws:iam::123456789012:user/permissions-test';
let synth: Synthesized;
let dynamo: EmbeddedDynamoDb;
const servers: Server[] = [];
const handlers = new Map<FunctionKey, Handler>();
const savedEnv = { ...process.env };

/**
 * Loads a function's real handler module with the environment the stack gives it. Handlers wire their adapters
 * at module scope, so each one reads its own environment when it is imported.
 */
async function loadHandler(key: FunctionKey): Promise<Handler> {
  Object.assign(process.env, functionEnvironment(key, service), {
    AWS_LAMBDA_FUNCTION_NAME: functionName(key, service),
  });
  if (!('BATON_JOBS_FUNCTION' in functionEnvironment(key, service))) delete process.env.BATON_JOBS_FUNCTION;
  const module = (await import(pathToFileURL(join(exampleAppDir, service.functions[key].entry)).href)) as {
    handler: Handler;
  };
  return module.handler;
}

/** Calls a function's handler as Lambda would: with its own name in the environment. */
async function call(key: FunctionKey, event: unknown, context = lambdaContext(key)) {
  const handler = handlers.get(key);
  if (!handler) throw new Error(`${key} is not loaded`);
  process.env.AWS_LAMBDA_FUNCTION_NAME = functionName(key, service);
  return (await handler(event, context)) as Record<string, unknown>;
}

beforeAll(async () => {
  synth = synthesize();
  dynamo = await startEmbeddedDynamoDb({ host: '127.0.0.1', port: 0 });
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await createJobsTable(client, jobsTableName(service));
  client.destroy();
  const proxy = recordingDynamoDbProxy(dynamo.endpoint);
  const invoke = fakeLambdaInvoke();
  servers.push(proxy, invoke);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: await listen(proxy),
    AWS_ENDPOINT_URL_LAMBDA: await listen(invoke),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
  for (const key of functionsInUse(service)) handlers.set(key, await loadHandler(key));
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  await dynamo?.stop();
  synth?.cleanup();
});

/** What the synthesized template grants a function: table actions, index actions, invocable function names. */
function granted(key: FunctionKey) {
  const fn = synth.stack.functions.get(key);
  if (!fn) throw new Error(`${key} was not deployed`);
  const statements = statementsOfRole(synth.template, logicalId(fn.role));
  const table = `<${logicalId(synth.stack.table)}.Arn>`;
  const on = (resource: string) =>
    statements.filter((s) => resourcesOfStatement(s).includes(resource)).flatMap(actionsOf);
  return {
    table: on(table),
    index: on(`${table}/index/${jobsTable.ownerIndex}`),
    invoke: statements
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
      .flatMap(resourcesOfStatement)
      .map((arn) => arn.replace(/^.*:function:/, '')),
  };
}

function expectGranted(key: FunctionKey, used: Recorded) {
  const grants = granted(key);
  for (const request of used.dynamodb) {
    if (request.indexName) {
      expect(request.indexName).toBe(jobsTable.ownerIndex);
      expect(grants.index, `${key} queries the owner index`).toContain(request.action);
    } else {
      expect(grants.table, `${key} sends ${request.action}`).toContain(request.action);
    }
  }
  for (const { functionName: name } of used.invoked)
    expect(grants.invoke, `${key} invokes ${name}`).toContain(name);
}

const v1Event = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => ({
  httpMethod: method,
  path,
  headers: { 'content-type': 'application/json', ...headers },
  queryStringParameters: null,
  body: body === undefined ? null : JSON.stringify(body),
  isBase64Encoded: false,
  requestContext: { stage: 'prod', requestId: randomUUID(), identity: { userArn: OWNER } },
});

const v2Event = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => ({
  version: '2.0',
  routeKey: '$default',
  rawPath: path,
  rawQueryString: '',
  headers: { 'content-type': 'application/json', ...headers },
  body: body === undefined ? undefined : JSON.stringify(body),
  isBase64Encoded: false,
  requestContext: {
    stage: '$default',
    requestId: randomUUID(),
    http: { method, path },
    authorizer: { iam: { userArn: OWNER } },
  },
});

const statusOf = (result: Record<string, unknown>) => result.statusCode;
const jsonBody = (result: Record<string, unknown>) =>
  JSON.parse(String(result.body)) as Record<string, unknown>;

describe('every call the real handlers make is granted to their function', () => {
  it('rest-api / http-api function: submit (with an idempotency key), read, list, cancel; jobs go to the worker', async () => {
    const key = 'api' as const;
    take();
    const submitted = await call(
      key,
      v1Event(
        'POST',
        '/jobs',
        { operation: 'wait', input: { seconds: 1 } },
        {
          prefer: 'respond-async',
          'idempotency-key': randomUUID(),
        },
      ),
    );
    expect(statusOf(submitted)).toBe(202);
    const { jobId } = jsonBody(submitted) as { jobId: string };
    expect(statusOf(await call(key, v1Event('GET', `/jobs/${jobId}`)))).toBe(200);
    expect(statusOf(await call(key, v1Event('GET', '/jobs')))).toBe(200);
    expect(statusOf(await call(key, v2Event('GET', '/operations')))).toBe(200);
    expect(statusOf(await call(key, v1Event('POST', `/jobs/${jobId}/cancel`)))).toBe(200);
    const used = take();
    expect(new Set(used.dynamodb.map((r) => r.action))).toEqual(
      new Set([
        'dynamodb:PutItem',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        'dynamodb:UpdateItem',
      ]),
    );
    expect(used.invoked.map((i) => i.functionName)).toEqual([functionName('worker', service)]);
    expectGranted(key, used);
  });

  it('worker: runs a job the API hands it and continues it by invoking itself', async () => {
    await call(
      'api',
      v1Event('POST', '/jobs', { operation: 'wait', input: { seconds: 2 } }, { prefer: 'respond-async' }),
    );
    const [dispatched] = take().invoked;
    expect(dispatched?.functionName).toBe(functionName('worker', service));
    // 10.5 s left and a 10 s handoff margin: the checkpointing job hands over after about half a second.
    const result = await call('worker', dispatched?.payload, lambdaContext('worker', 10_500));
    expect(result).toMatchObject({ handled: true, outcome: 'requeued' });
    const used = take();
    expect(new Set(used.dynamodb.map((r) => r.action))).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']),
    );
    expect(used.invoked.map((i) => i.functionName)).toEqual([functionName('worker', service)]);
    expectGranted('worker', used);
  });

  it('function-url function: submits to itself and runs the job', async () => {
    const key = 'url' as const;
    take();
    const submitted = await call(
      key,
      v2Event('POST', '/jobs', { operation: 'wait', input: { seconds: 1 } }, { prefer: 'respond-async' }),
    );
    expect(statusOf(submitted)).toBe(202);
    const [dispatched] = recorded.invoked;
    expect(dispatched?.functionName).toBe(functionName(key, service));
    expect(await call(key, dispatched?.payload)).toMatchObject({ handled: true, outcome: 'succeeded' });
    expectGranted(key, take());
  });

  it('invoke (RPC) function: submits to itself and runs the job', async () => {
    const key = 'rpc' as const;
    take();
    const accepted = await call(
      key,
      { operation: 'wait', input: { seconds: 1 }, meta: { async: true } },
      lambdaContext(key, 60_000, OWNER),
    );
    expect(accepted).toMatchObject({ status: 'queued' });
    const [dispatched] = recorded.invoked;
    expect(dispatched?.functionName).toBe(functionName(key, service));
    expect(await call(key, dispatched?.payload)).toMatchObject({ handled: true, outcome: 'succeeded' });
    expectGranted(key, take());
  });
});
