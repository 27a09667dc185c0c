import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { AsyncEvent, AsyncFailureReason } from './async-event-queue.js';
import {
  bundleEnvironmentRuntime,
  bundleFunctionsTracked,
  bundleFunctionTracked,
  type SourceStamps,
} from './bundler.js';
import { lambdaEnvironmentVariables } from './environment-variables.js';
import {
  concurrencyLimitExceeded,
  failedEventNotFound,
  functionNotFound,
  invalidRequestContent,
  LambdaServiceError,
  recursiveInvocation,
  requestTooLarge,
  responseTooLargeError,
  signatureRefused,
} from './errors.js';
import { type BusEvent, LocalEventBus } from './event-bus.js';
import { type FailedEvent, FailureDestination } from './failure-destination.js';
import { FaultInjector, type FaultOptions, type FaultStats, resolveFaultOptions } from './fault-injection.js';
import {
  functionArn,
  type LambdaFunctionDefinition,
  parseFunctionName,
  type ResolvedFunction,
  resolveFunctionDefinition,
} from './function-definition.js';
import { createFunctionLogSink, type FunctionLogOption, serviceLog } from './function-logs.js';
import { type FunctionStats, HostedFunction, type InvocationRecord } from './hosted-function.js';
import { registerInProcessLambda } from './in-process.js';
import { createInvokeApiServer, type InvokeApiRequest, type InvokeApiResult } from './invoke-api-server.js';
import type { InvokeOutcome } from './invoke-client.js';
import {
  ASYNC_RETRY_BASE_DELAY_MS,
  DEFAULT_FUNCTION_CONCURRENCY,
  RECURSION_LIMIT,
  SYNC_PAYLOAD_LIMIT_BYTES,
} from './limits.js';
import {
  type LocalCredential,
  resolveSignaturePolicy,
  type SignatureOptions,
  verifySignature,
} from './sigv4.js';
import { continueChain } from './trace-header.js';

export interface LambdaServiceOptions extends SignatureOptions {
  functions: LambdaFunctionDefinition[];
  /**
   * Default 127.0.0.1. On loopback signatures are not checked unless `verifySignatures` is set; on any other
   * address every request must be signed by one of `credentials` (the service refuses to start without them).
   */
  host?: string;
  /** Default 0: any free port (read it from `port` / `url`). */
  port?: number;
  /** Default us-east-1; used in ARNs and as the functions' AWS_REGION. */
  region?: string;
  /** Default 000000000000; used in ARNs. */
  accountId?: string;
  /**
   * Multiplies the service's own waits: async retry backoff (Lambda: 1 then 2 minutes) and the maximum event
   * age. 0.001 turns a minute into 60 ms. Function timeouts are *not* scaled: the handler's code runs in real
   * time, so a scaled timeout would cut real work short — give a test function a short (even fractional)
   * `timeoutSeconds` instead. Default 1.
   */
  timeScale?: number;
  /** The concurrency limit of a function that declares no `reservedConcurrency`. Default 10. */
  defaultConcurrency?: number;
  /**
   * Where bundles are written (one folder per function), kept for the next start: a bundle whose inputs are all
   * as they were is not built again. Default: a folder shared by every service with the same functions (same
   * names, same entries) under `node_modules/.cache/baton/bundles` (the nearest node_modules above `baseDir`),
   * or a new temporary folder, removed on stop, for a service that reloads changed code.
   */
  bundleDir?: string;
  /** Relative `entry` paths are resolved against it. Default: the current working directory. */
  baseDir?: string;
  /** Environment variables for every function (a function's own `environment` overrides them). */
  environment?: Record<string, string>;
  /** Function log output: 'forward' (default) prefixes it with the function name on this process's stdout/stderr. */
  logs?: FunctionLogOption;
  /** Keep failed async events in this JSON file as well as in memory, so they survive a restart. */
  failedEventsFile?: string;
  /**
   * What `redrive` sends the function for a failed event: default its original event. A service that must tell a
   * replay from a live event wraps it here (Baton's job-run events: `toJobReplayEvent`, decision 0015).
   */
  redrivePayload?: (failed: FailedEvent) => unknown;
  /** Emit source maps with the bundles so stack traces point at the sources. Default true. */
  sourcemap?: boolean;
  /**
   * Pick up source changes without a restart (a dev server): before each invocation, sync or async, the
   * function's own source files (its bundle's inputs outside node_modules) are stat'ed; when one changed since
   * the bundle was built, the function is bundled again and the invocation runs the new code, in a new
   * environment (environments of the old bundle are retired: idle ones at once, busy ones when their invocation
   * ends). A bundle that fails to build answers invocations as an init failure (`BundleError`, esbuild's
   * message), until the file is fixed. Default false: bundles are built once, at start, and nothing is checked.
   */
  reloadOnChange?: boolean;
  /**
   * Fault injection: kill the environment under a fraction of invocations, lose a fraction of accepted async
   * events. Off by default; `setFaults()` changes it while the service runs. See fault-injection.ts.
   */
  faults?: FaultOptions;
  /**
   * How long an execution environment may stay idle before it is ended, as Lambda ends environments nobody
   * used for a while: the next invocation is then a cold start. Default 300000 (5 minutes); `Infinity` keeps
   * every environment until the service stops. `reapIdleEnvironments()` reaps on demand (tests).
   */
  idleEnvironmentTtlMs?: number;
}

export interface LambdaService {
  /** `http://host:port`: the endpoint for `LambdaClient({ endpoint })` or `aws --endpoint-url`. */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  readonly bundleDir: string;
  functionNames(): string[];
  /** Failed async events (the on-failure destination), oldest first. */
  failedEvents(functionName?: string): FailedEvent[];
  /** The events functions put on EventBridge (the local bus, the last 1,000), oldest first. */
  events(): BusEvent[];
  /**
   * Queues a failed event again as a new async invocation (a new chain) and then drops its record; returns the
   * invocation's request id. Throws a 404 LambdaServiceError for an id it does not hold.
   */
  redrive(failedEventId: string): string;
  /** Ends every environment of a function abruptly; running invocations fail. Returns how many ended. */
  killEnvironments(functionName: string): Promise<number>;
  /**
   * Ends, now, the environments idle for at least `idleForMs` (default `idleEnvironmentTtlMs`), in every
   * function; resolves with how many, once they have ended. What the idle timer does, without waiting for it.
   */
  reapIdleEnvironments(options?: { idleForMs?: number }): Promise<number>;
  /**
   * Replaces the fault injection in force (`undefined` or `{}` turns it off); the draws restart from the seed.
   * Throws, keeping the faults in force, when the options are invalid. Counts are kept.
   */
  setFaults(faults: FaultOptions | undefined): void;
  /** What fault injection did so far, in total and per function, and the faults in force (with their seed). */
  faultStats(): FaultStats;
  stats(): Record<string, FunctionStats & { failedEvents: number }>;
  /** Finished invocation attempts, oldest first (the most recent 1000). */
  invocations(functionName?: string): InvocationRecord[];
  /** Resolves once no request, invocation or async event (waiting or backing off) is left. */
  waitForIdle(options?: { timeoutMs?: number }): Promise<void>;
  stop(): Promise<void>;
}

const INVOCATION_HISTORY = 1000;
/** Lambda ends environments left idle "for a while"; locally five minutes. */
const DEFAULT_IDLE_ENVIRONMENT_TTL_MS = 5 * 60_000;

/**
 * Starts the local Lambda service: bundles every function, then serves the Invoke API. Definitions are
 * checked first, so a typo fails the start rather than the first call.
 */
export async function startLambdaService(options: LambdaServiceOptions): Promise<LambdaService> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be a positive number');
  const baseDir = options.baseDir ?? process.cwd();
  const host = options.host ?? '127.0.0.1';
  const signatures = resolveSignaturePolicy('Lambda service', host, options);
  const defaultConcurrency = options.defaultConcurrency ?? DEFAULT_FUNCTION_CONCURRENCY;
  const idleEnvironmentTtlMs = options.idleEnvironmentTtlMs ?? DEFAULT_IDLE_ENVIRONMENT_TTL_MS;
  if (!(idleEnvironmentTtlMs >= 0))
    throw new Error('idleEnvironmentTtlMs must be 0 or more (Infinity: never)');

  const definitions = options.functions.map((definition) =>
    resolveFunctionDefinition(definition, { region, accountId, baseDir, defaultConcurrency }),
  );
  const duplicate = definitions.find(
    (fn, index) => definitions.findIndex((other) => other.name === fn.name) !== index,
  );
  if (duplicate) throw new Error(`Function "${duplicate.name}" is defined twice`);
  // Checked before anything is bundled or listens, so a bad fraction fails the start at once.
  resolveFaultOptions(
    options.faults,
    definitions.map((fn) => fn.name),
  );

  const sourcemap = options.sourcemap ?? true;
  const reloadOnChange = options.reloadOnChange ?? false;
  // A service that reloads rebuilds into its folder while it runs: it gets a folder of its own. Any other
  // service without a folder shares one with the services of the same functions, so that the tests and scripts
  // that start many services bundle each function once, not once a start (esbuild was the biggest consumer of
  // CPU in the test suite after the test workers themselves: decision 0013).
  const ownsBundleDir = options.bundleDir === undefined && reloadOnChange;
  const bundleDir = options.bundleDir
    ? resolve(options.bundleDir)
    : ownsBundleDir
      ? await mkdtemp(join(tmpdir(), 'baton-local-'))
      : sharedBundleDir(baseDir, definitions, sourcemap);
  // A folder that outlives the service keeps its bundles for the next start (see bundleFunctionsTracked). The
  // functions to build are built in one esbuild build, which parses the modules they share once.
  const cache = !ownsBundleDir;
  const [runtimeFile, bundles] = await Promise.all([
    bundleEnvironmentRuntime(bundleDir, { cache }),
    bundleFunctionsTracked(definitions, bundleDir, { sourcemap, cache }),
  ]);

  const logSink = createFunctionLogSink(options.logs ?? 'forward');
  const failureDestination = new FailureDestination(options.failedEventsFile);
  // The Invoke API answers EventBridge's PutEvents too: functions' EventBridge clients are pointed at it.
  const eventBus = new LocalEventBus();
  const faults = new FaultInjector(
    definitions.map((fn) => fn.name),
    options.faults,
  );
  const history: InvocationRecord[] = [];
  const functions = new Map<string, HostedFunction>();
  const arnOf = (name: string) => functionArn(region, accountId, name);

  const recordFailure = (fn: ResolvedFunction, event: AsyncEvent, reason: AsyncFailureReason) => {
    failureDestination.add({
      functionName: fn.name,
      functionArn: fn.arn,
      requestId: event.requestId,
      payload: JSON.parse(event.payload),
      reason,
      ...(event.lastError ? { error: event.lastError } : {}),
      attempts: event.attempts,
      acceptedAt: new Date(event.acceptedAt).toISOString(),
      traceHeader: event.traceHeader,
    });
    serviceLog(
      logSink,
      fn.name,
      `async event ${event.requestId} sent to the failure destination: ${reason} after ${event.attempts} attempt(s)`,
    );
  };

  const invoke = async (request: InvokeApiRequest): Promise<InvokeApiResult> => {
    const { name, qualifier: qualifierInName } = parseFunctionName(request.functionName);
    const qualifier = request.qualifier ?? qualifierInName;
    const hosted = functions.get(name);
    if (hosted === undefined) throw functionNotFound(qualifier ? `${arnOf(name)}:${qualifier}` : arnOf(name));
    const text = typeof request.payload === 'string' ? request.payload : request.payload.toString('utf8');
    const payload = text.length === 0 ? '{}' : text;
    try {
      JSON.parse(payload);
    } catch (error) {
      throw invalidRequestContent((error as Error).message);
    }
    const requestId = randomUUID();
    if (request.invocationType === 'DryRun') return { kind: 'dry-run', requestId };

    const fn = hosted.fn;
    const chain = continueChain(request.traceHeader, fn.arn);
    const stopLoop = chain.exceedsLimit && fn.recursiveLoop === 'Terminate';
    const invokedFunctionArn = qualifier ? `${fn.arn}:${qualifier}` : fn.arn;

    if (request.invocationType === 'Event') {
      const event: AsyncEvent = {
        requestId,
        payload,
        traceHeader: chain.traceHeader,
        invokedFunctionArn,
        chainPosition: chain.position,
        acceptedAt: Date.now(),
        attempts: 0,
        notBefore: 0,
      };
      if (stopLoop) {
        // Lambda accepts the call (the caller sees 202) and routes the event to the failure destination.
        serviceLog(
          logSink,
          fn.name,
          `recursive loop detected: invocation ${chain.position} of this function in one chain stopped (limit ${RECURSION_LIMIT})`,
        );
        recordFailure(fn, event, 'RecursiveInvocationException');
      } else if (faults.drop(fn.name)) {
        // Accepted, then lost: no run, no retry, no failure destination.
        serviceLog(logSink, fn.name, `fault injection: async event ${requestId} lost after it was accepted`);
      } else {
        hosted.enqueue(event);
      }
      return { kind: 'accepted', requestId };
    }

    if (stopLoop) throw recursiveInvocation();
    const running = hosted.tryInvoke({
      requestId,
      payload,
      traceHeader: chain.traceHeader,
      invokedFunctionArn,
      chainPosition: chain.position,
      ...(request.clientContext === undefined ? {} : { clientContext: request.clientContext }),
    });
    if (running === undefined) throw concurrencyLimitExceeded();
    const outcome = await running;
    if (outcome.ok) {
      const size = Buffer.byteLength(outcome.payload);
      if (size > SYNC_PAYLOAD_LIMIT_BYTES) {
        return {
          kind: 'completed',
          requestId,
          outcome: {
            ...outcome,
            ok: false,
            cause: 'handler',
            error: responseTooLargeError(size, SYNC_PAYLOAD_LIMIT_BYTES),
          },
        };
      }
    }
    return { kind: 'completed', requestId, outcome };
  };

  const getFunction = (functionName: string, qualifier: string | undefined): Record<string, unknown> => {
    const { name } = parseFunctionName(functionName);
    const fn = functions.get(name)?.fn;
    if (fn === undefined) throw functionNotFound(qualifier ? `${arnOf(name)}:${qualifier}` : arnOf(name));
    return {
      Configuration: {
        FunctionName: fn.name,
        FunctionArn: fn.arn,
        Runtime: `nodejs${process.versions.node.split('.')[0]}.x`,
        Handler: `index.${fn.handler}`,
        Timeout: fn.timeoutSeconds,
        MemorySize: fn.memoryMb,
        Version: '$LATEST',
        State: 'Active',
        LastUpdateStatus: 'Successful',
        PackageType: 'Zip',
        Environment: { Variables: fn.environment },
      },
      Concurrency: { ReservedConcurrentExecutions: fn.concurrencyLimit },
    };
  };

  // When signatures are checked, each function gets credentials of its own (as its execution role would), so
  // a handler that invokes a function with the SDK — configured only by its environment — is let in.
  const functionCredentials = new Map<string, LocalCredential>(
    signatures.verify ? definitions.map((fn) => [fn.name, executionRoleCredential(fn, accountId)]) : [],
  );
  const callers = [...signatures.credentials, ...functionCredentials.values()];
  const authenticate = signatures.verify
    ? async (request: Parameters<typeof verifySignature>[0]) => {
        const check = await verifySignature(request, { credentials: callers, region, service: 'lambda' });
        return check.ok ? undefined : signatureRefused(check.problem, check.message);
      }
    : undefined;

  const api = createInvokeApiServer({
    invoke,
    getFunction,
    failedEvents: (functionName) => failureDestination.list(functionName),
    replayFailedEvent: (id) => ({ id, requestId: service.redrive(id) }),
    putEvents: (entries) => eventBus.put(entries),
    events: () => eventBus.events(),
    ...(authenticate ? { authenticate } : {}),
    ...(signatures.verify && {
      authenticateEvents: async (request: Parameters<typeof verifySignature>[0]) => {
        const check = await verifySignature(request, { credentials: callers, region, service: 'events' });
        return check.ok ? undefined : signatureRefused(check.problem, check.message);
      },
    }),
  });
  const { port, url } = await api.listen(options.port ?? 0, host);

  // The emulators of this process call the service directly (see in-process.ts), as the Invoke API server
  // would: the payload limit first, then who is calling, then the same invoke.
  const acceptsCaller = (credential: { accessKeyId: string; secretAccessKey: string } | undefined) =>
    !signatures.verify ||
    (credential !== undefined &&
      callers.some(
        (caller) =>
          caller.accessKeyId === credential.accessKeyId &&
          caller.secretAccessKey === credential.secretAccessKey,
      ));
  const unregister = registerInProcessLambda(url, {
    invoke(functionName, payload, { timeoutMs, traceHeader, credential }) {
      const size = Buffer.byteLength(payload);
      if (size > SYNC_PAYLOAD_LIMIT_BYTES) {
        return Promise.resolve(
          serviceErrorOutcome(requestTooLarge(size, SYNC_PAYLOAD_LIMIT_BYTES, 'RequestResponse')),
        );
      }
      if (!acceptsCaller(credential)) return undefined;
      const invoking = invoke({
        functionName,
        invocationType: 'RequestResponse',
        payload,
        ...(traceHeader === undefined ? {} : { traceHeader }),
      }).then(
        (result): InvokeOutcome =>
          result.kind !== 'completed'
            ? { kind: 'result', payload: Buffer.alloc(0), lambdaRequestId: result.requestId }
            : result.outcome.ok
              ? {
                  kind: 'result',
                  payload: Buffer.from(result.outcome.payload),
                  lambdaRequestId: result.requestId,
                }
              : {
                  kind: 'result',
                  payload: Buffer.from(JSON.stringify(result.outcome.error)),
                  functionError: 'Unhandled',
                  lambdaRequestId: result.requestId,
                },
        (error: unknown) =>
          serviceErrorOutcome(
            error instanceof LambdaServiceError
              ? error
              : new LambdaServiceError(
                  500,
                  'ServiceException',
                  `Local Lambda service error: ${String(error)}`,
                ),
          ),
      );
      // The caller's deadline, as over HTTP: past it the caller gets a timeout and the function keeps running.
      return new Promise<InvokeOutcome>((resolveOutcome) => {
        const timer = setTimeout(() => resolveOutcome({ kind: 'timeout' }), timeoutMs);
        void invoking.then((outcome) => {
          clearTimeout(timer);
          resolveOutcome(outcome);
        });
      });
    },
    describe(functionName) {
      const fn = functions.get(parseFunctionName(functionName).name)?.fn;
      return fn === undefined ? undefined : { timeoutSeconds: fn.timeoutSeconds, functionArn: fn.arn };
    },
  });

  definitions.forEach((fn, index) => {
    const bundle = bundles[index] as { file: string; sources?: SourceStamps };
    functions.set(
      fn.name,
      new HostedFunction({
        fn,
        runtimeFile,
        bundleFile: bundle.file,
        logSink,
        environmentVariables: (logStreamName) =>
          lambdaEnvironmentVariables(
            fn,
            {
              region,
              url,
              shared: { AWS_ENDPOINT_URL_EVENTBRIDGE: url, ...options.environment },
              credentials: functionCredentials.get(fn.name),
            },
            logStreamName,
            join(bundleDir, fn.name),
          ),
        retryDelayMs: (retry) => ASYNC_RETRY_BASE_DELAY_MS * 2 ** (retry - 1) * timeScale,
        maximumEventAgeMs: fn.maximumEventAgeSeconds * 1000 * timeScale,
        onAsyncFailure: (event, reason) => recordFailure(fn, event, reason),
        onInvocation: (record) => {
          history.push(record);
          if (history.length > INVOCATION_HISTORY) history.shift();
        },
        faults,
        idleEnvironmentTtlMs,
        ...(bundle.sources === undefined || !reloadOnChange
          ? {}
          : {
              reload: {
                sources: bundle.sources,
                rebuild: () => bundleFunctionTracked(fn.name, fn.entryPath, bundleDir, { sourcemap }),
              },
            }),
      }),
    );
  });

  const isIdle = () => api.activeRequests() === 0 && [...functions.values()].every((hosted) => hosted.isIdle);
  const describeBusy = () => {
    const busy = [...functions.values()]
      .filter((hosted) => !hosted.isIdle)
      .map((hosted) => {
        const { environments, asyncQueue } = hosted.stats();
        return `${hosted.fn.name} (${environments.busy} busy environment(s), ${asyncQueue.waiting} waiting and ${asyncQueue.running} running event(s))`;
      });
    const requests = api.activeRequests();
    return [...busy, ...(requests > 0 ? [`${requests} Invoke API request(s) open`] : [])].join(', ');
  };
  let stopped: Promise<void> | undefined;

  const service: LambdaService = {
    url,
    port,
    region,
    accountId,
    bundleDir,
    functionNames: () => [...functions.keys()],
    failedEvents: (functionName) => failureDestination.list(functionName),
    events: () => eventBus.events(),
    redrive(failedEventId) {
      const failed = failureDestination.list().find((event) => event.id === failedEventId);
      if (failed === undefined) throw failedEventNotFound(failedEventId);
      const hosted = functions.get(failed.functionName);
      if (hosted === undefined) throw functionNotFound(failed.functionArn);
      const chain = continueChain(undefined, hosted.fn.arn);
      const requestId = randomUUID();
      const payload = JSON.stringify(
        options.redrivePayload ? options.redrivePayload(failed) : failed.payload,
      );
      // The record goes only once the event is accepted: a redrive that threw leaves it to be redriven again.
      hosted.enqueue({
        requestId,
        payload,
        traceHeader: chain.traceHeader,
        invokedFunctionArn: hosted.fn.arn,
        chainPosition: chain.position,
        acceptedAt: Date.now(),
        attempts: 0,
        notBefore: 0,
      });
      failureDestination.take(failedEventId);
      return requestId;
    },
    killEnvironments(functionName) {
      const hosted = functions.get(functionName);
      if (hosted === undefined) return Promise.reject(functionNotFound(arnOf(functionName)));
      return hosted.killEnvironments();
    },
    async reapIdleEnvironments({ idleForMs } = {}) {
      const counts = await Promise.all([...functions.values()].map((hosted) => hosted.reapIdle(idleForMs)));
      return counts.reduce((sum, count) => sum + count, 0);
    },
    setFaults(next) {
      faults.configure(next);
    },
    faultStats: () => faults.stats(),
    stats() {
      return Object.fromEntries(
        [...functions].map(([name, hosted]) => [
          name,
          { ...hosted.stats(), failedEvents: failureDestination.list(name).length },
        ]),
      );
    },
    invocations: (functionName) =>
      history.filter((record) => functionName === undefined || record.functionName === functionName),
    async waitForIdle({ timeoutMs = 30_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      // Idle twice in a row, a poll apart, so a call just leaving a handler has time to arrive.
      let idleChecks = 0;
      while (idleChecks < 2) {
        if (Date.now() > deadline) {
          throw new Error(`The Lambda service was still busy after ${timeoutMs} ms: ${describeBusy()}`);
        }
        await new Promise((wake) => setTimeout(wake, 10));
        idleChecks = isIdle() ? idleChecks + 1 : 0;
      }
    },
    stop() {
      stopped ??= (async () => {
        unregister();
        const closing = api.close();
        await Promise.all([...functions.values()].map((hosted) => hosted.stop()));
        await closing;
        await failureDestination.flushed();
        if (ownsBundleDir) await rm(bundleDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
  return service;
}

/**
 * The bundle folder shared by every service of these functions: named by a hash of each function's name and
 * entry, under the nearest `node_modules/.cache` above `baseDir` (the convention of build tools' caches), or in
 * the temporary folder when there is none. Services starting at once may build the same bundle together: each
 * output is renamed into place whole (bundleFunctionsTracked), and both write the same bytes.
 */
function sharedBundleDir(
  baseDir: string,
  definitions: readonly ResolvedFunction[],
  sourcemap: boolean,
): string {
  const key = createHash('sha256')
    .update(JSON.stringify([sourcemap, ...definitions.map((fn) => [fn.name, fn.entryPath])]))
    .digest('hex')
    .slice(0, 16);
  for (let dir = resolve(baseDir); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'node_modules')))
      return join(dir, 'node_modules', '.cache', 'baton', 'bundles', key);
    if (dirname(dir) === dir) return join(tmpdir(), `baton-bundles-${userInfo().uid}`, key);
  }
}

function serviceErrorOutcome(error: LambdaServiceError): InvokeOutcome {
  return {
    kind: 'service-error',
    status: error.statusCode,
    errorType: error.errorType,
    message: error.message,
  };
}

/** Fresh credentials for a function's execution role (random per start): what its SDK clients sign with. */
function executionRoleCredential(fn: ResolvedFunction, accountId: string): LocalCredential {
  return {
    accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString('base64'),
    principalArn: `arn:aws:sts::${accountId}:assumed-role/${fn.name}-role/${fn.name}`,
  };
}
