import type { ExecutionEnvironment } from './execution-environment.js';

export interface EnvironmentPoolStats {
  /** Environments serving an invocation (or initialising for one), and slots reserved for one (see tryReserve). */
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
 * starts only while fewer than `limit` are busy.
 *
 * An invocation first reserves a slot (`tryReserve`), synchronously, so two requests arriving together can never
 * both take the last slot; it then takes its environment (`take`), at once or — when the service reloads changed
 * code — once it knows which bundle to run. A slot reserved is busy.
 *
 * Environments belong to a generation of the function's bundle. `renew()` starts a new one: from then on only
 * environments of the new bundle serve invocations; the old ones are retired (ended) — idle ones at once, busy
 * ones as soon as their invocation ends, never to be reused.
 */
export class EnvironmentPool {
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly busy = new Set<ExecutionEnvironment>();
  private reserved = 0;
  private started = 0;
  private closed = false;
  private generation = 0;
  private readonly generationOf = new WeakMap<ExecutionEnvironment, number>();
  private readonly retiring = new Set<Promise<void>>();

  constructor(
    private readonly limit: number,
    private readonly startEnvironment: () => ExecutionEnvironment,
  ) {}

  /** Reserves a slot for one invocation, or answers false when the function is at its concurrency limit. */
  tryReserve(): boolean {
    if (this.closed || this.busy.size + this.reserved >= this.limit) return false;
    this.reserved += 1;
    return true;
  }

  /**
   * The environment for a reserved slot: a warm one, or a new one (a cold start). Undefined once the pool is
   * closed (the reservation is dropped).
   */
  take(): ExecutionEnvironment | undefined {
    this.reserved -= 1;
    if (this.closed) return undefined;
    for (let warm = this.idle.pop(); warm !== undefined; warm = this.idle.pop()) {
      if (warm.isAlive) {
        this.busy.add(warm);
        return warm;
      }
    }
    const environment = this.startEnvironment();
    this.started += 1;
    this.generationOf.set(environment, this.generation);
    environment.onEnded(() => {
      const index = this.idle.indexOf(environment);
      if (index >= 0) this.idle.splice(index, 1);
    });
    this.busy.add(environment);
    return environment;
  }

  /** Gives back a reserved slot that took no environment. */
  cancel(): void {
    this.reserved -= 1;
  }

  release(environment: ExecutionEnvironment): void {
    this.busy.delete(environment);
    if (!environment.isAlive || this.closed) return;
    if (this.generationOf.get(environment) === this.generation) this.idle.push(environment);
    else this.retire(environment);
  }

  /** The function's bundle was rebuilt: environments started before now are retired (see the class comment). */
  renew(): void {
    this.generation += 1;
    for (const environment of this.idle.splice(0)) this.retire(environment);
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
    await Promise.all(this.retiring);
  }

  stats(): EnvironmentPoolStats {
    return {
      busy: this.busy.size + this.reserved,
      idle: this.idle.length,
      started: this.started,
      limit: this.limit,
    };
  }

  private retire(environment: ExecutionEnvironment): void {
    const ending = environment.kill().finally(() => this.retiring.delete(ending));
    this.retiring.add(ending);
  }
}
