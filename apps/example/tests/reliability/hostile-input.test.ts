import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  API_GATEWAY_PAYLOAD_LIMIT_BYTES,
  type Endpoints,
  FUNCTION_URL_PAYLOAD_LIMIT_BYTES,
  type RunningService,
  SYNC_PAYLOAD_LIMIT_BYTES,
  startService,
} from '@baton/local';
import { functionsInUse, servingFunction } from '@baton/service';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionKey, service } from '../../baton.config.js';
import {
  DOORS,
  type Door,
  type DoorLimits,
  doorRequest,
  fixedPayloads,
  fixedRequests,
  type HostileRequest,
  invokePayload,
} from './hostile-input.generators.js';
import {
  describeAnswer,
  describeInvokeAnswer,
  describePayload,
  describeRequest,
  type FunctionRole,
  forEachBounded,
  invoke,
  judgeHttp,
  judgeInvoke,
  sendHttp,
  statusClass,
  Tally,
} from './hostile-input.harness.js';

/**
 * Hostile input against the whole example service on this machine: generated requests through every HTTP
 * door (REST API, HTTP API, Function URL) and generated payloads through the real Invoke API to every
 * function. Nothing may crash: no 5xx but the documented gateway ones, every refusal a problem, no
 * FunctionError, no job-run event for an unknown job doing anything.
 *
 * BATON_RELIABILITY=full sends 10,000 per door and per function; otherwise one or two hundred, so the file stays
 * well under a minute. BATON_RELIABILITY_SEED replays a run (the seed is printed; a failing sample's index is
 * its place in that run). The figures go to .reports/reliability/hostile-input.json.
 */

const FULL = process.env.BATON_RELIABILITY === 'full';
// The reduced run keeps every fixed edge case and samples fewer generated ones: the full run covers the rest.
const REQUESTS_PER_DOOR = FULL ? 10_000 : 150;
const PAYLOADS_PER_FUNCTION = FULL ? 10_000 : 100;
const DEFAULT_SEED = 20_261_202;
const SEED = seedOf(process.env.BATON_RELIABILITY_SEED);
/** At most this many requests in flight at once: gentle on a 2-core machine. */
const MAX_CONCURRENCY = 8;
/** Under a function's reserved concurrency by this much, room for the async jobs a self-invoking door runs. */
const CONCURRENCY_HEADROOM = 4;
const REQUEST_TIMEOUT_MS = 90_000;
/**
 * A function that runs its own jobs (a self-invoking door) shares its concurrency with them: a burst of
 * accepted jobs can throttle the next request. That is the suite's doing, not the input's, so a throttled
 * request is sent again, up to this many times in all, and counted.
 */
const THROTTLE_ATTEMPTS = 5;
const TEST_TIMEOUT_MS = FULL ? 3 * 60 * 60_000 : 120_000;

function seedOf(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed))
    throw new Error(`BATON_RELIABILITY_SEED must be an integer, got '${text}'.`);
  return seed;
}

const DOOR_KINDS: Record<Door, 'rest-api' | 'http-api' | 'function-url'> = {
  restApi: 'rest-api',
  httpApi: 'http-api',
  functionUrl: 'function-url',
};

const DOOR_LIMITS: Record<Door, DoorLimits> = {
  restApi: { gatewayBytes: API_GATEWAY_PAYLOAD_LIMIT_BYTES, invokeBytes: SYNC_PAYLOAD_LIMIT_BYTES },
  httpApi: { gatewayBytes: API_GATEWAY_PAYLOAD_LIMIT_BYTES, invokeBytes: SYNC_PAYLOAD_LIMIT_BYTES },
  functionUrl: { gatewayBytes: FUNCTION_URL_PAYLOAD_LIMIT_BYTES, invokeBytes: SYNC_PAYLOAD_LIMIT_BYTES },
};

const FUNCTION_KEYS = functionsInUse(service);
/** The local Lambda service's limit for a function that reserves no concurrency. */
const DEFAULT_CONCURRENCY = 10;

/** The function serving an HTTP door: the example serves every one. */
function functionFor(door: (typeof DOOR_KINDS)[Door]): FunctionKey {
  const key = servingFunction(service, door);
  if (key === undefined) throw new Error(`The example service has no ${door} door.`);
  return key;
}

/** The base URL of a door. */
function urlOf(door: Door): string {
  const url = endpoints[door];
  if (url === undefined) throw new Error(`The example service has no ${door} door.`);
  return url;
}

const concurrencyFor = (key: FunctionKey) =>
  Math.max(
    1,
    Math.min(
      MAX_CONCURRENCY,
      (service.functions[key].reservedConcurrency ?? DEFAULT_CONCURRENCY) - CONCURRENCY_HEADROOM,
    ),
  );

function roleOf(key: FunctionKey): FunctionRole {
  const { doors } = service.functions[key];
  if (doors.includes('invoke')) return 'rpc';
  if (doors.length > 0) return 'http-door';
  return 'worker';
}

// ---- the report ------------------------------------------------------------------------------------------

type LambdaCounts = Record<
  string,
  { invocations: number; errors: number; timeouts: number; throttles: number; failedEvents: number }
>;

interface PhaseReport {
  readonly sent: number;
  readonly retriedAfterThrottle: number;
  readonly concurrency: number;
  readonly elapsedSeconds: number;
  readonly byStatusClass: Record<string, number>;
  readonly byStatus: Record<string, number>;
  readonly byCategory: Record<string, number>;
  readonly documentedRefusals: Record<string, number>;
  readonly failures: Record<string, number>;
  readonly causes: Record<string, number>;
  readonly failedRequests: number;
  /** What the local Lambda service counted for each function during the phase (async job runs included). */
  readonly lambda: LambdaCounts;
  readonly samples: Tally['samples'];
}

const startedAt = new Date();
const report = {
  suite: 'hostile-input',
  size: FULL ? 'full' : 'reduced',
  seed: SEED,
  startedAt: startedAt.toISOString(),
  finishedAt: '',
  elapsedSeconds: 0,
  perDoor: REQUESTS_PER_DOOR,
  perFunction: PAYLOADS_PER_FUNCTION,
  doors: {} as Record<string, PhaseReport & { acceptedJobs: Record<string, number> }>,
  functions: {} as Record<string, PhaseReport & { functionName: string; role: FunctionRole }>,
  totals: { httpRequests: 0, invocations: 0, failures: 0, failuresByKind: {} as Record<string, number> },
};

function workspaceRoot(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) throw new Error('No pnpm-workspace.yaml above this test.');
  }
}

function writeReport(): string {
  const finishedAt = new Date();
  report.finishedAt = finishedAt.toISOString();
  report.elapsedSeconds = round((finishedAt.getTime() - startedAt.getTime()) / 1000);
  const phases = [...Object.values(report.doors), ...Object.values(report.functions)];
  report.totals.httpRequests = Object.values(report.doors).reduce((sum, phase) => sum + phase.sent, 0);
  report.totals.invocations = Object.values(report.functions).reduce((sum, phase) => sum + phase.sent, 0);
  report.totals.failuresByKind = {};
  for (const phase of phases) {
    for (const [kind, count] of Object.entries(phase.failures)) {
      report.totals.failuresByKind[kind] = (report.totals.failuresByKind[kind] ?? 0) + count;
    }
  }
  report.totals.failures = Object.values(report.totals.failuresByKind).reduce((sum, n) => sum + n, 0);
  const file = join(workspaceRoot(), '.reports', 'reliability', 'hostile-input.json');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

const round = (value: number) => Math.round(value * 10) / 10;

// ---- the stack -------------------------------------------------------------------------------------------

let stack: RunningService | undefined;
let endpoints: Endpoints;
let lambda: LambdaClient;
const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONCURRENCY });

beforeAll(async () => {
  console.log(
    `[hostile-input] seed ${SEED} (replay: BATON_RELIABILITY_SEED=${SEED}${FULL ? ' BATON_RELIABILITY=full' : ''}), ` +
      `${REQUESTS_PER_DOOR} requests per door, ${PAYLOADS_PER_FUNCTION} payloads per function`,
  );
  stack = await startService(service, {
    appDir: join(dirname(fileURLToPath(import.meta.url)), '..', '..'),
    logs: 'quiet',
  });
  endpoints = stack.endpoints;
  lambda = new LambdaClient({
    endpoint: endpoints.invoke,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    // A retry would hide the answer being judged.
    maxAttempts: 1,
  });
}, 120_000);

afterAll(async () => {
  try {
    const file = writeReport();
    console.log(`[hostile-input] figures in ${file.slice(workspaceRoot().length + 1)}`);
  } finally {
    lambda?.destroy();
    agent.destroy();
    await stack?.stop();
  }
}, 60_000);

function lambdaCounts(): LambdaCounts {
  const stats = (stack as NonNullable<typeof stack>).lambda.stats();
  return Object.fromEntries(
    Object.entries(stats).map(([name, s]) => [
      name,
      {
        invocations: s.invocations,
        errors: s.errors,
        timeouts: s.timeouts,
        throttles: s.throttles,
        failedEvents: s.failedEvents,
      },
    ]),
  );
}

/** Lets the async jobs a phase started finish, then counts what the Lambda service saw since `before`. */
async function settle(tally: Tally, before: LambdaCounts): Promise<LambdaCounts> {
  try {
    await (stack as NonNullable<typeof stack>).lambda.waitForIdle({ timeoutMs: 60_000 });
  } catch (error) {
    tally.fail('lambda-not-idle-after-60s', { index: -1, request: 'after the phase', answer: String(error) });
  }
  const after = lambdaCounts();
  const delta: LambdaCounts = {};
  for (const [name, counts] of Object.entries(after)) {
    const was = before[name] ?? { invocations: 0, errors: 0, timeouts: 0, throttles: 0, failedEvents: 0 };
    delta[name] = {
      invocations: counts.invocations - was.invocations,
      errors: counts.errors - was.errors,
      timeouts: counts.timeouts - was.timeouts,
      throttles: counts.throttles - was.throttles,
      failedEvents: counts.failedEvents - was.failedEvents,
    };
    // A crash (or timeout) of any invocation, the async job runs included, is a failure; so is an async event
    // Lambda gave up on. Throttles are counted (and the throttled requests sent again).
    if (delta[name].errors > 0) tally.failures[`lambda-errors:${name}`] = delta[name].errors;
    if (delta[name].failedEvents > 0)
      tally.failures[`lambda-failed-events:${name}`] = delta[name].failedEvents;
  }
  return delta;
}

const throttlesOf = (functionName: string) =>
  (stack as NonNullable<typeof stack>).lambda.stats()[functionName]?.throttles ?? 0;

/** Sends a request; one that the door's function was too busy to take (throttled) is sent again. */
async function sendHttpThroughThrottles(
  door: Door,
  request: HostileRequest,
  tally: Tally,
  base = urlOf(door),
) {
  const functionName = endpoints.functions[functionFor(DOOR_KINDS[door])] as string;
  for (let attempt = 1; ; attempt += 1) {
    const throttlesBefore = throttlesOf(functionName);
    const answer = await sendHttp(base, request, agent, REQUEST_TIMEOUT_MS);
    const throttled =
      (answer.status === 429 || answer.status >= 500) && throttlesOf(functionName) > throttlesBefore;
    if (!throttled || attempt === THROTTLE_ATTEMPTS) return answer;
    tally.retriedAfterThrottle += 1;
    await sleep(200 * attempt);
  }
}

function phaseReport(tally: Tally, concurrency: number, started: number, delta: LambdaCounts): PhaseReport {
  return {
    sent: tally.sent,
    retriedAfterThrottle: tally.retriedAfterThrottle,
    concurrency,
    elapsedSeconds: round((performance.now() - started) / 1000),
    byStatusClass: tally.byStatusClass,
    byStatus: tally.byStatus,
    byCategory: tally.byCategory,
    documentedRefusals: tally.documentedRefusals,
    failures: tally.failures,
    causes: tally.causes,
    failedRequests: tally.failedRequests,
    lambda: delta,
    samples: tally.samples,
  };
}

function failureMessage(what: string, tally: Tally): string {
  return [
    `${what}: ${tally.failedRequests} offending answer(s); failures by kind ${JSON.stringify(tally.failures)}.`,
    `By cause: ${JSON.stringify(tally.causes, null, 2)}`,
    `Replay with BATON_RELIABILITY_SEED=${SEED}${FULL ? ' BATON_RELIABILITY=full' : ''}; first samples (index = place in the run):`,
    ...tally.samples.map((sample) => JSON.stringify(sample, null, 2)),
  ].join('\n');
}

function summary(what: string, phase: PhaseReport): string {
  return `[hostile-input] ${what}: ${phase.sent} in ${phase.elapsedSeconds} s (${phase.concurrency} at a time, ${phase.retriedAfterThrottle} sent again after a throttle), ${JSON.stringify(phase.byStatusClass)}, documented refusals ${JSON.stringify(phase.documentedRefusals)}, failures ${JSON.stringify(phase.failures)}`;
}

// ---- the doors -------------------------------------------------------------------------------------------

/** Follows each accepted job to its end: a job the service took on must finish, and succeed (all are valid). */
async function followAcceptedJobs(
  door: Door,
  accepted: readonly { index: number; location: string; request: HostileRequest }[],
  tally: Tally,
  concurrency: number,
): Promise<Record<string, number>> {
  const origin = new URL(urlOf(door)).origin;
  const outcomes: Record<string, number> = {};
  await forEachBounded(accepted, concurrency, async ({ index, location, request }) => {
    const auth = request.headers.filter(([name]) =>
      ['authorization', 'x-amz-date'].includes(name.toLowerCase()),
    );
    const poll: HostileRequest = {
      category: 'follow-up',
      method: 'GET',
      path: location,
      headers: auth,
      expect: 'success',
    };
    try {
      const answer = await sendHttpThroughThrottles(door, poll, tally, origin);
      const job =
        answer.status === 200 ? (JSON.parse(answer.body.toString('utf8')) as { status?: string }) : undefined;
      const outcome = job?.status ?? `http-${answer.status}`;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (outcome !== 'succeeded') {
        tally.fail(`accepted-job-not-succeeded:${outcome}`, {
          index,
          request: describeRequest(request),
          answer: { followedUp: location, ...describeAnswer(answer) },
        });
      }
    } catch (error) {
      tally.fail('accepted-job-unreadable', {
        index,
        request: describeRequest(request),
        answer: String(error),
      });
    }
  });
  return outcomes;
}

describe('hostile input through every door, against the local stack', () => {
  it('covers every function the stack serves', () => {
    expect(Object.keys(endpoints.functions).sort()).toEqual([...FUNCTION_KEYS].sort());
  });

  DOORS.forEach((door, doorIndex) => {
    const key = functionFor(DOOR_KINDS[door]);
    const concurrency = concurrencyFor(key);
    it(
      `${door}: ${REQUESTS_PER_DOOR} generated requests, no 5xx, every refusal a problem`,
      async () => {
        const started = performance.now();
        const before = lambdaCounts();
        const fixed = fixedRequests(DOOR_LIMITS[door]);
        const generated = fc.sample(doorRequest(door), {
          seed: SEED + doorIndex,
          numRuns: Math.max(0, REQUESTS_PER_DOOR - fixed.length),
        });
        const requests = [...fixed, ...generated];
        const tally = new Tally();
        const accepted: { index: number; location: string; request: HostileRequest }[] = [];

        await forEachBounded(requests, concurrency, async (request, index) => {
          let answer: Awaited<ReturnType<typeof sendHttp>>;
          try {
            answer = await sendHttpThroughThrottles(door, request, tally);
          } catch (error) {
            tally.record(request.category, 'no-answer', 'no-answer', { failures: ['no-answer'] }, () => ({
              index,
              request: describeRequest(request),
              answer: String(error),
            }));
            return;
          }
          const verdict = judgeHttp(door, request, answer);
          tally.record(request.category, statusClass(answer.status), String(answer.status), verdict, () => ({
            index,
            request: describeRequest(request),
            answer: describeAnswer(answer),
          }));
          const location = answer.headers.location;
          if (answer.status === 202 && request.method === 'POST' && typeof location === 'string') {
            accepted.push({ index, location, request });
          }
        });
        const delta = await settle(tally, before);
        const acceptedJobs = await followAcceptedJobs(door, accepted, tally, concurrency);
        const phase = { ...phaseReport(tally, concurrency, started, delta), acceptedJobs };
        report.doors[door] = phase;
        console.log(summary(door, phase));
        expect(tally.failureCount, failureMessage(door, tally)).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );
  });

  // ---- the functions, invoked directly -------------------------------------------------------------------

  FUNCTION_KEYS.forEach((key, keyIndex) => {
    const role = roleOf(key);
    const concurrency = concurrencyFor(key);
    it(
      `function ${key} (${role}): ${PAYLOADS_PER_FUNCTION} generated payloads, no FunctionError, refusals are problems`,
      async () => {
        const functionName = endpoints.functions[key] as string;
        const started = performance.now();
        // Jobs of earlier phases must not take the environments this phase counts on.
        await (stack as NonNullable<typeof stack>).lambda.waitForIdle({ timeoutMs: 60_000 });
        const before = lambdaCounts();
        const fixed = fixedPayloads(SYNC_PAYLOAD_LIMIT_BYTES);
        const generated = fc.sample(invokePayload, {
          seed: SEED + 100 + keyIndex,
          numRuns: Math.max(0, PAYLOADS_PER_FUNCTION - fixed.length),
        });
        const payloads = [...fixed, ...generated];
        const tally = new Tally();

        await forEachBounded(payloads, concurrency, async (payload, index) => {
          let answer = await invoke(lambda, functionName, payload);
          for (let attempt = 2; attempt <= THROTTLE_ATTEMPTS; attempt += 1) {
            if (answer.kind !== 'refused' || answer.name !== 'TooManyRequestsException') break;
            tally.retriedAfterThrottle += 1;
            await sleep(200 * attempt);
            answer = await invoke(lambda, functionName, payload);
          }
          const verdict = judgeInvoke(role, payload, answer, SYNC_PAYLOAD_LIMIT_BYTES);
          tally.record(payload.category, verdict.statusClass, verdict.status, verdict, () => ({
            index,
            request: { functionName, ...describePayload(payload) },
            answer: describeInvokeAnswer(answer),
          }));
        });
        const delta = await settle(tally, before);
        const phase = { functionName, role, ...phaseReport(tally, concurrency, started, delta) };
        report.functions[key] = phase;
        console.log(summary(`function ${key}`, phase));
        expect(tally.failureCount, failureMessage(`function ${key}`, tally)).toBe(0);
      },
      TEST_TIMEOUT_MS,
    );
  });
});
