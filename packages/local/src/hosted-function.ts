import { randomBytes } from 'node:crypto';
import { type AsyncEvent, AsyncEventQueue, type AsyncFailureReason } from './async-event-queue.js';
import { EnvironmentPool, type EnvironmentPoolStats } from './environment-pool.js';
import {
  type EnvironmentInvocation,
  ExecutionEnvironment,
  type FailureCause,
  type InvocationOutcome,
} from './execution-environment.js';
import type { FaultInjector } from './fault-injection.js';
import type { ResolvedFunction } from './function-definition.js';
import { type FunctionLogSink, serviceLog } from './function-logs.js';

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
}

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
  private readonly counters = { invocations: 0, errors: 0, timeouts: 0, throttles: 0 };

  constructor(options: HostedFunctionOptions) {
    this.options = options;
    this.fn = options.fn;
    this.pool = new EnvironmentPool(this.fn.concurrencyLimit, () => this.startEnvironment());
    this.queue = new AsyncEventQueue({
      maximumRetryAttempts: this.fn.maximumRetryAttempts,
      maximumEventAgeMs: options.maximumEventAgeMs,
      retryDelayMs: options.retryDelayMs,
      onFailure: options.onAsyncFailure,
      tryRun: (event) => {
        const environment = this.pool.tryAcquire();
        if (environment === undefined) return undefined;
        return this.run(environment, event, 'Event', event.attempts + 1, event.chainPosition);
      },
    });
  }

  /** Runs a sync invocation now, or answers undefined when the function is at its concurrency limit. */
  tryInvoke(invocation: SyncInvocation): Promise<InvocationOutcome> | undefined {
    const environment = this.pool.tryAcquire();
    if (environment === undefined) {
      this.counters.throttles += 1;
      return undefined;
    }
    this.syncRunning += 1;
    return this.run(environment, invocation, 'RequestResponse', 1, invocation.chainPosition).finally(() => {
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

  stats(): FunctionStats {
    return { environments: this.pool.stats(), asyncQueue: this.queue.size, ...this.counters };
  }

  async stop(): Promise<void> {
    this.queue.close();
    await this.pool.close();
  }

  private async run(
    environment: ExecutionEnvironment,
    invocation: EnvironmentInvocation,
    invocationType: InvocationType,
    attempt: number,
    chainPosition: number,
  ): Promise<InvocationOutcome> {
    const startedAt = new Date().toISOString();
    const killAfterMs = this.options.faults?.planKill(this.fn.name, this.fn.timeoutSeconds * 1000);
    let outcome: InvocationOutcome;
    try {
      outcome = await environment.invoke(invocation, killAfterMs === undefined ? {} : { killAfterMs });
    } finally {
      this.pool.release(environment);
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
