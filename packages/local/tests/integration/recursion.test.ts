import { type LambdaClient, RecursiveInvocationException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { continueChain, type LambdaService, RECURSION_LIMIT, startLambdaService } from '../../src/index.js';
import { fixture, IDLE_TEST_TIMEOUT_MS, IDLE_TIMEOUT_MS, invoke, lambdaClient } from '../support/helpers.js';

// The fixture invokes itself with the real @aws-sdk/client-lambda, bundled into the function. Nothing in the
// test forwards the chain: the SDK's recursion-detection middleware copies the environment's _X_AMZN_TRACE_ID
// into X-Amzn-Trace-Id, and the service continues its Lineage count.
let service: LambdaService;
let client: LambdaClient;

beforeAll(async () => {
  service = await startLambdaService({
    functions: [
      { name: 'loops-forever', entry: fixture('self-invoke'), timeoutSeconds: 10 },
      { name: 'counts-down', entry: fixture('self-invoke'), timeoutSeconds: 10, recursiveLoop: 'Allow' },
      // Each caller holds its environment while it waits for the callee: a 17-deep sync chain needs 17 — 17
      // cold starts in a row, each loading the SDK, which take more than 10 s on a busy machine. The outermost
      // caller's timeout covers them all, generously.
      { name: 'calls-other', entry: fixture('invoke-other'), timeoutSeconds: 60, reservedConcurrency: 20 },
    ],
    timeScale: 0.001,
    logs: 'quiet',
  });
  client = lambdaClient(service.url);
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
});

describe('recursive loop detection', () => {
  it(
    `stops a self-invoking loop after ${RECURSION_LIMIT} invocations and sends the next to the failure destination`,
    async () => {
      const response = await invoke(client, {
        FunctionName: 'loops-forever',
        InvocationType: 'Event',
        Payload: JSON.stringify({ forever: true }),
      });
      expect(response.StatusCode).toBe(202);
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });

      const runs = service.invocations('loops-forever');
      expect(runs).toHaveLength(RECURSION_LIMIT);
      expect(runs.every((record) => record.ok)).toBe(true);
      // Records are kept in the order invocations finish, and a parent may finish after its child.
      expect(runs.map((record) => record.chainPosition).sort((a, b) => a - b)).toEqual(
        Array.from({ length: RECURSION_LIMIT }, (_, index) => index + 1),
      );
      // One chain: every hop kept the root of the first trace header.
      const roots = new Set(runs.map((record) => /Root=([^;]+)/.exec(record.traceHeader)?.[1]));
      expect(roots.size).toBe(1);

      expect(service.failedEvents('loops-forever')).toMatchObject([
        {
          reason: 'RecursiveInvocationException',
          attempts: 0,
          payload: { forever: true, depth: RECURSION_LIMIT },
        },
      ]);
      expect(service.failedEvents('loops-forever')[0]?.traceHeader).toMatch(/Lineage=[0-9a-f]{8}:17$/);
    },
    IDLE_TEST_TIMEOUT_MS,
  );

  it(
    "lets a function with recursiveLoop 'Allow' go past the limit (a countdown from 20 completes)",
    async () => {
      await invoke(client, {
        FunctionName: 'counts-down',
        InvocationType: 'Event',
        Payload: JSON.stringify({ remaining: 20 }),
      });
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      const runs = service.invocations('counts-down');
      expect(runs).toHaveLength(21);
      expect(runs.every((record) => record.ok)).toBe(true);
      expect(Math.max(...runs.map((record) => record.chainPosition))).toBe(21);
      expect(service.failedEvents('counts-down')).toEqual([]);
    },
    IDLE_TEST_TIMEOUT_MS,
  );

  it('answers a sync call past the limit with 400 RecursiveInvocationException, which the SDK throws', async () => {
    // A caller already 16 invocations of `calls-other` deep in a chain calls it once more.
    let traceHeader: string | undefined;
    for (let i = 0; i < RECURSION_LIMIT; i++) {
      traceHeader = continueChain(
        traceHeader,
        'arn:aws:lambda:us-east-1:000000000000:function:calls-other',
      ).traceHeader;
    }
    const deepClient = lambdaClient(service.url);
    deepClient.middlewareStack.add(
      (next) => (args) => {
        (args.request as { headers: Record<string, string> }).headers['X-Amzn-Trace-Id'] = traceHeader ?? '';
        return next(args);
      },
      { step: 'build', name: 'deepInChain' },
    );
    try {
      const error = await invoke(deepClient, { FunctionName: 'calls-other', Payload: '{}' }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RecursiveInvocationException);
      expect((error as RecursiveInvocationException).$metadata.httpStatusCode).toBe(400);
    } finally {
      deepClient.destroy();
    }
    expect(service.invocations('calls-other')).toEqual([]);
  });

  it(
    'the SDK inside a handler throws RecursiveInvocationException for a sync call past the limit',
    async () => {
      // calls-other → calls-other → … synchronously: the 17th call of the chain is refused, and the refusal
      // travels back up as each caller's function error.
      const nested = (depth: number): unknown =>
        depth === 0 ? {} : { target: 'calls-other', payload: nested(depth - 1) };
      const response = await invoke(client, {
        FunctionName: 'calls-other',
        Payload: JSON.stringify(nested(RECURSION_LIMIT + 1)),
      });
      expect(response.FunctionError).toBeUndefined();
      // Invocation n answers what invocation n+1 answered. Unwrap to the first function error: invocation 16's
      // SDK threw on the refused 17th call, so invocation 15 reports invocation 16's error.
      let answer = response.payload as { functionError: string | null; payload: unknown };
      let invocation = 1;
      while (answer.functionError === null) {
        answer = answer.payload as typeof answer;
        invocation += 1;
      }
      expect(invocation).toBe(RECURSION_LIMIT - 1);
      expect(answer).toMatchObject({
        functionError: 'Unhandled',
        payload: { errorType: 'RecursiveInvocationException' },
      });
    },
    IDLE_TEST_TIMEOUT_MS,
  );
});
