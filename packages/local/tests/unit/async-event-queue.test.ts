import { describe, expect, it } from 'vitest';
import { type AsyncEvent, AsyncEventQueue, type AsyncFailureReason } from '../../src/async-event-queue.js';
import type { InvocationOutcome } from '../../src/execution-environment.js';
import { InvocationLog } from '../../src/function-logs.js';

function event(requestId: string): AsyncEvent {
  return {
    requestId,
    payload: '{}',
    traceHeader: 'Root=1-0-0',
    invokedFunctionArn: 'arn',
    chainPosition: 1,
    acceptedAt: Date.now(),
    attempts: 0,
    notBefore: 0,
  };
}

const success: InvocationOutcome = {
  ok: true,
  payload: 'null',
  environmentId: 'e',
  log: new InvocationLog(),
  durationMs: 1,
};
const failure: InvocationOutcome = {
  ok: false,
  cause: 'handler',
  error: { errorType: 'Error', errorMessage: 'boom', trace: [] },
  environmentId: 'e',
  log: new InvocationLog(),
  durationMs: 1,
};

/** A queue whose "function" answers from a script, with `capacity` slots, recording what happened. */
function harness(options: {
  capacity: number;
  outcomes: (id: string, attempt: number) => InvocationOutcome;
  maxAgeMs?: number;
  retries?: number;
}) {
  const started: string[] = [];
  const failed: [string, AsyncFailureReason, number][] = [];
  let free = options.capacity;
  const queue: AsyncEventQueue = new AsyncEventQueue({
    maximumRetryAttempts: options.retries ?? 2,
    maximumEventAgeMs: options.maxAgeMs ?? 10_000,
    retryDelayMs: (retry) => 10 * 2 ** (retry - 1),
    onFailure: (e, reason) => failed.push([e.requestId, reason, e.attempts]),
    tryRun: (e) => {
      if (free === 0) return undefined;
      free -= 1;
      const attempt = e.attempts + 1;
      started.push(`${e.requestId}#${attempt}`);
      return new Promise((resolve) =>
        setTimeout(() => {
          free += 1;
          resolve(options.outcomes(e.requestId, attempt));
          queue.pump();
        }, 5),
      );
    },
  });
  const idle = async () => {
    while (!queue.isIdle) await new Promise((wake) => setTimeout(wake, 2));
  };
  return { queue, started, failed, idle };
}

describe('AsyncEventQueue', () => {
  it('runs events in arrival order, waiting for capacity instead of refusing', async () => {
    const { queue, started, failed, idle } = harness({ capacity: 1, outcomes: () => success });
    for (const id of ['a', 'b', 'c']) queue.enqueue(event(id));
    expect(queue.size).toEqual({ waiting: 2, running: 1 });
    await idle();
    expect(started).toEqual(['a#1', 'b#1', 'c#1']);
    expect(failed).toEqual([]);
  });

  it('retries a failing event maximumRetryAttempts times, then reports RetriesExhausted', async () => {
    const { queue, started, failed, idle } = harness({ capacity: 2, outcomes: () => failure });
    queue.enqueue(event('a'));
    await idle();
    expect(started).toEqual(['a#1', 'a#2', 'a#3']);
    expect(failed).toEqual([['a', 'RetriesExhausted', 3]]);
  });

  it('stops retrying once an attempt succeeds', async () => {
    const { queue, started, failed, idle } = harness({
      capacity: 1,
      outcomes: (_, attempt) => (attempt < 2 ? failure : success),
    });
    queue.enqueue(event('a'));
    await idle();
    expect(started).toEqual(['a#1', 'a#2']);
    expect(failed).toEqual([]);
  });

  it('drops an event that waited longer than the maximum age (EventAgeExceeded)', async () => {
    const { queue, started, failed, idle } = harness({ capacity: 0, outcomes: () => success, maxAgeMs: 30 });
    queue.enqueue(event('a'));
    await idle();
    expect(started).toEqual([]);
    expect(failed).toEqual([['a', 'EventAgeExceeded', 0]]);
  });
});
