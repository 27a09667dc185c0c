import type { DispatchMessage, JobDispatcher } from '../ports.js';

/**
 * The reference JobDispatcher: keeps what was dispatched, in order, for a test (or a local loop) to
 * deliver. `failNext` makes the next dispatch reject, as an unreachable runner would.
 */
export class InMemoryJobDispatcher implements JobDispatcher {
  readonly dispatched: DispatchMessage[] = [];
  private pending: DispatchMessage[] = [];
  private failures: Error[] = [];

  async dispatch(message: DispatchMessage): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.dispatched.push(message);
    this.pending.push(message);
  }

  /** Removes and returns the messages not yet taken. */
  take(): DispatchMessage[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  failNext(error: Error = new Error('dispatch failed')): void {
    this.failures.push(error);
  }
}
