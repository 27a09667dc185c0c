import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { isTerminal, type Job } from '@baton/core';
import { DynamoDbJobStore } from '@baton/dynamodb';
import { type FaultOptions, type StartServiceOptions, startService } from '@baton/local';
import { jobsTableName } from '@baton/service';
import { reliabilityService } from './fixtures/service.js';

/** `BATON_RELIABILITY=full` runs the sizes docs/reliability.md reports; otherwise a reduced run for `pnpm test`. */
export const FULL = process.env.BATON_RELIABILITY === 'full';
export const SEED = Number(process.env.BATON_RELIABILITY_SEED ?? 20_261_202);

/** The example's folder: the service definition's entries are relative to it. */
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const repositoryRoot = join(appDir, '..', '..');
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** One line of the tally file: an execution of a suite operation, as the operation itself recorded it. */
export interface Execution {
  readonly op: string;
  readonly jobId: string | null;
  readonly attempt: number;
  readonly from?: number;
  readonly at: number;
}

export interface ReliabilityStackOptions {
  readonly faults?: FaultOptions;
  /** How often the reconciler runs, and after how long it looks at an unwritten job. */
  readonly reconcileEveryMs?: number;
  readonly reconcileGraceMs?: number;
  readonly leaseTtlMs?: number;
  /** Scales the local Lambda service's retry backoff and event age (1 = AWS's minutes). */
  readonly timeScale?: number;
  readonly extra?: Partial<StartServiceOptions>;
}

/**
 * The reliability service (the example's handlers plus the suite's operations) on the real local stack: the
 * Invoke API, the gateway emulators and the embedded DynamoDB, with the reconciler on a short timer. Every
 * execution of a suite operation is appended to a tally file — the side effect the suite counts by.
 */
export async function startReliabilityStack(options: ReliabilityStackOptions = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'baton-reliability-'));
  const tallyFile = join(dir, 'executions.jsonl');
  writeFileSync(tallyFile, '');
  const stack = await startService(reliabilityService, {
    appDir,
    logs: 'quiet',
    // The worker's timeout is 6 s (fixtures/service.ts): a checkpointing job hands over 1 s before it ends.
    environment: { BATON_TALLY_FILE: tallyFile, BATON_HANDOFF_MARGIN_MS: '1000' },
    leaseTtlMs: options.leaseTtlMs ?? 2_000,
    reconciler: { everyMs: options.reconcileEveryMs ?? 1_000, graceMs: options.reconcileGraceMs ?? 2_000 },
    // A tenth of AWS's waits: retries after 6 s and 12 s, and events age out after 6 minutes (the worker's
    // one hour scaled) — longer than the suite's biggest backlog takes to drain, as an hour is in AWS.
    timeScale: options.timeScale ?? 0.1,
    ...(options.faults && { faults: options.faults }),
    ...options.extra,
  });
  // The reliability service has every HTTP door: the tests may use any without checking.
  const { restApi, httpApi, functionUrl } = stack.endpoints;
  if (restApi === undefined || httpApi === undefined || functionUrl === undefined) {
    await stack.stop();
    throw new Error('The reliability service lacks an HTTP door.');
  }
  const endpoints = { ...stack.endpoints, restApi, httpApi, functionUrl };
  const dynamo = new DynamoDBClient({ endpoint: endpoints.dynamodb, region: 'us-east-1', credentials });
  const store = new DynamoDbJobStore({ client: dynamo, tableName: jobsTableName(reliabilityService) });
  const lambda = new LambdaClient({
    endpoint: endpoints.invoke,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });

  const executions = (): Execution[] =>
    readFileSync(tallyFile, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Execution);

  /**
   * Delivers a job-run event to a function, as Lambda would: `Event` or `RequestResponse`. A throttled delivery
   * (the function is at its concurrency) is sent again until it gets in, so that every delivery reaches the
   * handler; resolves with how many throttles that took, and whether the handler answered an error.
   */
  const deliver = async (
    functionName: string,
    jobId: string,
    hop: number,
    type: 'Event' | 'RequestResponse',
  ) => {
    for (let throttled = 0; ; throttled++) {
      try {
        const answer = await lambda.send(
          new InvokeCommand({
            FunctionName: functionName,
            InvocationType: type,
            Payload: new TextEncoder().encode(JSON.stringify({ baton: 'job.run', v: 1, jobId, hop })),
          }),
        );
        return { throttled, functionError: answer.FunctionError };
      } catch (error) {
        if ((error as Error).name !== 'TooManyRequestsException' || throttled >= 200) throw error;
        await sleep(50);
      }
    }
  };

  const stop = async () => {
    lambda.destroy();
    dynamo.destroy();
    await stack.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  return { stack, endpoints, store, executions, deliver, stop };
}

export type ReliabilityStack = Awaited<ReturnType<typeof startReliabilityStack>>;

/**
 * Polls the store until every job is terminal or the time is up. Returns the jobs as they ended and the ids still
 * unfinished (which a test reports as stuck).
 */
export async function waitUntilTerminal(
  store: DynamoDbJobStore,
  ids: readonly string[],
  options: { timeoutMs: number; pollMs?: number },
): Promise<{ ended: Map<string, Job>; unfinished: string[]; missing: string[] }> {
  const ended = new Map<string, Job>();
  const missing = new Set<string>();
  let pending = [...ids];
  const deadline = Date.now() + options.timeoutMs;
  while (pending.length > 0 && Date.now() < deadline) {
    const next: string[] = [];
    for (let i = 0; i < pending.length; i += 25) {
      const batch = pending.slice(i, i + 25);
      const jobs = await Promise.all(batch.map((id) => store.get(id)));
      jobs.forEach((job, index) => {
        const id = batch[index] as string;
        if (!job) missing.add(id);
        else if (isTerminal(job.status)) ended.set(id, job);
        else next.push(id);
      });
    }
    pending = next.filter((id) => !missing.has(id));
    if (pending.length > 0) await sleep(options.pollMs ?? 500);
  }
  return { ended, unfinished: pending, missing: [...missing] };
}

/** Runs `work` over items with at most `limit` in flight. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
) {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
};

/** The figures of one part of the suite, for scripts/reliability-report.mjs to compose docs/reliability.md. */
export function writeFigures(name: string, figures: Record<string, unknown>): void {
  const folder = join(repositoryRoot, '.reports', 'reliability');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, `${name}.json`),
    `${JSON.stringify({ suite: name, size: FULL ? 'full' : 'reduced', seed: SEED, at: new Date().toISOString(), ...figures }, null, 2)}\n`,
  );
}

/** POST /jobs on an HTTP door; resolves with the status, the body and how long it took. */
export async function postJob(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, ms: performance.now() - started };
}

/**
 * POST /jobs as a well-behaved client does: an answer of 429 or 5xx (a throttled or failed door — the HTTP API
 * answers a throttled function with 500) is sent again, with the same Idempotency-Key, after a jittered backoff.
 * Resolves with the last answer, the attempts it took and the time from the first send.
 */
export async function postJobWithRetries(
  baseUrl: string,
  body: unknown,
  headers: Record<string, string> & { 'idempotency-key': string },
  maxAttempts = 200,
): Promise<{
  status: number;
  body: Record<string, unknown>;
  ms: number;
  attempts: number;
  statuses: number[];
}> {
  const started = performance.now();
  const statuses: number[] = [];
  for (let attempt = 1; ; attempt++) {
    const answer = await postJob(baseUrl, body, headers);
    if (answer.status < 500 && answer.status !== 429) {
      return { ...answer, ms: performance.now() - started, attempts: attempt, statuses };
    }
    statuses.push(answer.status);
    if (attempt >= maxAttempts)
      return { ...answer, ms: performance.now() - started, attempts: attempt, statuses };
    await sleep(Math.random() * Math.min(2_000, 100 * 2 ** (attempt - 1)));
  }
}

/** How many jobs ended with each error type (`type: message` of the first of each), for a report. */
export function countErrors(jobs: Iterable<Job>): Record<string, { count: number; example: string }> {
  const errors: Record<string, { count: number; example: string }> = {};
  for (const job of jobs) {
    if (!job.error || job.status === 'succeeded') continue;
    const entry = errors[job.error.type] ?? { count: 0, example: job.error.message };
    entry.count += 1;
    errors[job.error.type] = entry;
  }
  return errors;
}
