import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetFunctionCommand,
  InvalidRequestContentException,
  type LambdaClient,
  LambdaServiceException,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionLogChunk, type LambdaService, startLambdaService } from '../../src/index.js';
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
const logs: FunctionLogChunk[] = [];
const workDir = temporaryDir();

beforeAll(async () => {
  service = await startLambdaService({
    functions: [
      { name: 'echo', entry: fixture('echo') },
      { name: 'counter', entry: fixture('counter') },
      { name: 'fails', entry: fixture('fails') },
      { name: 'write-file', entry: fixture('write-file') },
      { name: 'broken-init', entry: fixture('broken-init') },
      { name: 'invoke-other', entry: fixture('invoke-other'), timeoutSeconds: 10 },
      {
        name: 'inspect',
        entry: fixture('inspect'),
        handler: 'inspect',
        memoryMb: 256,
        timeoutSeconds: 7,
        environment: { GREETING: 'hello' },
      },
    ],
    environment: { SHARED_SETTING: 'shared' },
    logs: (chunk) => logs.push(chunk),
  });
  client = lambdaClient(service.url);
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
  removeTemporaryDirs();
});

describe('RequestResponse', () => {
  it('runs the handler and answers 200 with its return value', async () => {
    const response = await invoke(client, { FunctionName: 'echo', Payload: JSON.stringify({ say: 'hi' }) });
    expect(response.StatusCode).toBe(200);
    expect(response.ExecutedVersion).toBe('$LATEST');
    expect(response.FunctionError).toBeUndefined();
    expect(response.payload).toEqual({ echo: { say: 'hi' } });
  });

  it('passes an empty payload as {}', async () => {
    const response = await invoke(client, { FunctionName: 'echo' });
    expect(response.payload).toEqual({ echo: {} });
  });

  it('accepts the function by full ARN (URL-encoded on the wire) and with a Qualifier', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:echo';
    const response = await invoke(client, { FunctionName: arn, Qualifier: '$LATEST', Payload: '{"n":1}' });
    expect(response.payload).toEqual({ echo: { n: 1 } });
  });

  it('keeps module state between warm invocations of one environment', async () => {
    const first = await invoke(client, { FunctionName: 'counter' });
    const second = await invoke(client, { FunctionName: 'counter' });
    const a = first.payload as { environmentId: string; invocations: number };
    const b = second.payload as { environmentId: string; invocations: number };
    expect(b.environmentId).toBe(a.environmentId);
    expect(b.invocations).toBe(a.invocations + 1);
    expect(service.stats().counter?.environments.started).toBe(1);
  });

  it('gives the handler a Lambda context and Lambda environment variables', async () => {
    const response = await invoke(client, {
      FunctionName: 'inspect',
      ClientContext: Buffer.from(JSON.stringify({ custom: { tenant: 't1' } })).toString('base64'),
    });
    const { context, env } = response.payload as {
      context: Record<string, unknown>;
      env: Record<string, string | null>;
    };
    expect(context).toMatchObject({
      functionName: 'inspect',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:inspect',
      memoryLimitInMB: '256',
      awsRequestId: response.$metadata.requestId,
      logGroupName: '/aws/lambda/inspect',
      callbackWaitsForEmptyEventLoop: true,
      clientContext: { custom: { tenant: 't1' } },
      completionMethods: ['function', 'function', 'function'],
    });
    expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(context.remainingTimeInMillis).toBeGreaterThan(5_000);
    expect(context.remainingTimeInMillis).toBeLessThanOrEqual(7_000);
    expect(context.logStreamName).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    expect(env).toMatchObject({
      AWS_LAMBDA_FUNCTION_NAME: 'inspect',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_FUNCTION_TIMEOUT: '7',
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/inspect',
      AWS_LAMBDA_LOG_STREAM_NAME: context.logStreamName,
      AWS_ENDPOINT_URL_LAMBDA: service.url,
      SHARED_SETTING: 'shared',
      GREETING: 'hello',
      // Nothing leaks from the service's own environment.
      HOME: null,
    });
    expect(env.AWS_EXECUTION_ENV).toMatch(/^AWS_Lambda_nodejs\d+\.x$/);
    expect(env.LAMBDA_TASK_ROOT).toBe(join(service.bundleDir, 'inspect'));
    expect(env.AWS_ACCESS_KEY_ID).toBeTruthy();
    expect(env.AWS_SECRET_ACCESS_KEY).toBeTruthy();
    expect(env._X_AMZN_TRACE_ID).toMatch(
      /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=[0-9a-f]{8}:1$/,
    );
  });

  it('returns the last 4 KB of the invocation log for LogType Tail', async () => {
    const response = await invoke(client, {
      FunctionName: 'echo',
      Payload: '{"say":"tail me"}',
      LogType: 'Tail',
    });
    const log = Buffer.from(response.LogResult ?? '', 'base64').toString('utf8');
    const requestId = response.$metadata.requestId;
    expect(log).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(log).toMatch(new RegExp(`\\t${requestId}\\tINFO\\techoing {"say":"tail me"}`));
    expect(log).toContain(`END RequestId: ${requestId}`);
    expect(log).toContain(`REPORT RequestId: ${requestId}`);
    // …and the same lines went to the service's log option, tagged with the function.
    expect(logs.some((chunk) => chunk.functionName === 'echo' && chunk.text.includes('tail me'))).toBe(true);
  });

  it('a handler can call another function through the real SDK, configured only by its environment', async () => {
    const response = await invoke(client, {
      FunctionName: 'invoke-other',
      Payload: JSON.stringify({ target: 'echo', payload: { from: 'inside' } }),
    });
    expect(response.payload).toEqual({
      statusCode: 200,
      functionError: null,
      payload: { echo: { from: 'inside' } },
    });
  });

  it('answers an oversized response as a function error', async () => {
    const response = await invoke(client, {
      FunctionName: 'echo',
      Payload: JSON.stringify({ responseBytes: 6 * 1024 * 1024 + 10 }),
    });
    expect(response.FunctionError).toBe('Unhandled');
    expect(response.payload).toMatchObject({ errorType: 'Function.ResponseSizeTooLarge' });
  });
});

describe('function errors', () => {
  it('reports a thrown error as 200 + FunctionError Unhandled with errorType, errorMessage and trace', async () => {
    const response = await invoke(client, { FunctionName: 'fails' });
    expect(response.StatusCode).toBe(200);
    expect(response.FunctionError).toBe('Unhandled');
    const error = response.payload as { errorType: string; errorMessage: string; trace: string[] };
    expect(error.errorType).toBe('PaymentDeclined');
    expect(error.errorMessage).toBe('card expired');
    expect(error.trace[0]).toBe('PaymentDeclined: card expired');
    // Source maps: the trace points at the fixture's TypeScript.
    expect(error.trace.join('\n')).toContain('fails.ts');
  });

  it('reports an init error (module threw while loading) as a function error', async () => {
    const response = await invoke(client, { FunctionName: 'broken-init' });
    expect(response.FunctionError).toBe('Unhandled');
    expect(response.payload).toMatchObject({
      errorType: 'Error',
      errorMessage: 'cannot start: configuration missing',
    });
  });
});

describe('Event and DryRun', () => {
  it('Event answers 202 at once and the handler runs afterwards', async () => {
    const file = join(workDir, 'event-ran.txt');
    const response = await invoke(client, {
      FunctionName: 'write-file',
      InvocationType: 'Event',
      Payload: JSON.stringify({ file, content: 'async' }),
    });
    expect(response.StatusCode).toBe(202);
    expect(response.payloadText).toBe('');
    await eventually(() => existsSync(file));
    expect(readFileSync(file, 'utf8')).toBe('async from write-file');
  });

  it(
    'DryRun answers 204 and runs nothing',
    async () => {
      // The Event test before only waits for its file: its invocation may still be ending (and counting).
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      const before = service.stats()['write-file']?.invocations;
      const response = await invoke(client, {
        FunctionName: 'write-file',
        InvocationType: 'DryRun',
        Payload: JSON.stringify({ file: join(workDir, 'dry-run.txt'), content: 'x' }),
      });
      expect(response.StatusCode).toBe(204);
      await service.waitForIdle({ timeoutMs: IDLE_TIMEOUT_MS });
      expect(existsSync(join(workDir, 'dry-run.txt'))).toBe(false);
      expect(service.stats()['write-file']?.invocations).toBe(before);
    },
    IDLE_TEST_TIMEOUT_MS,
  );
});

describe('service errors (the SDK throws)', () => {
  it('an unknown function is ResourceNotFoundException', async () => {
    const error = await invoke(client, { FunctionName: 'nope' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
    expect((error as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    expect((error as Error).message).toBe(
      'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope',
    );
  });

  it('the 404 on the wire is what Lambda sends', async () => {
    const response = await fetch(`${service.url}/2015-03-31/functions/nope/invocations`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await response.json()).toEqual({
      Type: 'User',
      Message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope',
    });
  });

  it('a sync payload over 6 MB is RequestEntityTooLargeException (413)', async () => {
    const payload = JSON.stringify({ data: 'x'.repeat(6 * 1024 * 1024) });
    const error = await invoke(client, { FunctionName: 'echo', Payload: payload }).catch((e: unknown) => e);
    // The SDK's model has no class for Lambda's RequestEntityTooLargeException: it throws the base class.
    expect(error).toBeInstanceOf(LambdaServiceException);
    expect((error as LambdaServiceException).name).toBe('RequestEntityTooLargeException');
    expect((error as LambdaServiceException).$metadata.httpStatusCode).toBe(413);
    expect((error as Error).message).toBe(
      'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    );
  });

  it('an async payload over 1 MB is RequestEntityTooLargeException; just under 1 MB is accepted', async () => {
    const tooBig = JSON.stringify({ data: 'x'.repeat(1024 * 1024) });
    const error = await invoke(client, {
      FunctionName: 'echo',
      InvocationType: 'Event',
      Payload: tooBig,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LambdaServiceException);
    expect((error as LambdaServiceException).name).toBe('RequestEntityTooLargeException');
    expect((error as LambdaServiceException).$metadata.httpStatusCode).toBe(413);
    expect((error as Error).message).toMatch(
      /^\d+ byte payload is too large for the Event invocation type \(limit 1048576 bytes\)$/,
    );
    const fits = JSON.stringify({ data: 'x'.repeat(1024 * 1024 - 100) });
    const accepted = await invoke(client, { FunctionName: 'echo', InvocationType: 'Event', Payload: fits });
    expect(accepted.StatusCode).toBe(202);
  });

  it('a payload that is not JSON is InvalidRequestContentException (400)', async () => {
    const error = await invoke(client, { FunctionName: 'echo', Payload: 'not json' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidRequestContentException);
    expect((error as InvalidRequestContentException).$metadata.httpStatusCode).toBe(400);
  });
});

it('GetFunction describes a function', async () => {
  const response = await client.send(new GetFunctionCommand({ FunctionName: 'inspect' }));
  expect(response.Configuration).toMatchObject({
    FunctionName: 'inspect',
    FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:inspect',
    Handler: 'index.inspect',
    MemorySize: 256,
    Timeout: 7,
    State: 'Active',
  });
  await expect(client.send(new GetFunctionCommand({ FunctionName: 'nope' }))).rejects.toBeInstanceOf(
    ResourceNotFoundException,
  );
});
