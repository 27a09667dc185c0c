import { randomBytes } from 'node:crypto';
import { isAbsolute, relative } from 'node:path';
import { type AsyncEvent, AsyncEventQueue, type AsyncFailureReason } from './async-event-queue.js';
import { changedSources, type SourceStamps, sourcesChanged, type TrackedBundle } from './bundler.js';
import { EnvironmentPool, type EnvironmentPoolStats } from './environment-pool.js';
import { type FunctionErrorPayload, runtimeExitError, toFunctionErrorPayload } from './errors.js';
import {
  type EnvironmentInvocation,
  ExecutionEnvironment,
  type FailureCause,
  type InvocationOutcome,
} from './execution-environment.js';
import type { FaultInjector } from './fault-injection.js';
import type { ResolvedFunction } from './function-definition.js';
import { type FunctionLogSink, InvocationLog, serviceLog } from './function-logs.js';

export type InvocationType = 'RequestResponse' | 'Event';

/** One finished attempt, for `invocations()`: what ran where, how it ended. */
export interface InvocationRecord {
  requestId: string;
  functionName: string;
  invocationType: InvocationType;
  /** 1 for the first run of an event, 2 and 3 for its retries; always 1 for a sync call. */
  attempt: number;
  /** How many times this function has been invoked in the invocation's chain (recursive loop detection). */
  chainPosition: number;
  traceHeader: string;
  /** Empty when no environment ran it (the function's bundle failed to build, see `reloadOnChange`). */
  environmentId: string;
  /** ISO-8601. */
  startedAt: string;
  durationMs: number;
  ok: boolean;
  errorType?: string;
  cause?: FailureCause;
  /** Set when fault injection killed the environment under this attempt (`cause` is then `killed`). */
  faultInjected?: true;
}

export interface FunctionStats {
  environments: EnvironmentPoolStats;
  asyncQueue: { waiting: number; running: number };
  invocations: number;
  errors: number;
  timeouts: number;
  throttles: number;
}

export interface HostedFunctionOptions {
  fn: ResolvedFunction;
  runtimeFile: string;
  bundleFile: string;
  environmentVariables: (logStreamName: string) => Record<string, string>;
  logSink: FunctionLogSink;
  retryDelayMs: (retry: number) => number;
  maximumEventAgeMs: number;
  onAsyncFailure: (event: AsyncEvent, reason: AsyncFailureReason) => void;
  onInvocation: (record: InvocationRecord) => void;
  /** Decides which invocations lose their environment (see fault-injection.ts). */
  faults?: FaultInjector;
  /** How long an environment may stay idle before it is ended (see EnvironmentPool). */
  idleEnvironmentTtlMs?: number;
  /** Set when the service reloads changed code (`reloadOnChange`); see HostedFunction.currentBuild(). */
  reload?: {
    /** The sources of the bundle the function starts with (`bundleFile`). */
    sources: SourceStamps;
    /** Bundles the function again, over `bundleFile`; throws a BundleError when that fails. */
    rebuild: () => Promise<TrackedBundle>;
  };
}

/** A build of the function's bundle, for `reloadOnChange`; `number` counts the builds started (the first is 0). */
type Build = { number: number } & (
  | { ok: true; sources: SourceStamps }
  | { ok: false; error: FunctionErrorPayload }
);

/**
 * How many times one invocation looks at the sources and waits for a build before it runs whatever it has: only a
 * file rewritten over and over while the function is invoked gets that far.
 */
const MAX_BUILD_ROUNDS = 3;

/** A sync invocation: an environment invocation plus where it stands in its chain. */
export type SyncInvocation = EnvironmentInvocation & { chainPosition: number };

/**
 * One function as the service hosts it: its environments (pool) and its async queue, sharing one concurrency
 * limit. Whenever an environment is released the queue gets a chance to use it.
 */
export class HostedFunction {
  readonly fn: ResolvedFunction;
  private readonly pool: EnvironmentPool;
  private readonly queue: AsyncEventQueue;
  private readonly options: HostedFunctionOptions;
  private environmentsStarted = 0;
  private syncRunning = 0;
  private buildsStarted = 0;
  private readonly counters = { invocations: 0, errors: 0, timeouts: 0, throttles: 0 };
  /** With `reloadOnChange`: the latest build, the one in progress, the sources of the latest good one. */
  private build: Build | undefined;
  private rebuilding: Promise<void> | undefined;
  private lastGoodSources: SourceStamps = new Map();
  private lastBuildFailure: string | undefined;
  private stopping = false;

  constructor(options: HostedFunctionOptions) {
    this.options = options;
    this.fn = options.fn;
    this.pool = new EnvironmentPool(
      this.fn.concurrencyLimit,
      () => this.startEnvironment(),
      options.idleEnvironmentTtlMs,
    );
    if (options.reload) {
      this.build = { number: 0, ok: true, sources: options.reload.sources };
      this.lastGoodSources = options.reload.sources;
    }
    this.queue = new AsyncEventQueue({
      maximumRetryAttempts: this.fn.maximumRetryAttempts,
      maximumEventAgeMs: options.maximumEventAgeMs,
      retryDelayMs: options.retryDelayMs,
      onFailure: options.onAsyncFailure,
      tryRun: (event) => {
        if (!this.pool.tryReserve()) return undefined;
        return this.run(event, 'Event', event.attempts + 1, event.chainPosition);
      },
    });
  }

  /** Runs a sync invocation now, or answers undefined when the function is at its concurrency limit. */
  tryInvoke(invocation: SyncInvocation): Promise<InvocationOutcome> | undefined {
    if (!this.pool.tryReserve()) {
      this.counters.throttles += 1;
      return undefined;
    }
    this.syncRunning += 1;
    return this.run(invocation, 'RequestResponse', 1, invocation.chainPosition).finally(() => {
      this.syncRunning -= 1;
    });
  }

  enqueue(event: AsyncEvent): void {
    this.queue.enqueue(event);
  }

  get isIdle(): boolean {
    return this.syncRunning === 0 && this.queue.isIdle;
  }

  killEnvironments(): Promise<number> {
    return this.pool.killAll();
  }

  /** Ends the environments idle for at least `idleForMs` (default: the idle TTL); resolves with how many. */
  async reapIdle(idleForMs?: number): Promise<number> {
    const count = this.pool.reapIdle(idleForMs);
    await this.pool.settled();
    return count;
  }

  stats(): FunctionStats {
    return { environments: this.pool.stats(), asyncQueue: this.queue.size, ...this.counters };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.queue.close();
    // A rebuild still writing into the bundle folder must be done before the service removes that folder.
    await this.rebuilding;
    await this.pool.close();
  }

  /** Runs an invocation whose slot is reserved (see EnvironmentPool). */
  private async run(
    invocation: EnvironmentInvocation,
    invocationType: InvocationType,
    attempt: number,
    chainPosition: number,
  ): Promise<InvocationOutcome> {
    const startedAt = new Date().toISOString();
    // Without reloadOnChange nothing is awaited before the environment is taken: the same tick as the call.
    const build = this.options.reload === undefined ? undefined : await this.currentBuild();
    let outcome: InvocationOutcome;
    if (build?.ok === false) {
      this.pool.cancel();
      outcome = this.initFailure(invocation.requestId, build.error);
    } else {
      outcome = await this.runInEnvironment(invocation);
    }
    if (outcome.faultInjected) {
      this.options.faults?.recordKill(this.fn.name);
      serviceLog(
        this.options.logSink,
        this.fn.name,
        `fault injection: killed environment ${outcome.environmentId} under ${invocationType} invocation ${invocation.requestId} (attempt ${attempt})`,
      );
    }
    this.counters.invocations += 1;
    if (!outcome.ok) {
      this.counters.errors += 1;
      if (outcome.cause === 'timeout') this.counters.timeouts += 1;
    }
    this.options.onInvocation({
      requestId: invocation.requestId,
      functionName: this.fn.name,
      invocationType,
      attempt,
      chainPosition,
      traceHeader: invocation.traceHeader,
      environmentId: outcome.environmentId,
      startedAt,
      durationMs: outcome.durationMs,
      ok: outcome.ok,
      ...(outcome.ok ? {} : { errorType: outcome.error.errorType, cause: outcome.cause }),
      ...(outcome.faultInjected ? { faultInjected: true } : {}),
    });
    // The freed environment (or the freed slot, if it ended) may serve a waiting event.
    queueMicrotask(() => this.queue.pump());
    return outcome;
  }

  private async runInEnvironment(invocation: EnvironmentInvocation): Promise<InvocationOutcome> {
    const environment = this.pool.take();
    if (environment === undefined) {
      // The service stopped while the invocation waited for its build.
      const log = new InvocationLog();
      return {
        ok: false,
        cause: 'killed',
        error: runtimeExitError('signal: killed'),
        environmentId: '',
        log,
        durationMs: 0,
      };
    }
    const killAfterMs = this.options.faults?.planKill(this.fn.name, this.fn.timeoutSeconds * 1000);
    try {
      return await environment.invoke(invocation, killAfterMs === undefined ? {} : { killAfterMs });
    } finally {
      this.pool.release(environment);
    }
  }

  /**
   * With `reloadOnChange`, before an invocation takes an environment: the build it must run. No timing is
   * involved, so a file saved just before a call is always seen:
   * - after a good build, each of its sources is stat'ed (synchronously; nothing else happens when none changed).
   *   A changed one makes the function bundle again — once, however many invocations wait for it — and the pool
   *   renew, so this invocation and every later one run the new code; the sources are then checked against the
   *   new build (it may have started before this invocation's change was saved);
   * - after a failed build, the sources are not checked: an invocation gets the outcome of a build started after
   *   it arrived (usually one it starts), because the fix may be a file that did not exist yet (an import that
   *   could not be resolved), which no stamp watches.
   */
  private async currentBuild(): Promise<Build> {
    const arrivedAfter = this.buildsStarted;
    for (let round = 1; ; round += 1) {
      if (this.rebuilding) await this.rebuilding;
      const build = this.build as Build;
      if (round > MAX_BUILD_ROUNDS || this.stopping) return build;
      const stale = build.ok ? sourcesChanged(build.sources) : build.number <= arrivedAfter;
      // A build started or ended while the sources were being stat'ed: look again.
      if (this.rebuilding || this.build !== build) continue;
      if (!stale) return build;
      this.rebuilding = this.rebuild().finally(() => {
        this.rebuilding = undefined;
      });
    }
  }

  /** Never rejects: a failed build becomes the function's init failure until a build succeeds. */
  private async rebuild(): Promise<void> {
    const reload = this.options.reload;
    if (reload === undefined) return;
    this.buildsStarted += 1;
    const number = this.buildsStarted;
    const started = performance.now();
    let build: Build;
    try {
      const bundle = await reload.rebuild();
      build = { number, ok: true, sources: bundle.sources };
    } catch (error) {
      build = { number, ok: false, error: { ...toFunctionErrorPayload(error), trace: [] } };
    }
    const ms = Math.round(performance.now() - started);
    this.build = build;
    // Environments that loaded the previous bundle never serve again (a failed build leaves none to serve).
    this.pool.renew();
    if (build.ok) {
      const changed = changedSources(this.lastGoodSources, build.sources).map(displayPath);
      this.lastGoodSources = build.sources;
      this.lastBuildFailure = undefined;
      const files = changed.length > 1 ? ` (and ${changed.length - 1} more)` : '';
      serviceLog(
        this.options.logSink,
        this.fn.name,
        `Rebuilt ${this.fn.name} (${ms} ms)${changed.length > 0 ? `: ${changed[0]}${files}` : ''}`,
      );
    } else if (build.error.errorMessage !== this.lastBuildFailure) {
      // Once per problem: while it lasts, every invocation builds again and fails the same way.
      this.lastBuildFailure = build.error.errorMessage;
      serviceLog(
        this.options.logSink,
        this.fn.name,
        `Rebuilding ${this.fn.name} failed (${ms} ms): ${build.error.errorMessage.replaceAll('\n', ' ')}`,
      );
    }
  }

  /**
   * The outcome of an invocation whose function did not build: the init failure Lambda answers for code that
   * cannot load (as an environment reports one), without starting an environment.
   */
  private initFailure(requestId: string, error: FunctionErrorPayload): InvocationOutcome {
    const log = new InvocationLog();
    const write = (text: string, stream: 'stdout' | 'stderr') => {
      log.append(text);
      this.options.logSink({ functionName: this.fn.name, stream, text });
    };
    write(`${new Date().toISOString()}\tundefined\tERROR\tInit Error\t${JSON.stringify(error)}\n`, 'stderr');
    write(`END RequestId: ${requestId}\nREPORT RequestId: ${requestId}\tDuration: 0.00 ms\t\n`, 'stdout');
    return { ok: false, cause: 'init', error, environmentId: '', log, durationMs: 0 };
  }

  private startEnvironment(): ExecutionEnvironment {
    this.environmentsStarted += 1;
    const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
    const logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    return new ExecutionEnvironment({
      id: `${this.fn.name}#${this.environmentsStarted}`,
      fn: this.fn,
      runtimeFile: this.options.runtimeFile,
      bundleFile: this.options.bundleFile,
      env: this.options.environmentVariables(logStreamName),
      logSink: this.options.logSink,
    });
  }
}

/** A source path as the service log shows it: relative to the working directory when inside it. */
function displayPath(path: string): string {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') || isAbsolute(fromHere) ? path : fromHere;
}
