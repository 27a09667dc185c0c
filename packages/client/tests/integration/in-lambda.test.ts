import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type LambdaService, type RunningService, startLambdaService, startService } from '@baton/local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onceService } from '../fixtures/once-service/service.js';

/**
 * The client inside a Lambda function, calling another service (one service calling another): the caller
 * function is bundled by the local Lambda service's esbuild, as a deployment bundles it, and runs in the
 * function's own runtime. A bundling problem in the client (a dynamic import esbuild cannot follow, a
 * dependency that only loads from node_modules) fails here, where no unit test would see it.
 */
const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

let target: RunningService;
let callers: LambdaService;
let lambda: LambdaClient;
let dir: string;
/** The caller function's output, shown when an invocation fails. */
const logs: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'baton-client-in-lambda-'));
  target = await startService(onceService, {
    appDir: join(fixtures, 'once-service'),
    basePort: 0,
    logs: 'quiet',
    reconciler: false,
  });
  // A service of its own: the caller reaches the other one only through its Invoke API, as across accounts.
  callers = await startLambdaService({
    functions: [
      {
        name: 'caller',
        entry: join(fixtures, 'caller-function', 'handler.ts'),
        timeoutSeconds: 30,
        environment: {
          TARGET_FUNCTION: target.endpoints.functions.rpc as string,
          TARGET_ENDPOINT: target.endpoints.invoke,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      },
    ],
    logs: (chunk) => logs.push(chunk.text),
  });
  lambda = new LambdaClient({
    endpoint: callers.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  lambda?.destroy();
  await callers?.stop();
  await target?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('a client in a Lambda function', () => {
  it('runs another service’s operation, sync and as a job, and reports a refused input', async () => {
    const file = join(dir, 'runs.txt');
    const response = await lambda.send(
      new InvokeCommand({ FunctionName: 'caller', Payload: JSON.stringify({ file }) }),
    );
    const answer = JSON.parse(Buffer.from(response.Payload ?? new Uint8Array()).toString('utf8'));
    expect(response.FunctionError, `${JSON.stringify(answer)}\n${logs.join('')}`).toBeUndefined();

    expect(answer.sync).toEqual({ appended: true });
    expect(answer.job).toMatchObject({ id: expect.any(String), operation: 'append-line' });
    expect(['queued', 'running', 'succeeded']).toContain(answer.job.status);
    expect(answer.waited).toEqual({ appended: true });
    expect(answer.listed).toContain(answer.job.id);
    expect(answer.refused).toEqual({ status: 400, pointers: ['/input/ms'] });
    // Each run reached the other service once: the synchronous one and the job.
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(2);
  });
});
