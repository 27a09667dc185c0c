import { setTimeout as sleep } from 'node:timers/promises';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { toJobReplayEvent } from '@baton/self-invoke';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The client of these routes is the `baton` CLI's (`baton failed list|replay`); @baton/cli depends on this package,
// so its module is reached by path rather than as a dependency.
import { FailedEventNotFound, localFailedEvents } from '../../../cli/src/failed-events.js';
import { type ReplayFixture, startReplayFixture } from '../fixtures/replay/service.js';

/**
 * `baton failed replay` brings a failed job's event back and the job runs: a job whose runs fail on every attempt
 * (Lambda's retries used up, on the local service's scaled-down backoff) lands in the failure destination and is
 * failed by the failed-event handler. A replay before the fix fails again and comes back as a new failed event;
 * after the fix, a replay through the Invoke API's route runs the job — once, even when the replay is asked for
 * twice at once and its event is delivered twice.
 */
let fixture: ReplayFixture;

beforeAll(async () => {
  fixture = await startReplayFixture();
}, 120_000);

afterAll(async () => {
  await fixture?.stop();
});

/** An async invocation of the job runner with this event, as EventBridge's replay rule makes one. */
async function sendEvent(event: unknown): Promise<void> {
  const lambda = new LambdaClient({
    endpoint: fixture.invokeUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await lambda.send(
      new InvokeCommand({
        FunctionName: fixture.functionName,
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(event)),
      }),
    );
  } finally {
    lambda.destroy();
  }
}

describe('replaying a failed delivery through the local Invoke API', () => {
  it('runs, once, the job of a failed event after the fix', async () => {
    const jobId = await fixture.submit('replayed');
    const failed = await fixture.waitForJob(jobId, ['failed']);
    expect(failed.error).toMatchObject({ type: 'DeliveryFailed' });
    expect(failed.error?.message).toContain('not fixed yet');
    expect(fixture.runs()).toEqual([]);

    const source = localFailedEvents(fixture.invokeUrl);
    const eventOf = async (job: string) => (await source.list()).filter((event) => event.jobId === job);
    const [event] = await eventOf(jobId);
    expect(event).toMatchObject({
      functionName: fixture.functionName,
      reason: 'RetriesExhausted',
      attempts: 3,
      hop: 0,
      error: expect.stringContaining('not fixed yet'),
    });

    // Replayed before the fix: it fails again, and comes back as a new failed event of the same job and hop.
    await source.replay(event?.id as string);
    for (const deadline = Date.now() + 20_000; (await eventOf(jobId)).length === 0; await sleep(50))
      if (Date.now() > deadline) throw new Error('the replay did not fail again');
    const [again] = await eventOf(jobId);
    expect(again).toMatchObject({ hop: 0, attempts: 3 });
    expect(again?.id).not.toBe(event?.id);
    expect(await fixture.waitForJob(jobId, ['failed'])).toMatchObject({ error: { type: 'DeliveryFailed' } });
    expect(fixture.runs()).toEqual([]);

    fixture.fix();
    const id = again?.id as string;
    // Two replays asked for at once: the failed event is sent back once; the other finds it gone.
    const [first, second] = await Promise.allSettled([source.replay(id), source.replay(id)]);
    const replayed = [first, second].filter((outcome) => outcome.status === 'fulfilled');
    const refused = [first, second].filter((outcome) => outcome.status === 'rejected');
    expect(replayed).toHaveLength(1);
    expect(refused).toHaveLength(1);
    expect((refused[0] as PromiseRejectedResult).reason).toBeInstanceOf(FailedEventNotFound);
    expect(String((refused[0] as PromiseRejectedResult).reason)).toContain('replayed already');

    const done = await fixture.waitForJob(jobId, ['succeeded']);
    expect(done).toMatchObject({ status: 'succeeded', attempts: 1, result: { greeting: 'hello, replayed' } });
    expect(done).not.toHaveProperty('error');
    expect(await eventOf(jobId)).toEqual([]);

    // The replayed event delivered once more, as EventBridge may: a no-op for the job that ran.
    await sendEvent(toJobReplayEvent({ baton: 'job.run', v: 1, jobId, hop: 0 }, id));
    await fixture.service.lambda.waitForIdle({ timeoutMs: 20_000 });
    expect(fixture.runs()).toEqual(['replayed']);
    expect(await fixture.job(jobId)).toMatchObject({ status: 'succeeded', attempts: 1 });
  }, 60_000);

  it('answers 404 with a clear JSON error for an unknown id, and lists one function’s events on request', async () => {
    const answer = await fetch(`${fixture.invokeUrl}/_baton/failed-events/no-such-id/replay`, {
      method: 'POST',
    });
    expect(answer.status).toBe(404);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(await answer.json()).toEqual({
      Type: 'User',
      Message: expect.stringMatching(/^No failed event with id no-such-id/),
    });
    const listed = await fetch(`${fixture.invokeUrl}/_baton/failed-events?functionName=nobody`);
    expect(listed.status).toBe(200);
    expect(await listed.json()).toEqual({ failedEvents: [] });
  });

  it('leaves alone a job that succeeded when a replay of its event comes', async () => {
    // The fixture is fixed by now (the test above): jobs run at the first attempt.
    const jobId = await fixture.submit('second');
    const done = await fixture.waitForJob(jobId, ['succeeded']);
    expect(done.status).toBe('succeeded');
    const source = localFailedEvents(fixture.invokeUrl);
    expect(await source.list()).not.toContainEqual(expect.objectContaining({ jobId }));
    // A replay of its event (as a replay of a neighbour in the archive's window would be) is a no-op.
    await sendEvent(toJobReplayEvent({ baton: 'job.run', v: 1, jobId, hop: 0 }, 'neighbour'));
    await fixture.service.lambda.waitForIdle({ timeoutMs: 20_000 });
    expect(fixture.runs().filter((name) => name === 'second')).toEqual(['second']);
    expect(await fixture.job(jobId)).toMatchObject({ status: 'succeeded', attempts: 1 });
  });
});
