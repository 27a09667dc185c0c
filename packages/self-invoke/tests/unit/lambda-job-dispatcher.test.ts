import { LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { LambdaJobDispatcher } from '../../src/index.js';
import { startFakeLambdaEndpoint } from '../fixtures/fake-lambda-endpoint.js';

const clientFor = (endpoint: string) =>
  new LambdaClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });

describe('LambdaJobDispatcher (real SDK client, on the wire)', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  it('sends an Event invocation of the target function carrying only the job pointer', async () => {
    const endpoint = await startFakeLambdaEndpoint(() => ({ status: 202 }));
    const client = clientFor(endpoint.url);
    cleanups.push(endpoint.close, () => client.destroy());
    await new LambdaJobDispatcher({ client, functionName: 'baton-worker' }).dispatch({
      jobId: 'job-1',
      hop: 2,
      correlationId: 'corr-9',
    });
    expect(endpoint.received).toHaveLength(1);
    const [invoke] = endpoint.received;
    expect(invoke?.functionName).toBe('baton-worker');
    expect(invoke?.headers['x-amz-invocation-type']).toBe('Event');
    expect(invoke?.payload).toEqual({
      baton: 'job.run',
      v: 1,
      jobId: 'job-1',
      hop: 2,
      correlationId: 'corr-9',
    });
  });

  it('resolves the function name at dispatch time (the running function invoking itself)', async () => {
    const endpoint = await startFakeLambdaEndpoint(() => ({ status: 202 }));
    const client = clientFor(endpoint.url);
    cleanups.push(endpoint.close, () => client.destroy());
    let current = 'first';
    const dispatcher = new LambdaJobDispatcher({ client, functionName: () => current });
    await dispatcher.dispatch({ jobId: 'a', hop: 0 });
    current = 'second';
    await dispatcher.dispatch({ jobId: 'b', hop: 0 });
    expect(endpoint.received.map((r) => r.functionName)).toEqual(['first', 'second']);
  });

  it('rejects when Lambda refuses the invocation, so the caller can fail the job', async () => {
    const endpoint = await startFakeLambdaEndpoint(() => ({
      status: 404,
      headers: { 'x-amzn-errortype': 'ResourceNotFoundException' },
    }));
    const client = clientFor(endpoint.url);
    cleanups.push(endpoint.close, () => client.destroy());
    await expect(
      new LambdaJobDispatcher({ client, functionName: 'missing' }).dispatch({ jobId: 'x', hop: 0 }),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('rejects an answer other than 202', async () => {
    const endpoint = await startFakeLambdaEndpoint(() => ({ status: 200 }));
    const client = clientFor(endpoint.url);
    cleanups.push(endpoint.close, () => client.destroy());
    await expect(
      new LambdaJobDispatcher({ client, functionName: 'f' }).dispatch({ jobId: 'x', hop: 0 }),
    ).rejects.toThrow(/expected 202/);
  });
});
