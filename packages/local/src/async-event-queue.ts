import type { FunctionErrorPayload } from './errors.js';
import type { InvocationOutcome } from './execution-environment.js';

/** An `Event` invocation waiting for, or running in, an environment. */
export interface AsyncEvent {
  requestId: string;
  /** The event as JSON text. */
  payload: string;
  traceHeader: string;
  invokedFunctionArn: string;
  /** How many times the function has been invoked in the event's chain, this event included. */
  chainPosition: number;
  /** Epoch milliseconds when the Invoke API accepted it; its age counts from here. */
  acceptedAt: number;
  /** Attempts started so far (the first run included). */
  attempts: number;
  /** Epoch milliseconds before which it must not run (a retry's backoff). */
  notBefore: number;
  lastError?: FunctionErrorPayload;
}

/**
 * Lambda's on-failure destination `condition`: retries used up, too old, or stopped as a recursive loop.
 */
export type AsyncFailureReason = 'RetriesExhausted' | 'EventAgeExceeded' | 'RecursiveInvocationException';

export interface AsyncEventQueueOptions {
  maximumRetryAttempts: number;
  maximumEventAgeMs: number;
  /** The wait before retry number n (1-based). */
  retryDelayMs: (retry: number) => number;
  /** Starts the event in an environment, or answers undefined when the function is at its concurrency limit. */
  tryRun: (event: AsyncEvent) => Promise<InvocationOutcome> | undefined;
  onFailure: (event: AsyncEvent, reason: AsyncFailureReason) => void;
  now?: () => number;
}

/**
 * A function's asynchronous invocations, as Lambda's internal queue handles them: events run in arrival order
 * as environments are free (beyond the concurrency limit they wait, never throttle); a function error (thrown,
 * timed out, environment killed) is retried up to `maximumRetryAttempts` times after a growing backoff; an event
 * whose retries are used up, or that gets older than `maximumEventAgeMs` while waiting, goes to the failure
 * destination.
 */
export class AsyncEventQueue {
  private readonly waiting: AsyncEvent[] = [];
  private running = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly now: () => number;

  constructor(private readonly options: AsyncEventQueueOptions) {
    this.now = options.now ?? Date.now;
  }

  enqueue(event: AsyncEvent): void {
    if (this.closed) return;
    this.waiting.push(event);
    this.pump();
  }

  /** Waiting (including backing off) and running events. */
  get size(): { waiting: number; running: number } {
    return { waiting: this.waiting.length, running: this.running };
  }

  get isIdle(): boolean {
    return this.waiting.length === 0 && this.running === 0;
  }

  /** Starts whatever can start now; call it whenever an environment may have been freed. */
  pump(): void {
    if (this.closed) return;
    const now = this.now();
    for (const event of [...this.waiting]) {
      if (now - event.acceptedAt >= this.options.maximumEventAgeMs) {
        this.remove(event);
        this.options.onFailure(event, 'EventAgeExceeded');
      }
    }
    for (const event of [...this.waiting]) {
      if (event.notBefore > now) continue;
      const run = this.options.tryRun(event);
      if (run === undefined) break; // at the concurrency limit: the rest wait their turn
      this.remove(event);
      event.attempts += 1;
      this.running += 1;
      void run.then((outcome) => this.settle(event, outcome));
    }
    this.scheduleWakeUp(now);
  }

  /** Drops every waiting event and stops scheduling (the service is stopping). */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.waiting.length = 0;
  }

  private settle(event: AsyncEvent, outcome: InvocationOutcome): void {
    this.running -= 1;
    if (this.closed) return;
    if (!outcome.ok) {
      event.lastError = outcome.error;
      if (event.attempts > this.options.maximumRetryAttempts) {
        this.options.onFailure(event, 'RetriesExhausted');
      } else {
        event.notBefore = this.now() + this.options.retryDelayMs(event.attempts);
        this.waiting.push(event);
      }
    }
    this.pump();
  }

  private remove(event: AsyncEvent): void {
    const index = this.waiting.indexOf(event);
    if (index >= 0) this.waiting.splice(index, 1);
  }

  /**
   * One timer for the next moment something changes: a backoff ends or an event gets too old. `now` must be the
   * instant the pump judged readiness by: read again here, a clock that moved on in between would count an event
   * the pump skipped as not yet due as "ready but blocked", and nothing would wake it before its maximum age. (A
   * timer can fire a millisecond before `Date.now()` reaches its due time — Node's timers run on the event
   * loop's cached monotonic clock — so that skip happens.)
   */
  private scheduleWakeUp(now: number): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting.length === 0) return;
    let next = Number.POSITIVE_INFINITY;
    for (const event of this.waiting) {
      if (event.notBefore > now) next = Math.min(next, event.notBefore);
      next = Math.min(next, event.acceptedAt + this.options.maximumEventAgeMs);
    }
    // Events that are ready but blocked by concurrency wake up on the next release, not on a timer.
    if (next <= now) return;
    this.timer = setTimeout(() => this.pump(), Math.max(0, next - now));
  }
}
