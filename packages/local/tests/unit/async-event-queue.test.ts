import { describe, expect, it, vi } from 'vitest';
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

  it('retries on time when the clock moves on while the queue looks at it', async () => {
    // Date.now() and Node's timers keep different clocks: a timer can fire a millisecond before Date.now()
    // reaches its due time, and the clock moves on between two reads. The queue once judged "due?" by one read
    // and planned its next wake-up by a later one: a retry skipped as not due by the first read but due by the
    // second was taken for one blocked by concurrency, and waited for its maximum age instead of 1 ms.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const readings = [1_059, 1_060];
      let later = 1_061;
      const started: number[] = [];
      const queue = new AsyncEventQueue({
        maximumRetryAttempts: 2,
        maximumEventAgeMs: 60_000,
        retryDelayMs: () => 60,
        now: () => readings.shift() ?? later++,
        onFailure: () => {},
        tryRun: (e) => {
          started.push(e.attempts + 1);
          return Promise.resolve(success);
        },
      });
      // A retry backing off until 1 060, looked at when the clock reads 1 059.
      queue.enqueue({ ...event('a'), acceptedAt: 1_000, attempts: 1, notBefore: 1_060 });
      expect(started).toEqual([]);
      await vi.advanceTimersByTimeAsync(100);
      expect(started).toEqual([2]);
      expect(queue.isIdle).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
