import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
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

// timeScale 0.001: Lambda's retry backoff (1 min, then 2 min) becomes 60 ms and 120 ms, and a 60 s maximum
// event age becomes 60 ms.
let service: LambdaService;
let client: LambdaClient;
const workDir = temporaryDir();
const failedEventsFile = join(workDir, 'state', 'failed-events.json');

beforeAll(async () => {
  service = await startLambdaService({
    functions: [
      { name: 'scripted', entry: fixture('scripted') },
      { name: 'no-retries', entry: fixture('scripted'), async: { maximumRetryAttempts: 0 } },
      { name: 'short-lived-events', entry: fixture('scripted'), async: { maximumEventAgeSeconds: 60 } },
    ],
    timeScale: 0.001,
    logs: 'quiet',
    failedEventsFile,
  });
  client = lambdaClient(service.url);
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
  removeTemporaryDirs();
});

function attemptsIn(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').length : 0;
}

describe('async retries and the failure destination', () => {
  it(
    'retries a failing event twice with backoff, then records it; a redrive runs it again',
    async () => {
      const attemptsFile = join(workDir, 'retry-attempts');
      const readyFlag = join(workDir, 'retry-ready');
      const doneFile = join(workDir, 'retry-done');
      const payload = { attemptsFile, failUntilExists: readyFlag, doneFile };
      const accepted = await invoke(client, {
        FunctionName: 'scripted',
        InvocationType: 'Event',
        Payload: JSON.stringify(payload),
      });
      const requestId = accepted.$metadata.requestId;
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });

      expect(attemptsIn(attemptsFile)).toBe(3);
      const attempts = service.invocations('scripted').filter((record) => record.requestId === requestId);
      expect(attempts.map((record) => record.attempt)).toEqual([1, 2, 3]);
      // Backoff between attempts: about 60 ms, then about 120 ms (scaled minutes).
      const starts = attempts.map((record) => Date.parse(record.startedAt));
      expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(55);
      expect((starts[2] ?? 0) - (starts[1] ?? 0)).toBeGreaterThanOrEqual(115);

      const [failed, ...others] = service.failedEvents('scripted');
      expect(others).toEqual([]);
      expect(failed).toMatchObject({
        functionName: 'scripted',
        functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:scripted',
        requestId,
        payload,
        reason: 'RetriesExhausted',
        attempts: 3,
        error: { errorType: 'Error', errorMessage: 'not ready on attempt 3' },
      });
      expect(Date.parse(failed?.failedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(failed?.acceptedAt ?? ''));
      expect(service.stats().scripted).toMatchObject({ failedEvents: 1, errors: 3 });

      // The on-failure record is also on disk (written asynchronously: the file may not exist yet).
      await eventually(
        () =>
          existsSync(failedEventsFile) &&
          readFileSync(failedEventsFile, 'utf8').includes(requestId ?? 'missing'),
      );

      // Fix the cause, re-drive: the event runs again and leaves the failure destination.
      writeFileSync(readyFlag, 'ready');
      const redriven = service.redrive(failed?.id ?? '');
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      expect(readFileSync(doneFile, 'utf8')).toBe('4');
      expect(service.failedEvents()).toEqual([]);
      expect(service.invocations('scripted').find((record) => record.requestId === redriven)).toMatchObject({
        ok: true,
        attempt: 1,
      });
      expect(() => service.redrive(failed?.id ?? '')).toThrow(/No failed event/);
    },
    IDLE_TEST_TIMEOUT_MS,
  );

  it('honours maximumRetryAttempts 0: one attempt, then the failure destination', async () => {
    const attemptsFile = join(workDir, 'no-retry-attempts');
    await invoke(client, {
      FunctionName: 'no-retries',
      InvocationType: 'Event',
      Payload: JSON.stringify({ attemptsFile, failUntilExists: join(workDir, 'never') }),
    });
    await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
    expect(attemptsIn(attemptsFile)).toBe(1);
    expect(service.failedEvents('no-retries')).toMatchObject([{ reason: 'RetriesExhausted', attempts: 1 }]);
  });

  it('sends an event older than maximumEventAgeSeconds to the failure destination instead of retrying it', async () => {
    const attemptsFile = join(workDir, 'age-attempts');
    await invoke(client, {
      FunctionName: 'short-lived-events',
      InvocationType: 'Event',
      Payload: JSON.stringify({ attemptsFile, failUntilExists: join(workDir, 'never') }),
    });
    await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
    // The first retry would start after 60 ms, when the event is already 60 ms old: it is dropped instead.
    expect(attemptsIn(attemptsFile)).toBe(1);
    expect(service.failedEvents('short-lived-events')).toMatchObject([
      { reason: 'EventAgeExceeded', attempts: 1, error: { errorMessage: 'not ready on attempt 1' } },
    ]);
  });
});

describe('failedEventsFile', () => {
  it('a service started on the same file sees the failed events and can re-drive them', async () => {
    await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
    const before = service.failedEvents();
    expect(before.length).toBeGreaterThan(0);
    const restarted = await startLambdaService({
      functions: [
        { name: 'scripted', entry: fixture('scripted') },
        { name: 'no-retries', entry: fixture('scripted'), async: { maximumRetryAttempts: 0 } },
        { name: 'short-lived-events', entry: fixture('scripted'), async: { maximumEventAgeSeconds: 60 } },
      ],
      timeScale: 0.001,
      logs: 'quiet',
      failedEventsFile,
    });
    try {
      expect(restarted.failedEvents()).toEqual(before);
    } finally {
      await restarted.stop();
    }
  });
});
