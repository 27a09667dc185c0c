import type { ExecutionEnvironment } from './execution-environment.js';

/** The longest delay setTimeout takes. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
 *
 * An environment left idle for `idleTtlMs` is ended (reaped), as Lambda ends environments nobody used for a
 * while: a dev server left alone shrinks back to its bare process, and the next invocation is a cold start.
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
  /** When each idle environment was last released (Date.now()). */
  private readonly idleSince = new Map<ExecutionEnvironment, number>();
  private reapTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limit: number,
    private readonly startEnvironment: () => ExecutionEnvironment,
    /** How long an environment may stay idle before it is ended; Infinity keeps it. */
    private readonly idleTtlMs = Number.POSITIVE_INFINITY,
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
      this.idleSince.delete(warm);
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
      this.idleSince.delete(environment);
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
    if (this.generationOf.get(environment) === this.generation) {
      this.idle.push(environment);
      this.idleSince.set(environment, Date.now());
      this.scheduleReap();
    } else this.retire(environment);
  }

  /**
   * Ends the environments idle for at least `idleForMs` (default: the pool's idle TTL) as of `now`; returns how
   * many. The timer calls it; tests call it with an explicit age instead of waiting.
   */
  reapIdle(idleForMs = this.idleTtlMs, now = Date.now()): number {
    // `idle` is a stack: the longest idle come first.
    let count = 0;
    while (count < this.idle.length) {
      const since = this.idleSince.get(this.idle[count] as ExecutionEnvironment) ?? now;
      if (now - since < idleForMs) break;
      count += 1;
    }
    for (const environment of this.idle.splice(0, count)) {
      this.idleSince.delete(environment);
      this.retire(environment);
    }
    return count;
  }

  /** Resolves once every environment being ended has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.retiring);
  }

  /** One timer per pool, due when the longest idle environment reaches the TTL; it never holds the process. */
  private scheduleReap(): void {
    if (this.reapTimer !== undefined || this.closed || !Number.isFinite(this.idleTtlMs)) return;
    const oldest = this.idle[0];
    if (oldest === undefined) return;
    const dueInMs = (this.idleSince.get(oldest) ?? Date.now()) + this.idleTtlMs - Date.now();
    this.reapTimer = setTimeout(
      () => {
        this.reapTimer = undefined;
        this.reapIdle();
        this.scheduleReap();
      },
      // setTimeout takes at most 2^31 - 1 ms (a longer delay would fire at once): a longer TTL waits in steps.
      Math.min(Math.max(0, dueInMs) + 1, MAX_TIMER_MS),
    );
    this.reapTimer.unref();
  }

  /** The function's bundle was rebuilt: environments started before now are retired (see the class comment). */
  renew(): void {
    this.generation += 1;
    for (const environment of this.idle.splice(0)) {
      this.idleSince.delete(environment);
      this.retire(environment);
    }
  }

  /** Ends every environment, busy or idle; returns how many were alive. */
  async killAll(): Promise<number> {
    const all = [...this.busy, ...this.idle].filter((environment) => environment.isAlive);
    await Promise.all(all.map((environment) => environment.kill()));
    return all.length;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reapTimer);
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
