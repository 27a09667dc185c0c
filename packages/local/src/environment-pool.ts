import type { ExecutionEnvironment } from './execution-environment.js';

export interface EnvironmentPoolStats {
  /** Environments serving an invocation (or initialising for one). */
  busy: number;
  /** Warm environments waiting for an invocation. */
  idle: number;
  /** Environments ever started (cold starts). */
  started: number;
  /** The most environments that may be busy at once. */
  limit: number;
}

/**
 * A function's execution environments under its concurrency limit. A warm environment is reused before a new
 * one starts, the most recently used first (as Lambda does, so the fewest environments stay warm); a new one
 * starts only while fewer than `limit` are busy. Acquisition is synchronous, so two requests arriving together
 * can never both take the last slot.
 */
export class EnvironmentPool {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly busy = new Set<ExecutionEnvironment>();
  private started = 0;
  private closed = false;

  constructor(
    private readonly limit: number,
    private readonly startEnvironment: () => ExecutionEnvironment,
  ) {}

  /** An environment for one invocation, or undefined when the function is at its concurrency limit. */
  tryAcquire(): ExecutionEnvironment | undefined {
    if (this.closed) return undefined;
    for (let warm = this.idle.pop(); warm !== undefined; warm = this.idle.pop()) {
      if (warm.isAlive) {
        this.busy.add(warm);
        return warm;
      }
    }
    if (this.busy.size >= this.limit) return undefined;
    const environment = this.startEnvironment();
    this.started += 1;
    environment.onEnded(() => {
      const index = this.idle.indexOf(environment);
      if (index >= 0) this.idle.splice(index, 1);
    });
    this.busy.add(environment);
    return environment;
  }

  release(environment: ExecutionEnvironment): void {
    this.busy.delete(environment);
    if (environment.isAlive && !this.closed) this.idle.push(environment);
  }

  /** Ends every environment, busy or idle; returns how many were alive. */
  async killAll(): Promise<number> {
    const all = [...this.busy, ...this.idle].filter((environment) => environment.isAlive);
    await Promise.all(all.map((environment) => environment.kill()));
    return all.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.killAll();
  }

  stats(): EnvironmentPoolStats {
    return { busy: this.busy.size, idle: this.idle.length, started: this.started, limit: this.limit };
  }
}
