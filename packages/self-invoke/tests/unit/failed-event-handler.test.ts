import { randomIds, submitJob } from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobStore, ManualClock, testRegistry } from '@baton/core/testing';
import { describe, expect, it } from 'vitest';
import { createFailedEventHandler, toJobReplayEvent, toJobRunEvent } from '../../src/index.js';
import { lambdaContext } from '../fixtures/lambda-context.js';

const OWNER = 'arn:aws:iam::111122223333:user/alice';

/** Lambda's on-failure record for an async invocation, as the EventBridge destination puts it on the bus. */
const failureEvent = (requestPayload: unknown, condition = 'RetriesExhausted') => ({
  version: '0',
  id: 'c1f8f5b0-0000-0000-0000-000000000000',
  'detail-type': 'Lambda Function Invocation Result - Failure',
  source: 'lambda',
  account: '111122223333',
  time: '2026-01-01T00:00:00Z',
  region: 'us-east-1',
  resources: ['arn:aws:events:us-east-1:111122223333:event-bus/baton-example-failures'],
  detail: {
    version: '1.0',
    timestamp: '2026-01-01T00:00:00.000Z',
    requestContext: {
      requestId: 'e4b46cbf-b738-xmpl-8880-a18cdf61200e',
      functionArn: 'arn:aws:lambda:us-east-1:111122223333:function:baton-example-worker:$LATEST',
      condition,
      approximateInvokeCount: 3,
    },
    requestPayload,
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: {
      errorType: 'Runtime.ExitError',
      errorMessage: 'Runtime exited with error: signal: killed',
    },
  },
});

async function setUp() {
  const clock = new ManualClock();
  const store = new InMemoryJobStore(clock);
  const deps = {
    registry: testRegistry,
    store,
    dispatcher: new InMemoryJobDispatcher(),
    clock,
    ids: randomIds,
  };
  const handler = createFailedEventHandler({ store, clock });
  return { store, deps, handler };
}

describe('the failed-event handler', () => {
  it('marks the job of a failed job-run event failed, with Lambda’s reason, from the EventBridge event or the raw record', async () => {
    const { deps, store, handler } = await setUp();
    const first = await submitJob(deps, { owner: OWNER, operation: 'greet', input: { name: 'a' } });
    const second = await submitJob(deps, { owner: OWNER, operation: 'greet', input: { name: 'b' } });
    const context = lambdaContext('baton-example-failed-events');

    const viaBus = await handler(
      failureEvent(toJobRunEvent({ jobId: first.job.id, hop: 0 }), 'EventAgeExceeded'),
      context,
    );
    expect(viaBus).toMatchObject({ handled: true, outcome: { outcome: 'failed' } });
    expect(await store.get(first.job.id)).toMatchObject({
      status: 'failed',
      error: { type: 'EventAgeExceeded', retryable: true },
    });

    const raw = failureEvent(toJobRunEvent({ jobId: second.job.id, hop: 0 })).detail;
    expect(await handler(raw, context)).toMatchObject({ handled: true, outcome: { outcome: 'failed' } });
    expect((await store.get(second.job.id))?.error?.message).toContain('Runtime exited with error');

    // A replay of the same record finds the job ended: a no-op.
    expect(await handler(raw, context)).toMatchObject({
      outcome: { outcome: 'ignored', reason: 'finished' },
    });
  });

  it('marks failed (and replayable again) the job of a replayed event that failed in turn', async () => {
    const { store, deps, handler } = await setUp();
    const { job } = await submitJob(deps, { owner: OWNER, operation: 'greet', input: { name: 'a' } });
    const replayed = toJobReplayEvent(toJobReplayEvent(toJobRunEvent({ jobId: job.id, hop: 0 }), 'r1'), 'r2');
    expect(replayed).toMatchObject({ replay: 'r2', event: { baton: 'job.run' } });
    expect(await handler(failureEvent(replayed), lambdaContext('failed-events'))).toMatchObject({
      handled: true,
      jobId: job.id,
      outcome: { outcome: 'failed' },
    });
    expect(await store.get(job.id)).toMatchObject({
      status: 'failed',
      hop: 0,
      reconciled: 1,
      error: { type: 'DeliveryFailed' },
    });
  });

  it('leaves alone what is not a job-run failure, and never throws on bad input', async () => {
    const { handler } = await setUp();
    const context = lambdaContext('baton-example-failed-events');
    for (const event of [null, 1, 'x', [], {}, { detail: 'x', source: 'lambda', 'detail-type': 'y' }]) {
      expect(await handler(event, context)).toEqual({ handled: false, reason: 'not-an-invocation-record' });
    }
    expect(await handler(failureEvent({ some: 'other event' }), context)).toEqual({
      handled: false,
      reason: 'not-a-job-run-event',
    });
  });
});
