import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type RunningService, startService } from '@baton/local';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BatonFunctionError, createClient } from '../../src/index.js';
import type { registry } from '../fixtures/once-service/operations.js';
import { onceService } from '../fixtures/once-service/service.js';

/**
 * The trap of a synchronous Invoke whose client gives up before the function ends: the SDK retries the timed-out
 * call and the function runs again, once per attempt. With a clientRequestId every attempt names the same run:
 * the work runs once, and the client recovers the answer by asking for that run's job.
 */
const appDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'once-service');
const RUN_MS = 4_000;
const CLIENT_TIMEOUT_MS = 1_000;

let stack: RunningService;
let dir: string;

/** What seed 002's caller had: a client that stops waiting long before the function ends, and retries. */
function impatientLambda(): LambdaClient {
  return new LambdaClient({
    endpoint: stack.endpoints.invoke,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 3,
    requestHandler: new NodeHttpHandler({ requestTimeout: CLIENT_TIMEOUT_MS, throwOnRequestTimeout: true }),
  });
}

const runs = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean).length;
  } catch {
    return 0;
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-client-seed-002-'));
  stack = await startService(onceService, { appDir, basePort: 0, logs: 'quiet', reconciler: false });
});

afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const functionName = () => stack.endpoints.functions.rpc as string;

describe.concurrent('a client timeout shorter than the work', () => {
  it('runs the work once through the client, and ends with its result', { timeout: 30_000 }, async () => {
    const file = join(dir, 'with-client.txt');
    const lambda = impatientLambda();
    const baton = createClient<typeof registry>({
      target: { invoke: { functionName: functionName(), lambda } },
      retry: { maxAttempts: 3 },
    });
    try {
      // Every attempt times out; the client then asks for the job its clientRequestId names and waits on it.
      const result = await baton.run('append-line', { file, ms: RUN_MS }, { pollIntervalMs: 200 });
      expect(result).toEqual({ appended: true });
      expect(runs(file)).toBe(1);
    } finally {
      baton.destroy();
      lambda.destroy();
    }
  });

  it('without a clientRequestId the same SDK runs the work more than once (the trap itself)', {
    timeout: 30_000,
  }, async () => {
    const file = join(dir, 'raw-sdk.txt');
    const lambda = impatientLambda();
    try {
      const call = lambda.send(
        new InvokeCommand({
          FunctionName: functionName(),
          Payload: new TextEncoder().encode(
            JSON.stringify({ operation: 'append-line', input: { file, ms: RUN_MS } }),
          ),
        }),
      );
      await expect(call).rejects.toMatchObject({ name: 'TimeoutError' });
      await vi.waitFor(() => expect(runs(file)).toBeGreaterThan(1), { timeout: 10_000, interval: 100 });
    } finally {
      lambda.destroy();
    }
  });

  it('reports a crashed function (FunctionError) as BatonFunctionError', async () => {
    const lambda = impatientLambda();
    const baton = createClient({
      target: { invoke: { functionName: functionName(), lambda } },
    });
    try {
      const error = await baton.run('crash', {}).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(BatonFunctionError);
      expect(error).toMatchObject({ functionError: 'Unhandled', errorType: 'TypeError' });
      expect((error as BatonFunctionError).errorMessage).toMatch(/on purpose/);
    } finally {
      baton.destroy();
      lambda.destroy();
    }
  });
});
