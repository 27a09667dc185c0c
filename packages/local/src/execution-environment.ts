import { Worker } from 'node:worker_threads';
import type { EnvironmentData, EnvironmentMessage, InvokeMessage } from './environment-protocol.js';
import {
  type FunctionErrorPayload,
  runtimeExitError,
  timeoutError,
  toFunctionErrorPayload,
} from './errors.js';
import type { ResolvedFunction } from './function-definition.js';
import { type FunctionLogSink, InvocationLog } from './function-logs.js';
import { INIT_TIMEOUT_MS } from './limits.js';

/** The service process's own V8 profiler flags (`--cpu-prof`, `--cpu-prof-dir=…`, `--heap-prof…`), passed on. */
const PROFILER_FLAGS = process.execArgv.filter((flag) =>
  /^--(cpu|heap)-prof(-(dir|interval)=.+)?$/.test(flag),
);

/**
 * The young generation of an environment's heap (where new objects start, collected by quick scavenges): 3 MB,
 * two 1 MB semi-spaces and as much again for new large objects. Left to V8, the new space of a busy environment
 * grew to 16–32 MB and stayed there (measured after 10,000 jobs of the example; 1.4–2 MB with this cap), for
 * about 8% more CPU in quick requests (more scavenges) and no difference in jobs per second. It counts against
 * the environment's memory as Lambda counts the whole sandbox; `memoryMb` remains the old generation's limit.
 */
const YOUNG_GENERATION_MB = 3;

export interface EnvironmentInvocation {
  requestId: string;
  /** The event as JSON text. */
  payload: string;
  traceHeader: string;
  invokedFunctionArn: string;
  clientContext?: unknown;
}

/** Why an invocation failed: the handler's own error, or the environment's end. */
export type FailureCause = 'handler' | 'init' | 'timeout' | 'killed' | 'crashed';

export type InvocationOutcome = {
  environmentId: string;
  log: InvocationLog;
  durationMs: number;
  /** Set when fault injection killed the environment under this invocation. */
  faultInjected?: true;
} & ({ ok: true; payload: string } | { ok: false; error: FunctionErrorPayload; cause: FailureCause });

type Failure = { ok: false; error: FunctionErrorPayload; cause: FailureCause };
type InitResult = { ok: true; initDurationMs: number } | Failure;

interface CurrentInvocation {
  requestId: string;
  log: InvocationLog;
  startedAt: number;
  timer?: NodeJS.Timeout;
  /** Fault injection: kill the environment this long after the handler starts (or when it answers, if sooner). */
  killAfterMs?: number;
  killTimer?: NodeJS.Timeout;
  faultInjected?: true;
  resolve: (outcome: InvocationOutcome) => void;
}

export interface InvokeOptions {
  /**
   * Fault injection: end the environment this long after the handler starts, as a crash would; a handler that
   * answers sooner is ended as it answers, and its answer is lost. The invocation fails as `killed`.
   */
  killAfterMs?: number;
}

export interface ExecutionEnvironmentOptions {
  id: string;
  fn: ResolvedFunction;
  runtimeFile: string;
  bundleFile: string;
  /** The environment's whole process.env (see environment-variables.ts). */
  env: Record<string, string>;
  logSink: FunctionLogSink;
}

/**
 * One execution environment: a worker thread with its own `process.env` and heap limit, holding the function's
 * module state between invocations (warm starts), serving one invocation at a time. A timeout, a kill or a
 * crash ends it (the worker is terminated), as Lambda resets an environment after those; the next invocation
 * then needs a new environment (a cold start).
 */
export class ExecutionEnvironment {
  readonly id: string;
  readonly logStreamName: string;
  invocationCount = 0;
  private readonly fn: ResolvedFunction;
  private readonly worker: Worker;
  private readonly logSink: FunctionLogSink;
  private readonly ready: Promise<InitResult>;
  private resolveReady!: (result: InitResult) => void;
  private current: CurrentInvocation | undefined;
  private ended = false;
  /** Set when the service ends the worker on purpose, so its exit is reported for what it is. */
  private endRequested: 'timeout' | 'killed' | 'init-failed' | 'crashed' | undefined;
  /** An uncaught exception in the worker, reported when the worker then exits. */
  private crash: FunctionErrorPayload | undefined;
  /** Init Duration, as Lambda reports it: from starting the environment to the handler being loaded. */
  private initDurationMs: number | undefined;
  private readonly createdAt = performance.now();
  private coldStartReported = false;
  private readonly endListeners: (() => void)[] = [];

  constructor(options: ExecutionEnvironmentOptions) {
    this.id = options.id;
    this.fn = options.fn;
    this.logSink = options.logSink;
    this.logStreamName = options.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '';
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
    const workerData: EnvironmentData = {
      bundleFile: options.bundleFile,
      handlerExport: this.fn.handler,
      functionName: this.fn.name,
      memoryMb: this.fn.memoryMb,
    };
    this.worker = new Worker(options.runtimeFile, {
      workerData,
      env: options.env,
      // The service's own flags (a test runner's loaders, inspectors) are not the function's business; its
      // profiler flags are, so that `node --cpu-prof` (or --heap-prof) on the service profiles its functions too.
      execArgv: PROFILER_FLAGS,
      resourceLimits: {
        maxOldGenerationSizeMb: this.fn.memoryMb,
        maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
      },
    });
    const initTimer = setTimeout(() => {
      this.resolveReady({
        ok: false,
        cause: 'init',
        error: {
          errorType: 'Sandbox.Timedout',
          errorMessage: `Init timed out after ${(INIT_TIMEOUT_MS / 1000).toFixed(2)} seconds`,
          trace: [],
        },
      });
      void this.end('init-failed');
    }, INIT_TIMEOUT_MS);
    void this.ready.then(() => clearTimeout(initTimer));
    this.worker.on('message', (message: EnvironmentMessage) => this.onMessage(message));
    this.worker.on('error', (error: Error & { code?: string }) => {
      this.crash =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? {
              errorType: 'Runtime.OutOfMemory',
              errorMessage: `Runtime exited with error: memory limit of ${this.fn.memoryMb} MB exceeded`,
              trace: [],
            }
          : toFunctionErrorPayload(error);
    });
    this.worker.on('exit', (code) => this.onExit(code));
  }

  /** False as soon as the environment is being ended, so the pool never hands out one that is going away. */
  get isAlive(): boolean {
    return !this.ended && this.endRequested === undefined;
  }

  get isBusy(): boolean {
    return this.current !== undefined;
  }

  onEnded(listener: () => void): void {
    this.endListeners.push(listener);
  }

  /** Runs one invocation (after the init phase on a cold start). Never rejects: failures are outcomes. */
  invoke(invocation: EnvironmentInvocation, options: InvokeOptions = {}): Promise<InvocationOutcome> {
    if (this.current) throw new Error(`Environment ${this.id} is already serving ${this.current.requestId}`);
    this.invocationCount += 1;
    return new Promise((resolve) => {
      const current: CurrentInvocation = {
        requestId: invocation.requestId,
        log: new InvocationLog(),
        startedAt: performance.now(),
        ...(options.killAfterMs === undefined ? {} : { killAfterMs: options.killAfterMs }),
        resolve,
      };
      this.current = current;
      void this.ready.then((init) => {
        if (this.current !== current) return; // ended while initialising
        if (!init.ok) {
          this.finish({ ...init, cause: 'init' });
          return;
        }
        this.initDurationMs = init.initDurationMs;
        this.writeLog(`START RequestId: ${invocation.requestId} Version: $LATEST\n`, 'stdout');
        const timeoutMs = this.fn.timeoutSeconds * 1000;
        current.startedAt = performance.now();
        current.timer = setTimeout(() => this.onTimeout(current), timeoutMs);
        const message: InvokeMessage = {
          type: 'invoke',
          requestId: invocation.requestId,
          payload: invocation.payload,
          traceHeader: invocation.traceHeader,
          invokedFunctionArn: invocation.invokedFunctionArn,
          deadlineMs: Date.now() + timeoutMs,
          ...(invocation.clientContext === undefined ? {} : { clientContext: invocation.clientContext }),
          ...(current.killAfterMs === undefined ? {} : { reportStart: true }),
        };
        this.worker.postMessage(message);
      });
    });
  }

  /** Ends the environment abruptly, as a crash of its sandbox would; an invocation in it fails. */
  kill(): Promise<void> {
    return this.end('killed');
  }

  /** Marks the environment as ending at once (synchronously), then terminates its worker. */
  private async end(reason: 'timeout' | 'killed' | 'init-failed' | 'crashed'): Promise<void> {
    if (this.ended) return;
    this.endRequested ??= reason;
    await this.worker.terminate();
  }

  private onMessage(message: EnvironmentMessage): void {
    switch (message.type) {
      case 'ready':
        this.resolveReady({ ok: true, initDurationMs: performance.now() - this.createdAt });
        return;
      case 'init-error':
        this.writeLog(
          `${new Date().toISOString()}\tundefined\tERROR\tInit Error\t${JSON.stringify(message.error)}\n`,
          'stderr',
        );
        this.resolveReady({ ok: false, cause: 'init', error: message.error });
        // Lambda discards an environment whose init failed; the next invocation initialises a new one.
        void this.end('init-failed');
        return;
      case 'log':
        this.writeLog(message.text, message.stream);
        return;
      case 'started': {
        const current = this.current;
        if (current?.requestId !== message.requestId || current.killAfterMs === undefined) return;
        current.killTimer = setTimeout(() => this.injectKill(current), current.killAfterMs);
        return;
      }
      case 'fatal': {
        this.crash = message.error;
        const ending = this.end('crashed'); // before finish(): the released environment must not be reused
        this.finish({ ok: false, cause: 'crashed', error: message.error });
        void ending;
        return;
      }
      case 'result': {
        if (this.current?.requestId !== message.requestId) return;
        if (this.current.killAfterMs !== undefined) {
          // The kill was due later than the handler took: it strikes as the handler answers; the answer is lost.
          this.injectKill(this.current);
          return;
        }
        this.finish(
          message.error === undefined
            ? { ok: true, payload: message.payload ?? 'null' }
            : { ok: false, cause: 'handler', error: message.error },
          message.maxMemoryUsedMb,
        );
        return;
      }
    }
  }

  /** Fault injection: the environment dies under the invocation, which then fails as `killed` (see onExit). */
  private injectKill(invocation: CurrentInvocation): void {
    if (this.current !== invocation || invocation.faultInjected) return;
    invocation.faultInjected = true;
    clearTimeout(invocation.timer);
    clearTimeout(invocation.killTimer);
    void this.end('killed');
  }

  private onTimeout(invocation: CurrentInvocation): void {
    if (this.current !== invocation) return;
    const error = timeoutError(this.fn.timeoutSeconds);
    this.writeLog(`${new Date().toISOString()} ${invocation.requestId} ${error.errorMessage}\n`, 'stderr');
    // The handler may still be running: only ending the worker stops it. Ending starts before finish() so the
    // released environment is already not alive when the pool takes it back.
    const ending = this.end('timeout');
    this.finish({ ok: false, cause: 'timeout', error });
    void ending;
  }

  private onExit(code: number): void {
    this.ended = true;
    const failure: Failure =
      this.endRequested === 'killed'
        ? { ok: false, cause: 'killed', error: runtimeExitError('signal: killed') }
        : this.crash
          ? { ok: false, cause: 'crashed', error: this.crash }
          : { ok: false, cause: 'crashed', error: runtimeExitError(`exit status ${code}`) };
    this.resolveReady(failure);
    if (this.current) this.finish(failure);
    for (const listener of this.endListeners) listener();
  }

  private finish(result: { ok: true; payload: string } | Failure, maxMemoryUsedMb?: number): void {
    const invocation = this.current;
    if (!invocation) return;
    this.current = undefined;
    clearTimeout(invocation.timer);
    clearTimeout(invocation.killTimer);
    const durationMs = performance.now() - invocation.startedAt;
    const report = [
      `REPORT RequestId: ${invocation.requestId}`,
      `Duration: ${durationMs.toFixed(2)} ms`,
      `Billed Duration: ${Math.max(1, Math.ceil(durationMs))} ms`,
      `Memory Size: ${this.fn.memoryMb} MB`,
      `Max Memory Used: ${maxMemoryUsedMb ?? '-'} MB`,
    ];
    if (!this.coldStartReported && this.initDurationMs !== undefined) {
      this.coldStartReported = true;
      report.push(`Init Duration: ${this.initDurationMs.toFixed(2)} ms`);
    }
    this.writeLog(`END RequestId: ${invocation.requestId}\n${report.join('\t')}\t\n`, 'stdout', invocation);
    invocation.resolve({
      ...result,
      environmentId: this.id,
      log: invocation.log,
      durationMs,
      ...(invocation.faultInjected ? { faultInjected: true } : {}),
    });
  }

  private writeLog(text: string, stream: 'stdout' | 'stderr', invocation = this.current): void {
    invocation?.log.append(text);
    this.logSink({ functionName: this.fn.name, stream, text });
  }
}
