import type { Scheduler } from '../ports.js';

interface Timer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
}

/** Lets promise callbacks and I/O callbacks queued so far run (an in-memory store answers within these). */
const settle = async () => {
  for (let i = 0; i < 3; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/**
 * A fake scheduler: time moves only when a test says so, and timers fire in order of their due time as it
 * moves. Leases, budgets, polls and backoff then behave the same on an idle machine and a loaded one.
 *
 * - `advance(ms)` / `set(epochMs)` move time without firing anything (what a test of stored expiry wants);
 * - `tick(ms)` moves time in steps, firing each timer due on the way and letting the code it woke run;
 * - `run(promise)` lets the code under test run, and whenever it is idle — waiting only on timers — jumps
 *   to the next timer: a job that waits a minute for a lease completes in milliseconds of real time.
 */
export class ManualClock implements Scheduler {
  private timers: Timer[] = [];
  private nextId = 1;

  constructor(private current = Date.parse('2026-01-01T00:00:00.000Z')) {}

  now(): number {
    return this.current;
  }

  advance(ms: number): void {
    this.current += ms;
  }

  set(epochMs: number): void {
    this.current = epochMs;
  }

  schedule(callback: () => void, ms: number): () => void {
    const timer: Timer = { id: this.nextId++, dueAt: this.current + Math.max(0, ms), callback };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((other) => other.id !== timer.id);
    };
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.schedule(resolve, ms));
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.timers.length;
  }

  /** Moves time forward by `ms`, firing every timer due on the way, in order. */
  async tick(ms: number): Promise<void> {
    const until = this.current + ms;
    await settle();
    for (let next = this.nextDue(); next && next.dueAt <= until; next = this.nextDue()) {
      this.fire(next);
      await settle();
    }
    this.current = Math.max(this.current, until);
    await settle();
  }

  /**
   * Resolves with the promise's value, jumping from timer to timer whenever nothing else is left to run.
   * Throws if the code waits on no timer and does not settle (a deadlock), or after `maxMs` of fake time.
   */
  async run<T>(promise: Promise<T>, options: { maxMs?: number } = {}): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    const limit = this.current + (options.maxMs ?? 24 * 3600_000);
    await settle();
    while (!settled) {
      const next = this.nextDue();
      if (!next) {
        await settle();
        if (settled) break;
        throw new Error('ManualClock.run: the code waits on no timer and has not settled (deadlock?).');
      }
      if (next.dueAt > limit)
        throw new Error(`ManualClock.run: not settled within ${options.maxMs} ms of fake time.`);
      this.fire(next);
      await settle();
    }
    return watched;
  }

  private nextDue(): Timer | undefined {
    let first: Timer | undefined;
    for (const timer of this.timers) if (!first || timer.dueAt < first.dueAt) first = timer;
    return first;
  }

  private fire(timer: Timer): void {
    this.timers = this.timers.filter((other) => other.id !== timer.id);
    this.current = Math.max(this.current, timer.dueAt);
    timer.callback();
  }
}
