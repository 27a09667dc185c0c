import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultInjector } from '../../src/fault-injection.js';
import { type LambdaService, startLambdaService } from '../../src/index.js';
import {
  fixture,
  IDLE_TEST_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  invoke,
  lambdaClient,
  removeTemporaryDirs,
  temporaryDir,
} from '../support/helpers.js';

/**
 * Fault injection against the real service and the real SDK. Which invocations get a fault is decided by the
 * seeded draws, not by timing, so the counts below are the same on every run and every machine; the bounds
 * only say they are what the fractions ask for.
 */

/** The victim's timeout: the kill (< 1 s into the run) comes long before it, even on a busy machine. */
const KILL_TIMEOUT_SECONDS = 5;

/** A seed whose first kill draw for `victim` kills (early in the window) and whose second spares. */
function seedKillingOnlyTheFirstAttempt(): number {
  for (let seed = 0; ; seed++) {
    const faults = new FaultInjector(['victim'], { killFraction: 0.5, seed });
    const first = faults.planKill('victim', KILL_TIMEOUT_SECONDS * 1000);
    const second = faults.planKill('victim', KILL_TIMEOUT_SECONDS * 1000);
    if (first !== undefined && first < 1_000 && second === undefined) return seed;
  }
}

let service: LambdaService;
let client: LambdaClient;
const workDir = temporaryDir();
const retrySeed = seedKillingOnlyTheFirstAttempt();

beforeAll(async () => {
  service = await startLambdaService({
    functions: [
      { name: 'often-killed', entry: fixture('echo') },
      { name: 'spared', entry: fixture('echo') },
      { name: 'lossy', entry: fixture('echo') },
      // Hangs on its first attempt, far longer than the kill moment (< 1 s) and its own timeout (5 s).
      { name: 'victim', entry: fixture('scripted'), timeoutSeconds: KILL_TIMEOUT_SECONDS },
    ],
    timeScale: 0.001,
    logs: 'quiet',
    faults: { killFraction: 0.3, dropFraction: 0.25, seed: 7, functions: ['often-killed', 'lossy'] },
  });
  client = lambdaClient(service.url);
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
  removeTemporaryDirs();
});

describe('killFraction', () => {
  it(
    'kills the environment under about that fraction of sync invocations; the caller gets a crashed runtime',
    async () => {
      const calls = 60;
      const crashed: unknown[] = [];
      for (let i = 0; i < calls; i++) {
        const response = await invoke(client, {
          FunctionName: 'often-killed',
          Payload: JSON.stringify({ i }),
        });
        if (response.FunctionError) crashed.push(response.payload);
        else expect(response.payload).toEqual({ echo: { i } });
      }
      expect(crashed.length).toBeGreaterThanOrEqual(calls * 0.3 - 10);
      expect(crashed.length).toBeLessThanOrEqual(calls * 0.3 + 10);
      for (const payload of crashed) {
        expect(payload).toEqual({
          errorType: 'Runtime.ExitError',
          errorMessage: 'Runtime exited with error: signal: killed',
          trace: [],
        });
      }
      const stats = service.faultStats();
      expect(stats.byFunction['often-killed']).toMatchObject({ invocations: calls, killed: crashed.length });
      const records = service.invocations('often-killed');
      expect(records.filter((record) => record.faultInjected)).toHaveLength(crashed.length);
      expect(
        records.filter((record) => record.faultInjected).every((record) => record.cause === 'killed'),
      ).toBe(true);
      // A killed environment is gone: the call after each kill was a cold start.
      const started = service.stats()['often-killed']?.environments.started ?? 0;
      expect(started).toBeGreaterThanOrEqual(crashed.length);
      expect(started).toBeLessThanOrEqual(crashed.length + 1);
      // Functions outside `functions` are never touched.
      for (let i = 0; i < 10; i++)
        expect((await invoke(client, { FunctionName: 'spared' })).FunctionError).toBe(undefined);
      expect(service.faultStats().byFunction.spared).toEqual({
        invocations: 0,
        killed: 0,
        events: 0,
        dropped: 0,
      });
    },
    IDLE_TEST_TIMEOUT_MS,
  );

  it(
    'retries an async event whose environment was killed mid-run, as Lambda retries a crash',
    async () => {
      service.setFaults({ killFraction: 0.5, seed: retrySeed, functions: ['victim'] });
      const attemptsFile = join(workDir, 'victim-attempts');
      const doneFile = join(workDir, 'victim-done');
      const accepted = await invoke(client, {
        FunctionName: 'victim',
        InvocationType: 'Event',
        Payload: JSON.stringify({ attemptsFile, doneFile, hangOnAttempt: 1 }),
      });
      expect(accepted.StatusCode).toBe(202);
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });

      // The first attempt started its handler (it counted itself) and died under it; the retry finished the work.
      expect(readFileSync(attemptsFile, 'utf8').trim().split('\n')).toHaveLength(2);
      expect(readFileSync(doneFile, 'utf8')).toBe('2');
      const attempts = service.invocations('victim');
      expect(
        attempts.map((record) => [record.attempt, record.ok, record.cause, record.faultInjected]),
      ).toEqual([
        [1, false, 'killed', true],
        [2, true, undefined, undefined],
      ]);
      expect(attempts[0]).toMatchObject({
        requestId: accepted.$metadata.requestId,
        errorType: 'Runtime.ExitError',
      });
      // Killed mid-run, before the timeout would have ended it.
      expect(attempts[0]?.durationMs).toBeLessThan(KILL_TIMEOUT_SECONDS * 1000);
      expect(attempts[0]?.environmentId).not.toBe(attempts[1]?.environmentId);
      expect(service.faultStats()).toMatchObject({
        config: { seed: retrySeed },
        byFunction: { victim: { killed: 1 } },
      });
      expect(service.failedEvents('victim')).toEqual([]);
    },
    IDLE_TEST_TIMEOUT_MS,
  );
});

describe('dropFraction', () => {
  it(
    'loses about that fraction of accepted async events: 202, then never run and never a failed event',
    async () => {
      service.setFaults({ dropFraction: 0.25, seed: 7, functions: ['lossy'] });
      const events = 100;
      const accepted: string[] = [];
      for (let i = 0; i < events; i++) {
        const response = await invoke(client, {
          FunctionName: 'lossy',
          InvocationType: 'Event',
          Payload: JSON.stringify({ i }),
        });
        expect(response.StatusCode).toBe(202);
        accepted.push(response.$metadata.requestId as string);
      }
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });

      const { dropped } = service.faultStats().byFunction.lossy ?? { dropped: -1 };
      expect(dropped).toBeGreaterThanOrEqual(events * 0.25 - 12);
      expect(dropped).toBeLessThanOrEqual(events * 0.25 + 12);
      const ran = new Set(service.invocations('lossy').map((record) => record.requestId));
      expect(ran.size).toBe(events - dropped);
      expect(accepted.filter((requestId) => !ran.has(requestId))).toHaveLength(dropped);
      expect(service.failedEvents('lossy')).toEqual([]);
      expect(service.stats().lossy).toMatchObject({ invocations: events - dropped, errors: 0 });
    },
    IDLE_TEST_TIMEOUT_MS,
  );

  it(
    'can be turned off and on while the service runs, and refuses bad options without changing anything',
    async () => {
      service.setFaults({ dropFraction: 1, functions: ['spared'] });
      expect(() => service.setFaults({ dropFraction: 2 })).toThrow(
        'faults.dropFraction must be a number from 0 to 1, got 2',
      );
      const before = service.invocations('spared').length;
      await invoke(client, { FunctionName: 'spared', InvocationType: 'Event', Payload: '{}' });
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      expect(service.invocations('spared')).toHaveLength(before);

      service.setFaults(undefined);
      await invoke(client, { FunctionName: 'spared', InvocationType: 'Event', Payload: '{}' });
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      expect(service.invocations('spared')).toHaveLength(before + 1);
      expect(service.faultStats()).toMatchObject({
        config: undefined,
        byFunction: { spared: { dropped: 1 } },
      });
    },
    IDLE_TEST_TIMEOUT_MS,
  );
});

it('refuses to start with a fraction outside 0–1, saying which', async () => {
  await expect(
    startLambdaService({
      functions: [{ name: 'f', entry: fixture('echo') }],
      logs: 'quiet',
      faults: { killFraction: 1.2 },
    }),
  ).rejects.toThrow('faults.killFraction must be a number from 0 to 1, got 1.2');
});
