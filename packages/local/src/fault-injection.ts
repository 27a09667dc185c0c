import { randomInt } from 'node:crypto';

/**
 * Fault injection for the local Lambda service: the two failures a serverless system has to survive and a laptop
 * never produces on its own.
 *
 * - **Killed environments.** A chosen fraction of invocations lose their execution environment while the handler
 *   runs — after it started, before its answer reaches the service — at a moment drawn uniformly from the
 *   function's timeout window; a handler that answers earlier is killed as it answers, and the answer is lost.
 *   The invocation fails as a crashed runtime does (`Runtime.ExitError`, `Runtime exited with error: signal:
 *   killed`): a sync caller gets that function error, an async event is retried as Lambda retries it.
 * - **Lost events.** A chosen fraction of accepted async (`Event`) invocations are dropped after the 202: never
 *   run, never sent to the failure destination.
 *
 * Every draw comes from a pseudo-random stream seeded by `seed`, one stream per function and per kind of fault,
 * so the same seed and the same sequence of calls to a function give the same faults, whatever the other
 * functions do.
 */
export interface FaultOptions {
  /** The fraction of invocations (sync calls and async attempts alike) whose environment is killed: 0–1, default 0. */
  killFraction?: number;
  /** The fraction of accepted `Event` invocations lost after the 202: 0–1, default 0. */
  dropFraction?: number;
  /** Seeds the draws (an integer). Default: a random seed, reported by `faultStats().seed` so a run can be replayed. */
  seed?: number;
  /** Only these functions get faults. Default: every function of the service. */
  functions?: string[];
}

/** What fault injection did to one function (or to all of them). */
export interface FaultCounts {
  /** Invocations (attempts) that were drawn for a kill. */
  invocations: number;
  /** Of those, the ones whose environment was killed. */
  killed: number;
  /** Accepted `Event` invocations that were drawn for a drop. */
  events: number;
  /** Of those, the ones that were lost. */
  dropped: number;
}

export interface FaultStats extends FaultCounts {
  /** The faults in force (`undefined` when none are configured); `seed` is the one actually used. */
  config:
    | { killFraction: number; dropFraction: number; seed: number; functions: string[] | undefined }
    | undefined;
  byFunction: Record<string, FaultCounts>;
}

interface ResolvedFaults {
  killFraction: number;
  dropFraction: number;
  seed: number;
  functions: Set<string> | undefined;
}

/**
 * Checks fault options and fills in the defaults. Throws an Error saying what is wrong: a fraction outside 0–1,
 * a seed that is not an integer, a function the service does not have.
 */
export function resolveFaultOptions(
  options: FaultOptions | undefined,
  functionNames: readonly string[],
): ResolvedFaults | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new Error(
      `faults must be an object such as { killFraction: 0.1, seed: 1 }, got ${String(options)}`,
    );
  }
  const known = new Set(['killFraction', 'dropFraction', 'seed', 'functions']);
  const unknown = Object.keys(options).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new Error(
      `faults has unknown option(s) ${unknown.join(', ')}; expected killFraction, dropFraction, seed, functions`,
    );
  }
  const fraction = (name: 'killFraction' | 'dropFraction'): number => {
    const value = options[name] ?? 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error(`faults.${name} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const killFraction = fraction('killFraction');
  const dropFraction = fraction('dropFraction');
  const seed = options.seed ?? randomInt(0, 2 ** 32 - 1);
  if (!Number.isSafeInteger(seed)) {
    throw new Error(`faults.seed must be an integer, got ${JSON.stringify(options.seed)}`);
  }
  let functions: Set<string> | undefined;
  if (options.functions !== undefined) {
    if (!Array.isArray(options.functions) || !options.functions.every((name) => typeof name === 'string')) {
      throw new Error('faults.functions must be an array of function names');
    }
    const missing = options.functions.filter((name) => !functionNames.includes(name));
    if (missing.length > 0) {
      throw new Error(
        `faults.functions names ${missing.map((name) => `"${name}"`).join(', ')}, which the service does not have (it has ${functionNames.map((name) => `"${name}"`).join(', ')})`,
      );
    }
    functions = new Set(options.functions);
  }
  return { killFraction, dropFraction, seed, functions };
}

/** Decides, and counts, the faults of one service. Reconfigurable at run time. */
export class FaultInjector {
  private config: ResolvedFaults | undefined;
  private streams = new Map<string, () => number>();
  private readonly counts = new Map<string, FaultCounts>();

  constructor(
    private readonly functionNames: readonly string[],
    options?: FaultOptions,
  ) {
    this.configure(options);
  }

  /** Replaces the faults in force (`undefined` or `{}` for none); the draws restart from the seed. */
  configure(options: FaultOptions | undefined): void {
    this.config = resolveFaultOptions(options, this.functionNames);
    this.streams = new Map();
  }

  /**
   * For an invocation about to start: how long after its handler starts the environment is killed, or
   * undefined when it is spared. The moment is drawn uniformly from [0, timeoutMs).
   */
  planKill(functionName: string, timeoutMs: number): number | undefined {
    const config = this.applies(functionName);
    if (config === undefined) return undefined;
    const random = this.stream(functionName, 'kill', config.seed);
    this.countsOf(functionName).invocations += 1;
    const kill = random() < config.killFraction;
    const moment = random() * timeoutMs;
    return kill ? moment : undefined;
  }

  /** Records that a planned kill happened (the environment was still serving the invocation). */
  recordKill(functionName: string): void {
    this.countsOf(functionName).killed += 1;
  }

  /** For an `Event` invocation just accepted: whether it is lost. */
  drop(functionName: string): boolean {
    const config = this.applies(functionName);
    if (config === undefined) return false;
    const counts = this.countsOf(functionName);
    counts.events += 1;
    const dropped = this.stream(functionName, 'drop', config.seed)() < config.dropFraction;
    if (dropped) counts.dropped += 1;
    return dropped;
  }

  stats(): FaultStats {
    const total: FaultCounts = { invocations: 0, killed: 0, events: 0, dropped: 0 };
    const byFunction: Record<string, FaultCounts> = {};
    for (const name of this.functionNames) {
      const counts = { ...this.countsOf(name) };
      byFunction[name] = counts;
      total.invocations += counts.invocations;
      total.killed += counts.killed;
      total.events += counts.events;
      total.dropped += counts.dropped;
    }
    const config = this.config && {
      killFraction: this.config.killFraction,
      dropFraction: this.config.dropFraction,
      seed: this.config.seed,
      functions: this.config.functions && [...this.config.functions],
    };
    return { ...total, config, byFunction };
  }

  private applies(functionName: string): ResolvedFaults | undefined {
    const config = this.config;
    if (config === undefined) return undefined;
    if (config.functions !== undefined && !config.functions.has(functionName)) return undefined;
    return config;
  }

  private countsOf(functionName: string): FaultCounts {
    let counts = this.counts.get(functionName);
    if (counts === undefined) {
      counts = { invocations: 0, killed: 0, events: 0, dropped: 0 };
      this.counts.set(functionName, counts);
    }
    return counts;
  }

  private stream(functionName: string, kind: 'kill' | 'drop', seed: number): () => number {
    const key = `${kind}:${functionName}`;
    let stream = this.streams.get(key);
    if (stream === undefined) {
      stream = seededRandom(`${seed}:${kind}:${functionName}`);
      this.streams.set(key, stream);
    }
    return stream;
  }
}

/**
 * A deterministic stream of numbers in [0, 1) from a text seed: FNV-1a to hash the seed into 32 bits, then
 * mulberry32. Plenty for choosing faults; not for anything secret.
 */
export function seededRandom(seed: string): () => number {
  let state = 0x811c9dc5;
  for (let index = 0; index < seed.length; index += 1) {
    state ^= seed.charCodeAt(index);
    state = Math.imul(state, 0x01000193) >>> 0;
  }
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}
