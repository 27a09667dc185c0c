import { LambdaClient } from '@aws-sdk/client-lambda';
import { randomIds, submitJob } from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobStore, ManualClock, testRegistry } from '@baton/core/testing';
import { describe, expect, it } from 'vitest';
import { createReconciler } from '../../src/index.js';
import { startFakeLambdaEndpoint } from '../fixtures/fake-lambda-endpoint.js';
import { lambdaContext } from '../fixtures/lambda-context.js';

describe('the reconciler handler', () => {
  it('sends a lost job to the jobs function with an Event invoke of a job-run event, and reports its counts', async () => {
    const endpoint = await startFakeLambdaEndpoint(() => ({ status: 202 }));
    const client = new LambdaClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      const clock = new ManualClock();
      const store = new InMemoryJobStore(clock);
      const deps = {
        registry: testRegistry,
        store,
        dispatcher: new InMemoryJobDispatcher(),
        clock,
        ids: randomIds,
      };
      const { job } = await submitJob(deps, {
        owner: 'arn:aws:iam::111122223333:user/alice',
        operation: 'greet',
        input: { name: 'x' },
        correlationId: 'corr-1',
      });
      const reconcile = createReconciler({
        registry: testRegistry,
        store,
        jobsFunction: 'baton-example-worker',
        client,
        clock,
        graceMs: 60_000,
      });
      const context = lambdaContext('baton-example-reconciler');
      expect(await reconcile({}, context)).toMatchObject({ examined: 0 });
      clock.advance(60_000);
      expect(await reconcile({ source: 'aws.events' }, context)).toMatchObject({
        examined: 1,
        redispatched: 1,
      });
      expect(endpoint.received).toHaveLength(1);
      expect(endpoint.received[0]).toMatchObject({
        functionName: 'baton-example-worker',
        headers: { 'x-amz-invocation-type': 'Event' },
        payload: { baton: 'job.run', v: 1, jobId: job.id, hop: 0, correlationId: 'corr-1' },
      });
    } finally {
      client.destroy();
      await endpoint.close();
    }
  });
});
