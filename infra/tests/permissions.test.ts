import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  actionsOfStoreMethods,
  DOOR_STORE_METHODS,
  DOOR_TABLE_ACTIONS,
  FAILED_EVENTS_STORE_METHODS,
  FAILED_EVENTS_TABLE_ACTIONS,
  FAILURE_DETAIL_TYPE,
  FAILURE_SOURCE,
  RECONCILER_STORE_METHODS,
  RECONCILER_TABLE_ACTIONS,
  RUNNER_STORE_METHODS,
  RUNNER_TABLE_ACTIONS,
  STORE_METHOD_ACTIONS,
  STORE_METHOD_INDEX,
} from '@baton/cdk';
import { createJobsTable, DynamoDbJobStore, jobsTable } from '@baton/dynamodb';
import { type FunctionKey, service } from '@baton/example/service';
import {
  functionEnvironment,
  functionName,
  functionsInUse,
  jobRunner,
  jobsTableName,
  type MaintenanceKey,
  maintenanceEnvironment,
  maintenanceFunctionName,
} from '@baton/service';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleAppDir, repositoryRoot } from '../src/paths.js';
import { startDynamoDb, type TestDynamoDb } from './support/dynamodb.js';
import {
  actionsOf,
  defined,
  deployedFunction,
  functionArnOf,
  logicalId,
  maintenanceFunction,
  type Probe,
  render,
  resourcesOf,
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

const COMMAND_ACTIONS: Record<string, string> = {
  BatchGet: 'BatchGetItem',
  Delete: 'DeleteItem',
  Get: 'GetItem',
  Put: 'PutItem',
  Query: 'Query',
  Update: 'UpdateItem',
};

/**
 * The store's source, method by method: the commands each method sends itself, the index it names, and the
 * methods of the class it calls. Methods are the class members at two spaces of indentation.
 */
function storeMethods() {
  const source = readFileSync(join(repositoryRoot, 'packages/dynamodb/src/dynamodb-job-store.ts'), 'utf8');
  const start = source.indexOf('export class DynamoDbJobStore');
  const body = source.slice(start, source.indexOf('\n}\n', start));
  const headers = [...body.matchAll(/^ {2}(private |public )?(?:async )?(\w+)\(/gm)];
  return headers.map((header, i) => {
    const text = body.slice(header.index, headers[i + 1]?.index ?? body.length);
    return {
      name: header[2] as string,
      isPublic: header[1] !== 'private ' && header[2] !== 'constructor',
      commands: [...text.matchAll(/new (\w+)Command\(/g)].map((match) => match[1] as string),
      indexes: [...text.matchAll(/IndexName: jobsTable\.(\w+)/g)].map((match) => match[1] as string),
      calls: [...text.matchAll(/this\.(\w+)\(/g)].map((match) => match[1] as string),
    };
  });
}

/** What a store method sends, with the private helpers it calls (transitively). */
function sentBy(method: string) {
  const methods = new Map(storeMethods().map((m) => [m.name, m]));
  const seen = new Set<string>();
  const visit = (name: string) => {
    if (seen.has(name) || !methods.has(name)) return;
    seen.add(name);
    for (const called of methods.get(name)?.calls ?? []) visit(called);
  };
  visit(method);
  const reached = [...seen].map((name) => methods.get(name));
  return {
    commands: new Set(reached.flatMap((m) => m?.commands ?? [])),
    indexes: new Set(reached.flatMap((m) => m?.indexes ?? [])),
  };
}

describe("the grants follow the store's commands", () => {
  it('every command of the store has a known IAM action, and the doors may send them all', () => {
    const commands = new Set(storeMethods().flatMap((m) => m.commands));
    const unknown = [...commands].filter((command) => !(command in COMMAND_ACTIONS));
    expect(unknown, 'a command with no known IAM action: add it to the map and to permissions.ts').toEqual(
      [],
    );
    expect([...commands].map((command) => `dynamodb:${COMMAND_ACTIONS[command]}`).sort()).toEqual(
      [...DOOR_TABLE_ACTIONS].sort(),
    );
  });

  it('maps every public store method to the actions and the index it sends, helpers included', () => {
    const publicMethods = storeMethods()
      .filter((m) => m.isPublic)
      .map((m) => m.name);
    expect(publicMethods.sort()).toEqual(Object.keys(STORE_METHOD_ACTIONS).sort());
    for (const method of publicMethods) {
      const sent = sentBy(method);
      expect(
        [...sent.commands].map((command) => `dynamodb:${COMMAND_ACTIONS[command]}`).sort(),
        `${method} sends`,
      ).toEqual([...STORE_METHOD_ACTIONS[method as keyof typeof STORE_METHOD_ACTIONS]].sort());
      const index = STORE_METHOD_INDEX[method as keyof typeof STORE_METHOD_INDEX];
      expect([...sent.indexes], `${method} queries`).toEqual(index ? [index] : []);
    }
  });

  it('gives each kind of function the union of the actions of the store methods its use cases call', () => {
    expect(actionsOfStoreMethods(DOOR_STORE_METHODS)).toEqual([...DOOR_TABLE_ACTIONS].sort());
    expect(actionsOfStoreMethods(RUNNER_STORE_METHODS)).toEqual([...RUNNER_TABLE_ACTIONS].sort());
    expect(actionsOfStoreMethods(RECONCILER_STORE_METHODS)).toEqual([...RECONCILER_TABLE_ACTIONS].sort());
    expect(actionsOfStoreMethods(FAILED_EVENTS_STORE_METHODS)).toEqual(
      [...FAILED_EVENTS_TABLE_ACTIONS].sort(),
    );
    // Spelled out for the maintenance functions, so that a change to the derivation cannot pass unnoticed.
    expect([...RECONCILER_TABLE_ACTIONS].sort()).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
    ]);
    expect([...FAILED_EVENTS_TABLE_ACTIONS].sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });
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
  const name = functionName(service, key);
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
let dynamo: TestDynamoDb;
const servers: Server[] = [];
const handlers = new Map<FunctionKey, Handler>();
const maintenanceHandlers = new Map<MaintenanceKey, Handler>();
/** Writes fixtures straight to the embedded DynamoDB, past the recording proxy. */
let fixtures: DynamoDbJobStore;
let fixturesClient: DynamoDBClient | undefined;
const savedEnv = { ...process.env };

/**
 * Loads a function's real handler module with the environment the stack gives it. Handlers wire their adapters
 * at module scope, so each one reads its own environment when it is imported.
 */
async function loadHandler(key: FunctionKey): Promise<Handler> {
  Object.assign(process.env, functionEnvironment(service, key), {
    AWS_LAMBDA_FUNCTION_NAME: functionName(service, key),
  });
  if (!('BATON_JOBS_FUNCTION' in functionEnvironment(service, key))) delete process.env.BATON_JOBS_FUNCTION;
  const module = (await import(pathToFileURL(join(exampleAppDir, service.functions[key].entry)).href)) as {
    handler: Handler;
  };
  return module.handler;
}

/** Loads a maintenance function's real handler module with the environment the stack gives it. */
async function loadMaintenanceHandler(key: MaintenanceKey): Promise<Handler> {
  const environment = maintenanceEnvironment(service, key);
  for (const variable of ['BATON_JOBS_FUNCTION', 'BATON_MAX_HOPS', 'BATON_RECONCILE_GRACE_MS'])
    delete process.env[variable];
  Object.assign(process.env, environment, {
    AWS_LAMBDA_FUNCTION_NAME: maintenanceFunctionName(service, key),
  });
  const module = (await import(pathToFileURL(join(exampleAppDir, service.maintenance[key].entry)).href)) as {
    handler: Handler;
  };
  return module.handler;
}

/** Calls a maintenance function's handler as Lambda would. */
async function callMaintenance(key: MaintenanceKey, event: unknown) {
  const handler = maintenanceHandlers.get(key);
  if (!handler) throw new Error(`${key} is not loaded`);
  const name = maintenanceFunctionName(service, key);
  process.env.AWS_LAMBDA_FUNCTION_NAME = name;
  const context = {
    ...lambdaContext('worker', service.maintenance[key].timeoutSeconds * 1000),
    functionName: name,
    invokedFunctionArn: functionArnOf(name),
    memoryLimitInMB: String(service.maintenance[key].memoryMb),
    logGroupName: `/aws/lambda/${name}`,
  };
  return (await handler(event, context)) as Record<string, unknown>;
}

/** Calls a function's handler as Lambda would: with its own name in the environment. */
async function call(key: FunctionKey, event: unknown, context = lambdaContext(key)) {
  const handler = handlers.get(key);
  if (!handler) throw new Error(`${key} is not loaded`);
  process.env.AWS_LAMBDA_FUNCTION_NAME = functionName(service, key);
  return (await handler(event, context)) as Record<string, unknown>;
}

beforeAll(async () => {
  // The template is what is read here: the bundles are checked by stack.test.ts and handlers.test.ts.
  synth = synthesize({ bundle: false });
  dynamo = await startDynamoDb();
  const client = new DynamoDBClient({
    endpoint: dynamo.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  await createJobsTable(client, jobsTableName(service));
  fixturesClient = client;
  fixtures = new DynamoDbJobStore({ tableName: jobsTableName(service), client });
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
  for (const key of ['reconciler', 'failedEvents'] as const)
    maintenanceHandlers.set(key, await loadMaintenanceHandler(key));
}, 120_000);

afterAll(async () => {
  process.env = savedEnv;
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  fixturesClient?.destroy();
  await dynamo?.stop();
  synth?.cleanup();
});

/**
 * What the synthesized template grants a role: actions on the table, actions per index, invocable function
 * names.
 */
function grantedTo(role: IConstruct) {
  const statements = statementsOfRole(synth.template, logicalId(role));
  const table = `<${logicalId(synth.service.table)}.Arn>`;
  const on = (resource: string) =>
    statements.filter((s) => resourcesOfStatement(s).includes(resource)).flatMap(actionsOf);
  return {
    table: on(table),
    index: (name: string) => on(`${table}/index/${name}`),
    invoke: statements
      .filter((s) => actionsOf(s).includes('lambda:InvokeFunction'))
      .flatMap(resourcesOfStatement)
      .map((arn) => arn.replace(/^.*:function:/, '')),
  };
}

const roleOf = (key: FunctionKey | MaintenanceKey) => {
  const fn =
    key === 'reconciler' || key === 'failedEvents'
      ? maintenanceFunction(synth.service, key)
      : deployedFunction(synth.service, key);
  return fn.role;
};

function expectGranted(key: FunctionKey | MaintenanceKey, used: Recorded) {
  const grants = grantedTo(roleOf(key));
  for (const request of used.dynamodb) {
    if (request.indexName) {
      expect(grants.index(request.indexName), `${key} queries the ${request.indexName} index`).toContain(
        request.action,
      );
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
    expect(used.invoked.map((i) => i.functionName)).toEqual([functionName(service, 'worker')]);
    expectGranted(key, used);
  });

  it('worker: runs a job the API hands it and continues it by invoking itself', async () => {
    await call(
      'api',
      v1Event('POST', '/jobs', { operation: 'wait', input: { seconds: 2 } }, { prefer: 'respond-async' }),
    );
    const [dispatched] = take().invoked;
    expect(dispatched?.functionName).toBe(functionName(service, 'worker'));
    // 10.5 s left and a 10 s handoff margin: the checkpointing job hands over after about half a second.
    const result = await call('worker', dispatched?.payload, lambdaContext('worker', 10_500));
    expect(result).toMatchObject({ handled: true, outcome: 'requeued' });
    const used = take();
    // The claim is one conditional write returning the job: no read before it (decision 0011).
    expect(new Set(used.dynamodb.map((r) => r.action))).toEqual(new Set(['dynamodb:UpdateItem']));
    expect(used.invoked.map((i) => i.functionName)).toEqual([functionName(service, 'worker')]);
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
    expect(dispatched?.functionName).toBe(functionName(service, key));
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
    expect(dispatched?.functionName).toBe(functionName(service, key));
    expect(await call(key, dispatched?.payload)).toMatchObject({ handled: true, outcome: 'succeeded' });
    expectGranted(key, take());
  });

  it('reconciler: finds a stale queued job and the job of a dead runner on the unfinished index, sends both to the job runner', async () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const longAgo = Date.now() - 10 * 60_000;
    type Job = Parameters<DynamoDbJobStore['create']>[0];
    const job = (changes: Partial<Job>): Job => ({
      id: randomUUID(),
      operation: 'wait',
      operationVersion: 1,
      input: { seconds: 1 },
      owner: OWNER,
      status: 'queued',
      attempts: 0,
      cancelRequested: false,
      createdAt: iso(longAgo),
      updatedAt: iso(longAgo),
      expiresAt: iso(Date.now() + 24 * 3600_000),
      ...changes,
    });
    // Queued ten minutes ago and never claimed: its event was lost.
    const lost = job({});
    // Claimed ten minutes ago by an invocation that died: its lease ran out nine minutes ago.
    const orphaned = job({
      status: 'running',
      attempts: 1,
      hop: 0,
      startedAt: iso(longAgo),
      lease: { holder: 'dead-invocation/1', expiresAt: iso(longAgo + 60_000) },
    });
    for (const fixture of [lost, orphaned]) expect((await fixtures.create(fixture)).created).toBe(true);
    take();

    const scheduled = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: '123456789012',
      time: iso(Date.now()),
      region: 'us-east-1',
      resources: ['arn:aws:events:us-east-1:123456789012:rule/ReconcilerSchedule'],
      detail: {},
    };
    const report = await callMaintenance('reconciler', scheduled);
    expect(report).toMatchObject({ errors: 0 });
    expect(report.redispatched).toBeGreaterThanOrEqual(1);
    expect(report.requeued).toBeGreaterThanOrEqual(1);
    const used = take();
    expect(new Set(used.dynamodb.map((r) => r.action))).toEqual(
      new Set(['dynamodb:Query', 'dynamodb:BatchGetItem', 'dynamodb:UpdateItem']),
    );
    const queries = used.dynamodb.filter((r) => r.action === 'dynamodb:Query');
    expect(queries.map((r) => r.indexName)).toEqual(queries.map(() => jobsTable.unfinishedIndex));
    expect(new Set(used.invoked.map((i) => i.functionName))).toEqual(
      new Set([functionName(service, jobRunner(service))]),
    );
    expect(used.invoked.map((i) => i.payload)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ baton: 'job.run', jobId: lost.id, hop: 0 }),
        expect.objectContaining({ baton: 'job.run', jobId: orphaned.id, hop: 1 }),
      ]),
    );
    expectGranted('reconciler', used);
    // Nothing beyond its grants was needed: no PutItem, DeleteItem or Scan, and no owner index.
    expect(grantedTo(roleOf('reconciler')).table.sort()).toEqual(
      RECONCILER_TABLE_ACTIONS.filter((a) => a !== 'dynamodb:Query').sort(),
    );
  });

  it('failed-event handler: takes the failure bus event of a job-run event and fails its job', async () => {
    await call(
      'api',
      v1Event('POST', '/jobs', { operation: 'wait', input: { seconds: 1 } }, { prefer: 'respond-async' }),
    );
    const [dispatched] = take().invoked;
    const runner = defined(dispatched, 'the dispatch of the submitted job');
    const { jobId } = runner.payload as { jobId: string };
    // What Lambda's EventBridge destination puts on the bus when the runner gave up on the event.
    const failure = {
      version: '0',
      id: randomUUID(),
      'detail-type': FAILURE_DETAIL_TYPE,
      source: FAILURE_SOURCE,
      account: '123456789012',
      time: new Date().toISOString(),
      region: 'us-east-1',
      resources: [`${functionArnOf(runner.functionName)}:$LATEST`],
      detail: {
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId: randomUUID(),
          functionArn: `${functionArnOf(runner.functionName)}:$LATEST`,
          condition: 'RetriesExhausted',
          approximateInvokeCount: 3,
        },
        requestPayload: runner.payload,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: 'Error', errorMessage: 'The runner crashed.' },
      },
    };
    expect(matchesFailedEventsRule(failure), 'the event matches the rule on the failure bus').toBe(true);
    take();
    const result = await callMaintenance('failedEvents', failure);
    expect(result).toMatchObject({ handled: true, jobId, outcome: { outcome: 'failed' } });
    const used = take();
    expect(new Set(used.dynamodb.map((r) => r.action))).toEqual(
      new Set(['dynamodb:GetItem', 'dynamodb:UpdateItem']),
    );
    expect(used.invoked).toEqual([]);
    expectGranted('failedEvents', used);
    const job = jsonBody(await call('api', v1Event('GET', `/jobs/${jobId}`)));
    expect(job).toMatchObject({ status: 'failed', error: { type: 'DeliveryFailed' } });
  });
});

/**
 * The synthesized rule that hands failure records to the failed-event handler, applied to an event the way
 * EventBridge would for this pattern's fields: source, detail-type, the function ARN (bare or a prefix) and no
 * replay-name.
 */
function matchesFailedEventsRule(event: Probe): boolean {
  const handler = maintenanceFunction(synth.service, 'failedEvents');
  const [, rule] = defined(
    resourcesOf(synth.template, 'AWS::Events::Rule').find(([id]) => id === logicalId(handler.trigger)),
    'its rule',
  );
  const pattern = rule.Properties.EventPattern;
  const arn = String(event.detail.requestContext.functionArn);
  const arnMatches = (pattern.detail.requestContext.functionArn as unknown[]).some((m) =>
    typeof m === 'object' && m !== null && 'prefix' in m
      ? arn.startsWith(render((m as { prefix: unknown }).prefix))
      : render(m) === arn,
  );
  return (
    pattern.source.includes(event.source) &&
    pattern['detail-type'].includes(event['detail-type']) &&
    arnMatches &&
    pattern['replay-name']?.[0]?.exists === false &&
    !('replay-name' in event)
  );
}
