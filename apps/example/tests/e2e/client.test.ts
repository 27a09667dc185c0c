import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import {
  BatonJobCancelledError,
  BatonProblemError,
  type ClientOptions,
  createClient,
  type JobProgressUpdate,
} from '@baton/client';
import { type RunningService, startService } from '@baton/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { service } from '../../baton.config.js';
import type { registry } from '../../src/operations/index.js';

/**
 * The client against the example service's whole local stack: every door, as a user would reach it. One stack
 * for the file; each door's jobs are told apart by their ids, never by counting a shared list.
 */
const appDir = fileURLToPath(new URL('../..', import.meta.url));
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
/** About a second of work on one core (about 10 million records a second), reported in 20 batches. */
const REPORT = { records: 12_000_000, batchSize: 600_000 };

let stack: RunningService;
const doors: Record<string, () => ClientOptions['target']> = {
  'REST API': () => ({ http: { url: stack.endpoints.restApi as string } }),
  'HTTP API': () => ({ http: { url: stack.endpoints.httpApi as string } }),
  'Function URL': () => ({ http: { url: stack.endpoints.functionUrl as string } }),
  Invoke: () => ({
    invoke: {
      functionName: stack.endpoints.functions.rpc as string,
      endpoint: stack.endpoints.invoke,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      caller: 'client-tests',
    },
  }),
};

beforeAll(async () => {
  stack = await startService(service, { appDir, basePort: 0, logs: 'quiet' });
});

afterAll(async () => {
  await stack?.stop();
});

describe.each(Object.keys(doors))('through the %s door', (door) => {
  const client = () =>
    createClient<typeof registry>({ target: (doors[door] as () => ClientOptions['target'])() });

  it('runs an operation synchronously and types its result', async () => {
    const baton = client();
    try {
      const result = await baton.run('checksum', { text: `hello ${door}` });
      expect(result).toEqual({
        algorithm: 'sha256',
        digest: sha256(`hello ${door}`),
        bytes: 6 + door.length,
      });
    } finally {
      baton.destroy();
    }
  });

  it('runs a job asynchronously, reporting its progress while it moves, and gets it', async () => {
    const baton = client();
    try {
      const job = await baton.run('report', REPORT, { mode: 'async' });
      expect(job.id).toMatch(/\S/);
      expect(job.operation).toBe('report');
      const updates: JobProgressUpdate[] = [];
      const result = await job.wait({ pollIntervalMs: 100, onProgress: (update) => updates.push(update) });
      expect(result.records).toBe(REPORT.records);

      const last = updates.at(-1);
      expect(last).toMatchObject({ jobId: job.id, status: 'succeeded', fraction: 1, etaMs: 0 });
      const fractions = updates.map((update) => update.fraction ?? 0);
      expect(fractions).toEqual([...fractions].sort((a, b) => a - b));
      // It was seen under way: a status before the end, not only the end.
      expect(updates.some((update) => update.status !== 'succeeded')).toBe(true);
      expect(new Set(updates.map((update) => `${update.status}|${update.fraction}`)).size).toBeGreaterThan(1);
      for (const [index, update] of updates.entries()) {
        if (index > 0)
          expect(update.elapsedMs).toBeGreaterThanOrEqual(
            (updates[index - 1] as JobProgressUpdate).elapsedMs,
          );
      }

      const view = await job.get();
      expect(view).toMatchObject({ id: job.id, operation: 'report', status: 'succeeded' });
      expect(view.result?.records).toBe(REPORT.records);
      expect(typeof view.createdAt).toBe('string');
    } finally {
      baton.destroy();
    }
  });

  it('waits on an async run when asked to (mode async, wait true)', async () => {
    const baton = client();
    try {
      const result = await baton.run(
        'checksum',
        { text: 'x', algorithm: 'md5' },
        { mode: 'async', wait: true },
      );
      expect(result).toEqual({
        algorithm: 'md5',
        digest: createHash('md5').update('x').digest('hex'),
        bytes: 1,
      });
    } finally {
      baton.destroy();
    }
  });

  it('lists the caller’s jobs page by page, newest first', async () => {
    const baton = client();
    try {
      const ids: string[] = [];
      for (const text of ['a', 'b', 'c']) {
        const job = await baton.run('checksum', { text: `${door} ${text}` }, { mode: 'async' });
        await job.wait({ pollIntervalMs: 50 });
        ids.push(job.id);
      }
      const listed: string[] = [];
      for await (const job of baton.listJobs({ limit: 2 })) {
        listed.push(job.id);
        if (ids.every((id) => listed.includes(id))) break;
      }
      const positions = ids.map((id) => listed.indexOf(id));
      expect(positions.every((position) => position >= 0)).toBe(true);
      // Newest first: the last submitted comes first.
      expect([...positions].sort((a, b) => b - a)).toEqual(positions);

      const succeeded: string[] = [];
      for await (const job of baton.listJobs({ limit: 50, status: 'succeeded' })) {
        expect(job.status).toBe('succeeded');
        succeeded.push(job.id);
      }
      expect(succeeded).toEqual(expect.arrayContaining(ids));
    } finally {
      baton.destroy();
    }
  });

  it('cancels a job, and waiting on it then ends with BatonJobCancelledError', async () => {
    const baton = client();
    try {
      const job = await baton.run('wait', { seconds: 30 }, { mode: 'async' });
      const cancelled = await job.cancel();
      expect(cancelled.id).toBe(job.id);
      expect(cancelled.status === 'cancelled' || cancelled.cancelRequested === true).toBe(true);
      const error = await job.wait({ pollIntervalMs: 100 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BatonJobCancelledError);
      expect((error as BatonJobCancelledError).job).toMatchObject({ id: job.id, status: 'cancelled' });
    } finally {
      baton.destroy();
    }
  });

  it('turns a bad input into BatonProblemError with the field that is wrong', async () => {
    const baton = client();
    try {
      // @ts-expect-error -- the wrong type on purpose: the service, not the compiler, is under test here.
      const error = await baton.run('checksum', { text: 42 }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BatonProblemError);
      const problem = error as BatonProblemError;
      expect([400, 422]).toContain(problem.status);
      expect(problem.type).toMatch(/validation-error$/);
      expect(problem.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ pointer: '/input/text' })]),
      );
    } finally {
      baton.destroy();
    }
  });

  it('describes the operations with their JSON Schemas', async () => {
    const baton = client();
    try {
      const operations = await baton.describeOperations();
      expect(operations.map((operation) => operation.name).sort()).toEqual(['checksum', 'report', 'wait']);
      expect(operations[0]?.inputSchema).toMatchObject({ type: 'object' });
    } finally {
      baton.destroy();
    }
  });
});

describe('IAM-signed requests', () => {
  const signed = (accessKeyId: string) =>
    createClient<typeof registry>({
      target: {
        http: {
          url: stack.endpoints.httpApi as string,
          iam: true,
          region: 'us-east-1',
          credentials: { accessKeyId, secretAccessKey: `${accessKeyId}-secret` },
        },
      },
    });

  it('makes the access key the owner: a job of key A is not visible to key B, nor to an unsigned caller', async () => {
    const alice = signed('AKIDCLIENTALICE');
    const bob = signed('AKIDCLIENTBOB');
    const anonymous = createClient<typeof registry>({
      target: { http: { url: stack.endpoints.httpApi as string } },
    });
    try {
      const job = await alice.run('checksum', { text: 'mine' }, { mode: 'async' });
      await expect(job.wait({ pollIntervalMs: 50 })).resolves.toMatchObject({ digest: sha256('mine') });
      await expect(alice.job('checksum', job.id).get()).resolves.toMatchObject({ id: job.id });

      for (const stranger of [bob, anonymous]) {
        const error = await stranger
          .job(job.id)
          .get()
          .catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(BatonProblemError);
        expect((error as BatonProblemError).status).toBe(404);
        const listed: string[] = [];
        for await (const other of stranger.listJobs({ limit: 100 })) listed.push(other.id);
        expect(listed).not.toContain(job.id);
      }
    } finally {
      alice.destroy();
      bob.destroy();
      anonymous.destroy();
    }
  });
});
