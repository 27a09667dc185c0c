import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaService, startLambdaService } from '../../src/index.js';
import {
  eventually,
  fixture,
  IDLE_TEST_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  invoke,
  lambdaClient,
  removeTemporaryDirs,
  temporaryDir,
} from '../support/helpers.js';

let service: LambdaService;
let client: LambdaClient;
const workDir = temporaryDir();

beforeAll(async () => {
  service = await startLambdaService({
    functions: [
      { name: 'one-at-a-time', entry: fixture('sleeper'), reservedConcurrency: 1, timeoutSeconds: 5 },
      { name: 'short-timeout', entry: fixture('counter'), timeoutSeconds: 0.3 },
      { name: 'long-runner', entry: fixture('sleeper'), timeoutSeconds: 30 },
      { name: 'scripted', entry: fixture('scripted'), timeoutSeconds: 30 },
      { name: 'forgets-a-promise', entry: fixture('forgets-a-promise'), timeoutSeconds: 5 },
      { name: 'memory-hog', entry: fixture('memory-hog'), timeoutSeconds: 20, memoryMb: 128 },
    ],
    timeScale: 0.001,
    logs: 'quiet',
  });
  client = lambdaClient(service.url);
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
  removeTemporaryDirs();
});

describe('concurrency', () => {
  it('answers a sync call beyond the reserved concurrency with 429 TooManyRequestsException', async () => {
    const calls = [
      invoke(client, { FunctionName: 'one-at-a-time', Payload: '{"ms":400}' }),
      invoke(client, { FunctionName: 'one-at-a-time', Payload: '{"ms":400}' }),
    ];
    const outcomes = await Promise.allSettled(calls);
    const succeeded = outcomes.filter((outcome) => outcome.status === 'fulfilled');
    const throttled = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(succeeded).toHaveLength(1);
    expect(throttled).toHaveLength(1);
    expect(throttled[0]).toBeInstanceOf(TooManyRequestsException);
    expect((throttled[0] as TooManyRequestsException).$metadata.httpStatusCode).toBe(429);
    expect((throttled[0] as TooManyRequestsException).Reason).toBe(
      'ReservedFunctionConcurrentInvocationLimitExceeded',
    );
  });

  it(
    'queues async events beyond the concurrency instead of throttling them',
    async () => {
      for (let i = 0; i < 3; i++) {
        const response = await invoke(client, {
          FunctionName: 'one-at-a-time',
          InvocationType: 'Event',
          Payload: '{"ms":50}',
        });
        expect(response.StatusCode).toBe(202);
      }
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      const events = service
        .invocations('one-at-a-time')
        .filter((record) => record.invocationType === 'Event');
      expect(events).toHaveLength(3);
      expect(events.every((record) => record.ok)).toBe(true);
      // One environment served everything: never more than the limit.
      expect(service.stats()['one-at-a-time']?.environments).toMatchObject({ started: 1, limit: 1 });
    },
    IDLE_TEST_TIMEOUT_MS,
  );
});

describe('timeouts', () => {
  it('ends an invocation past its timeout with Sandbox.Timedout and resets the environment', async () => {
    const warm1 = await invoke(client, { FunctionName: 'short-timeout' });
    const warm2 = await invoke(client, { FunctionName: 'short-timeout' });
    expect((warm2.payload as { invocations: number }).invocations).toBe(2);

    const started = Date.now();
    const timedOut = await invoke(client, { FunctionName: 'short-timeout', Payload: '{"sleepMs":8000}' });
    // Ended at its 0.3 s timeout, long before its 8 s sleep (a loose bound, for a busy machine).
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(timedOut.FunctionError).toBe('Unhandled');
    expect(timedOut.payload).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 0.30 seconds',
    });

    // The timed-out environment was ended: the next call is a cold start with fresh module state.
    const after = await invoke(client, { FunctionName: 'short-timeout' });
    expect((after.payload as { invocations: number }).invocations).toBe(1);
    expect((after.payload as { environmentId: string }).environmentId).not.toBe(
      (warm1.payload as { environmentId: string }).environmentId,
    );
    expect(service.stats()['short-timeout']).toMatchObject({ timeouts: 1 });
  });
});

describe('crashes', () => {
  it('fails the invocation on an unhandled rejection and resets the environment, as Lambda does', async () => {
    const warm = await invoke(client, { FunctionName: 'forgets-a-promise' });
    expect(warm.payload).toEqual({ invocations: 1 });
    const crashed = await invoke(client, { FunctionName: 'forgets-a-promise', Payload: '{"reject":true}' });
    expect(crashed.FunctionError).toBe('Unhandled');
    expect(crashed.payload).toMatchObject({
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: 'RangeError: nobody awaited me',
    });
    const fresh = await invoke(client, { FunctionName: 'forgets-a-promise' });
    expect(fresh.payload).toEqual({ invocations: 1 });
  });
});

describe('memory', () => {
  it('ends an environment that outgrows memoryMb with Runtime.OutOfMemory', async () => {
    const response = await invoke(client, { FunctionName: 'memory-hog' });
    expect(response.FunctionError).toBe('Unhandled');
    expect(response.payload).toMatchObject({ errorType: 'Runtime.OutOfMemory' });
    expect(service.stats()['memory-hog']?.environments).toMatchObject({ busy: 0, idle: 0 });
  });
});

describe('killEnvironments', () => {
  it('fails a running sync invocation as Runtime.ExitError', async () => {
    const startedFile = join(workDir, 'sync-started');
    const call = invoke(client, {
      FunctionName: 'long-runner',
      Payload: JSON.stringify({ ms: 20_000, startedFile }),
    });
    await eventually(() => existsSync(startedFile));
    expect(await service.killEnvironments('long-runner')).toBe(1);
    const response = await call;
    expect(response.FunctionError).toBe('Unhandled');
    expect(response.payload).toMatchObject({
      errorType: 'Runtime.ExitError',
      errorMessage: 'Runtime exited with error: signal: killed',
    });
  });

  it(
    'retries a killed async invocation in a new environment',
    async () => {
      const attemptsFile = join(workDir, 'kill-attempts');
      const doneFile = join(workDir, 'kill-done');
      await invoke(client, {
        FunctionName: 'scripted',
        InvocationType: 'Event',
        Payload: JSON.stringify({ attemptsFile, doneFile, hangOnAttempt: 1 }),
      });
      await eventually(() => existsSync(attemptsFile));
      await service.killEnvironments('scripted');
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      expect(readFileSync(doneFile, 'utf8')).toBe('2');
      const attempts = service.invocations('scripted');
      expect(attempts.map((record) => [record.attempt, record.ok, record.cause])).toEqual([
        [1, false, 'killed'],
        [2, true, undefined],
      ]);
      expect(attempts[0]?.environmentId).not.toBe(attempts[1]?.environmentId);
      expect(service.failedEvents()).toEqual([]);
    },
    IDLE_TEST_TIMEOUT_MS,
  );
});
