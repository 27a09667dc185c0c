/**
 * Part `door` of `pnpm bench`: one warm request through each door, in this process, with tinybench.
 *
 * The same work behind every way of serving it: `POST /jobs` with the quick sync operation `greet` of
 * `@baton/core/testing`'s registry (zod input, an async run, zod output), answered `200 { status, result }`.
 * The bare floor is a hand-written handler that does only that (parse the body, look up the operation, parse
 * its input, run it, answer JSON); the peers are the libraries a user would otherwise pick. Every handler is
 * checked to answer 200 with the operation's result before anything is timed.
 *
 * After the timing, a profiling pass (skipped with `--no-profile`): Baton's REST door at INFO, the bare floor and
 * middy, each called back to back under the inspector's CPU profiler; the profiles go to
 * .reports/bench/profiles/door/ and their summaries (time a call by owner, top functions) into the JSON.
 *
 * Run by scripts/bench/run.mjs as `node --conditions=@baton/source --import tsx scripts/bench/door.bench.ts
 * <out.json> [--quick] [--no-profile]`: workspace packages load from their TypeScript sources, no build needed.
 */

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import { Router } from '@aws-lambda-powertools/event-handler/http';
import { Logger } from '@aws-lambda-powertools/logger';
import { JSONStringified } from '@aws-lambda-powertools/parser/helpers';
import { APIGatewayProxyEventSchema } from '@aws-lambda-powertools/parser/schemas/api-gateway';
import middy from '@middy/core';
import httpRouterHandler from '@middy/http-router';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
import { Bench } from 'tinybench';
import * as z from 'zod';
import { createApiGatewayHandler } from '../../packages/api-gateway/src/index.ts';
import { randomIds, systemClock } from '../../packages/core/src/index.ts';
import {
  fakeLambdaContext,
  InMemoryJobDispatcher,
  InMemoryJobStore,
  testRegistry,
} from '../../packages/core/src/testing/index.ts';
import { createDirectInvokeHandler } from '../../packages/direct-invoke/src/index.ts';
import { createFunctionUrlHandler } from '../../packages/function-url/src/index.ts';
import { ownerOfIamArn } from '../../packages/http/src/index.ts';
import { attribute, summarize } from './profile-summary.mjs';
import { countStoreCalls } from './store-calls.ts';

const outFile = process.argv[2] ?? '.reports/bench/door.json';
const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 2 : 5;
const TASK_MS = quick ? 150 : 400;
/** The profiling pass, after the timing (`--no-profile`: none): these cases, each called for PROFILE_MS. */
const PROFILE = !process.argv.includes('--no-profile');
const PROFILE_MS = quick ? 1000 : 3000;
const PROFILE_INTERVAL_US = 100;
const PROFILED_CASES = ['rest/baton-info', 'rest/bare', 'rest/middy'];

const root = new URL('../../', import.meta.url);
const readJson = (path: string) => JSON.parse(readFileSync(new URL(path, root), 'utf8'));

// ---------------------------------------------------------------------------------------------------------
// The domain, the same for everyone: an in-memory store (a sync request without a key writes nothing).
const deps = {
  registry: testRegistry,
  store: new InMemoryJobStore(),
  dispatcher: new InMemoryJobDispatcher(),
  clock: systemClock,
  ids: randomIds,
};
const OPERATION = 'greet';
const BODY = JSON.stringify({ operation: OPERATION, input: { name: 'bench' } });
/** A new Lambda context object per invocation, as in Lambda (a door may cache what it derives from one). */
const contexts = Array.from({ length: 256 }, (_, i) => fakeLambdaContext(`bench-${i}`));
let contextAt = 0;
const nextContext = () => contexts[contextAt++ & 255] as (typeof contexts)[number];

/** What the bare handlers give an operation: no checkpoints, no progress, never aborted. */
const neverAborted = new AbortController().signal;
const runContext = {
  resumeFrom: undefined,
  progress() {},
  checkpoint() {},
  signal: neverAborted,
  remainingTimeMs: () => 10_000,
  attempt: 1,
  jobId: undefined,
};

/** The operation's work, as a bare handler does it: look it up, parse the input, run, parse the output. */
async function runOperation(body: { operation: string; input?: unknown }) {
  const operation = testRegistry.get(body.operation);
  const input = operation.input.parse(body.input ?? {});
  return operation.output.parse(await operation.run(input, runContext as never));
}
const answer = (result: unknown) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: JSON.stringify({ status: 'succeeded', result }),
});
const unauthenticated = { statusCode: 401, headers: {}, body: '' };

// ---------------------------------------------------------------------------------------------------------
// Events: the recorded IAM-auth events of the door packages' tests, made into `POST /jobs`. The REST event's
// requestTimeEpoch reads as now (the door counts its budget from it, and a fixed one would be spent within the
// run); the v2 events have no timeEpoch, so their doors count from now.
const restTemplate = readJson('packages/api-gateway/tests/events/rest-iam-auth.json');
const restEvent = {
  ...restTemplate,
  httpMethod: 'POST',
  path: '/jobs',
  resource: '/jobs',
  headers: { ...restTemplate.headers, 'content-type': 'application/json' },
  multiValueHeaders: undefined,
  body: BODY,
  isBase64Encoded: false,
  requestContext: {
    ...restTemplate.requestContext,
    httpMethod: 'POST',
    path: `/${restTemplate.requestContext.stage}/jobs`,
    resourcePath: '/jobs',
  },
};
delete restEvent.multiValueHeaders;
Object.defineProperty(restEvent.requestContext, 'requestTimeEpoch', { enumerable: true, get: Date.now });

type V2Template = Record<string, unknown> & {
  routeKey: string;
  headers: Record<string, string>;
  requestContext: Record<string, unknown> & { http: Record<string, unknown>; timeEpoch?: number };
};
function v2Event(template: V2Template) {
  const event = {
    ...template,
    routeKey: template.routeKey === '$default' ? '$default' : 'POST /jobs',
    rawPath: '/jobs',
    rawQueryString: '',
    headers: { ...template.headers, 'content-type': 'application/json' },
    body: BODY,
    isBase64Encoded: false,
    requestContext: {
      ...template.requestContext,
      http: { ...template.requestContext.http, method: 'POST', path: '/jobs' },
    },
  };
  delete event.headers['content-length'];
  delete event.requestContext.timeEpoch;
  return event;
}
const httpApiEvent = v2Event(readJson('packages/api-gateway/tests/events/http-iam-auth.json'));
const functionUrlEvent = v2Event(readJson('packages/function-url/tests/events/iam-auth.json'));
const invokePayload = { operation: OPERATION, input: { name: 'bench' } };

// ---------------------------------------------------------------------------------------------------------
// Loggers: SILENT (no access line), or INFO as deployed. While handlers run, this process's stdout drops what is
// written to it: every line is still formatted and handed to `process.stdout.write` (whether through the
// Powertools Logger's console or directly), so its cost is counted, but the terminal is not flooded.
const realWrite = process.stdout.write.bind(process.stdout);
const discard = (() => true) as typeof process.stdout.write;
const quiet = async <T>(during: () => Promise<T>): Promise<T> => {
  process.stdout.write = discard;
  try {
    return await during();
  } finally {
    process.stdout.write = realWrite;
  }
};
const infoLogger = () => new Logger({ serviceName: 'bench', logLevel: 'INFO' });
const silentLogger = () => new Logger({ serviceName: 'bench', logLevel: 'SILENT' });

// ---------------------------------------------------------------------------------------------------------
// REST (v1): the floor and the peers.
async function bareRest(event: typeof restEvent) {
  const owner = event.requestContext.identity?.userArn;
  if (event.httpMethod !== 'POST' || event.path !== '/jobs') return { statusCode: 404, body: '' };
  if (!owner) return unauthenticated;
  return answer(await runOperation(JSON.parse(event.body)));
}

const RequestBody = z.object({ operation: z.string(), input: z.unknown().optional() });
const RestRequestSchema = APIGatewayProxyEventSchema.extend({ body: JSONStringified(RequestBody) });
async function bareRestPowertoolsSchema(event: unknown) {
  const parsed = RestRequestSchema.parse(event);
  if (!parsed.requestContext.identity.userArn) return unauthenticated;
  return answer(await runOperation(parsed.body));
}

const middyHandler = middy().handler(
  httpRouterHandler([
    {
      method: 'POST',
      path: '/jobs',
      handler: middy().handler(async (event: typeof restEvent) => {
        if (!event.requestContext.identity?.userArn) return unauthenticated;
        return answer(await runOperation(JSON.parse(event.body)));
      }),
    },
  ] as never),
);

const hono = new Hono();
hono.post('/jobs', async (c) => {
  const event = (c.env as { event: typeof restEvent }).event;
  if (!ownerOfIamArn(event.requestContext.identity?.userArn ?? '')) return c.body(null, 401);
  return c.json({ status: 'succeeded', result: await runOperation(await c.req.json()) });
});
const honoHandler = handle(hono);

const powertools = new Router({ logger: silentLogger() } as never);
powertools.post('/jobs', async ({ req, event }) => {
  if (!(event as typeof restEvent).requestContext.identity?.userArn)
    return new Response(null, { status: 401 });
  return { status: 'succeeded', result: (await runOperation(await req.json())) as Record<string, string> };
});

const batonRestSilent = createApiGatewayHandler({ deps, logger: silentLogger() });
const batonRestInfo = createApiGatewayHandler({ deps, logger: infoLogger() });

// HTTP API v2, Function URL (v2 events) and direct invoke: their floors and Baton's doors.
async function bareV2(event: typeof httpApiEvent) {
  const owner = event.requestContext.authorizer?.iam?.userArn;
  if (event.requestContext.http.method !== 'POST' || event.rawPath !== '/jobs')
    return { statusCode: 404, body: '' };
  if (!owner) return unauthenticated;
  return answer(await runOperation(JSON.parse(event.body)));
}
const batonHttpApi = createApiGatewayHandler({ deps, logger: infoLogger() });
const batonFunctionUrl = createFunctionUrlHandler({ deps, logger: infoLogger() });
const batonFunctionUrlSilent = createFunctionUrlHandler({ deps, logger: silentLogger() });
const batonHttpApiSilent = createApiGatewayHandler({ deps, logger: silentLogger() });

async function bareInvoke(payload: typeof invokePayload) {
  return { status: 'succeeded', result: await runOperation(payload) };
}
const INVOKE_CALLER = 'arn:aws:iam::123456789012:user/bench';
const batonInvoke = createDirectInvokeHandler({ deps, logger: infoLogger(), defaultCaller: INVOKE_CALLER });
const batonInvokeSilent = createDirectInvokeHandler({
  deps,
  logger: silentLogger(),
  defaultCaller: INVOKE_CALLER,
});

// ---------------------------------------------------------------------------------------------------------
// The cases, by group: the first of each group is its floor.
type Case = { id: string; name: string; run: () => Promise<unknown>; floor?: boolean };
const groups: { id: string; title: string; event: string; cases: Case[] }[] = [
  {
    id: 'rest',
    title: 'REST API (v1) event, POST /jobs',
    event: 'API Gateway REST (v1) proxy event, IAM auth',
    cases: [
      { id: 'bare', name: 'bare floor (hand-written)', floor: true, run: () => bareRest(restEvent) },
      {
        id: 'bare-powertools-schema',
        name: 'bare + Powertools parser REST schema',
        run: () => bareRestPowertoolsSchema(restEvent),
      },
      { id: 'middy', name: 'middy + @middy/http-router', run: () => middyHandler(restEvent, nextContext()) },
      {
        id: 'hono',
        name: 'Hono (hono/aws-lambda)',
        run: () => honoHandler(restEvent as never, nextContext()),
      },
      {
        id: 'powertools-router',
        name: 'Powertools event-handler Router',
        run: () => powertools.resolve(restEvent as never, nextContext()),
      },
      {
        id: 'baton',
        name: 'Baton API Gateway door, no access log (SILENT)',
        run: () => batonRestSilent(restEvent as never, nextContext()),
      },
      {
        id: 'baton-info',
        name: 'Baton API Gateway door, access log line at INFO',
        run: () => batonRestInfo(restEvent as never, nextContext()),
      },
    ],
  },
  {
    id: 'http-api',
    title: 'HTTP API (v2) event, POST /jobs',
    event: 'API Gateway HTTP API (v2) event, IAM auth',
    cases: [
      { id: 'bare', name: 'bare v2 floor (hand-written)', floor: true, run: () => bareV2(httpApiEvent) },
      {
        id: 'baton',
        name: 'Baton API Gateway door, no access log (SILENT)',
        run: () => batonHttpApiSilent(httpApiEvent as never, nextContext()),
      },
      {
        id: 'baton-info',
        name: 'Baton API Gateway door, access log line at INFO',
        run: () => batonHttpApi(httpApiEvent as never, nextContext()),
      },
    ],
  },
  {
    id: 'function-url',
    title: 'Function URL (v2) event, POST /jobs',
    event: 'Function URL event (v2, routeKey $default), IAM auth',
    cases: [
      { id: 'bare', name: 'bare v2 floor (hand-written)', floor: true, run: () => bareV2(functionUrlEvent) },
      {
        id: 'baton',
        name: 'Baton Function URL door, no access log (SILENT)',
        run: () => batonFunctionUrlSilent(functionUrlEvent as never, nextContext()),
      },
      {
        id: 'baton-info',
        name: 'Baton Function URL door, access log line at INFO',
        run: () => batonFunctionUrl(functionUrlEvent as never, nextContext()),
      },
    ],
  },
  {
    id: 'invoke',
    title: 'Direct invoke, { operation, input } payload',
    event: 'the operation request as the invocation payload',
    cases: [
      { id: 'bare', name: 'bare handler (hand-written)', floor: true, run: () => bareInvoke(invokePayload) },
      {
        id: 'baton',
        name: 'Baton direct-invoke door, no log line (SILENT)',
        run: () => batonInvokeSilent(invokePayload, nextContext() as never),
      },
      {
        id: 'baton-info',
        name: 'Baton direct-invoke door, log line at INFO',
        run: () => batonInvoke(invokePayload, nextContext() as never),
      },
    ],
  },
];

// Every handler answers the operation's result, or the comparison means nothing.
await quiet(async () => {
  for (const group of groups) {
    for (const c of group.cases) {
      const result = (await c.run()) as { statusCode?: number; body?: string; status?: string };
      const body = typeof result.body === 'string' ? JSON.parse(result.body) : result;
      const ok =
        (result.statusCode === undefined || result.statusCode === 200) &&
        body?.status === 'succeeded' &&
        body?.result?.greeting === 'hello bench';
      if (!ok)
        throw new Error(`${group.id}/${c.id} does not answer the bench request: ${JSON.stringify(result)}`);
    }
  }
});

// ---------------------------------------------------------------------------------------------------------
// Timing: ROUNDS rounds, each running every case of every group for TASK_MS (tinybench: one sample per call).
// A case's figure is the median over rounds of its per-round median; a ratio to the floor is taken per round
// (the floor measured in the same round, moments apart) and its median reported, so drift on a shared
// machine cancels out.
const perRound: Record<string, { medianNs: number; samples: number }[]> = {};
const started = Date.now();
for (let round = 0; round < ROUNDS; round++) {
  const bench = new Bench({ time: TASK_MS, warmupTime: 50, warmupIterations: 200 });
  for (const group of groups) for (const c of group.cases) bench.add(`${group.id}/${c.id}`, c.run);
  await quiet(() => bench.run());
  for (const task of bench.tasks) {
    const result = task.result as { state: string; latency?: { p50: number; samplesCount: number } };
    if (!result.latency) throw new Error(`${task.name}: ${result.state}`);
    perRound[task.name] ??= [];
    perRound[task.name]?.push({ medianNs: result.latency.p50 * 1e6, samples: result.latency.samplesCount });
  }
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

// One store-call count per job for the async path: a job submitted through the HTTP API door, run by the
// worker. Counted at the JobStore port (each create / update is one DynamoDB write in @baton/dynamodb).
const storeCalls = await countStoreCalls(quick ? 50 : 200);

// ---------------------------------------------------------------------------------------------------------
// The profiling pass, after everything timed: a V8 CPU profile (the inspector's Profiler, in this process) of
// each case of PROFILED_CASES, called back to back for PROFILE_MS, written to .reports/bench/profiles/door/ and
// summarized (scripts/bench/profile-summary.mjs): each owner's share of a call, Baton's door against the floor's.
async function profilePass() {
  const dir = new URL('.reports/bench/profiles/door/', root);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: PROFILE_INTERVAL_US });
    const cases = [];
    for (const key of PROFILED_CASES) {
      const [groupId, caseId] = key.split('/');
      const c = groups.find((g) => g.id === groupId)?.cases.find((one) => one.id === caseId);
      if (!c) continue;
      const { profile, calls } = await quiet(async () => {
        for (let i = 0; i < 2000; i++) await c.run(); // warm, outside the profile
        let count = 0;
        await session.post('Profiler.start');
        const end = performance.now() + PROFILE_MS;
        while (performance.now() < end) {
          for (let i = 0; i < 200; i++) await c.run();
          count += 200;
        }
        const stopped = await session.post('Profiler.stop');
        return { profile: stopped.profile, calls: count };
      });
      writeFileSync(new URL(`${groupId}-${caseId}.cpuprofile`, dir), JSON.stringify(profile));
      const summary = summarize(attribute(profile, { intervalUs: PROFILE_INTERVAL_US }), {
        topFunctions: 12,
      });
      cases.push({
        id: key,
        name: c.name,
        calls,
        // The case's timed median (above, unprofiled): the profile's shares of it give each owner's µs a call.
        timedUs: median((perRound[key] ?? []).map((r) => r.medianNs)) / 1000,
        profiledUsPerCall: (summary.busyMs * 1000) / calls,
        ...summary,
      });
    }
    return {
      intervalUs: PROFILE_INTERVAL_US,
      msPerCase: PROFILE_MS,
      dir: '.reports/bench/profiles/door',
      cases,
    };
  } finally {
    await session.post('Profiler.disable').catch(() => {});
    session.disconnect();
  }
}
// A failed profiling pass is recorded as such; the timings stand.
const profile = PROFILE
  ? await profilePass().catch((error: unknown) => ({
      error: error instanceof Error ? error.stack : String(error),
    }))
  : undefined;

const require = createRequire(import.meta.url);
const versionOf = (name: string) => {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    // A package whose `exports` hide package.json: read it where pnpm linked it for this workspace.
    return JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, import.meta.url), 'utf8'))
      .version;
  }
};

const result = {
  part: 'door',
  tool: `tinybench ${versionOf('tinybench')}`,
  rounds: ROUNDS,
  taskMs: TASK_MS,
  operation: `${OPERATION} (@baton/core/testing's registry: zod input and output, answers at once)`,
  durationMs: Date.now() - started,
  versions: {
    tinybench: versionOf('tinybench'),
    '@middy/core': versionOf('@middy/core'),
    '@middy/http-router': versionOf('@middy/http-router'),
    hono: versionOf('hono'),
    '@aws-lambda-powertools/event-handler': versionOf('@aws-lambda-powertools/event-handler'),
    '@aws-lambda-powertools/parser': versionOf('@aws-lambda-powertools/parser'),
    '@aws-lambda-powertools/logger': versionOf('@aws-lambda-powertools/logger'),
    zod: versionOf('zod'),
  },
  groups: groups.map((group) => {
    const floorKey = `${group.id}/${group.cases.find((c) => c.floor)?.id}`;
    const floorRounds = perRound[floorKey] ?? [];
    return {
      id: group.id,
      title: group.title,
      event: group.event,
      cases: group.cases.map((c) => {
        const rounds = perRound[`${group.id}/${c.id}`] ?? [];
        return {
          id: c.id,
          name: c.name,
          floor: c.floor === true,
          medianNs: median(rounds.map((r) => r.medianNs)),
          samples: rounds.reduce((sum, r) => sum + r.samples, 0),
          ratioToFloor: median(rounds.map((r, i) => r.medianNs / (floorRounds[i]?.medianNs ?? Number.NaN))),
          overFloorUs: median(
            rounds.map((r, i) => (r.medianNs - (floorRounds[i]?.medianNs ?? Number.NaN)) / 1000),
          ),
        };
      }),
    };
  }),
  storeCalls,
  profile,
};
writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(`door: ${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s → ${outFile}`);
