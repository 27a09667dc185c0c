/**
 * The Lambda runtime of one execution environment. It runs inside a worker thread (never import it from the
 * service): it loads the function's bundle once (the init phase), then serves one invocation at a time, like
 * Lambda's Node.js runtime: console output in Lambda's line format, `_X_AMZN_TRACE_ID` set per invocation, a
 * Lambda context object, async or callback handlers.
 *
 * The service bundles this file with esbuild at start-up (it may be TypeScript source or built JavaScript).
 */

import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import type { Context } from 'aws-lambda';
import type {
  EnvironmentData,
  EnvironmentMessage,
  InvokeMessage,
  ServiceMessage,
} from './environment-protocol.js';
import { toFunctionErrorPayload } from './errors.js';
import { createLazySourceMaps } from './lazy-source-maps.js';

type Handler = (event: unknown, context: Context, callback: Callback) => unknown;
type Callback = (error?: unknown, result?: unknown) => void;

const port = parentPort;
if (port === null) throw new Error('The environment runtime must run in a worker thread');
const data = workerData as EnvironmentData;

/** The request id Lambda prints in each log line; `undefined` during init, as Lambda prints it. */
let currentRequestId: string | undefined;

function send(message: EnvironmentMessage): void {
  port?.postMessage(message);
}

/** Console output in Lambda's format: `<ISO time>\t<request id>\t<LEVEL>\t<message>`. */
function captureConsole(): void {
  const levels = { log: 'INFO', info: 'INFO', warn: 'WARN', error: 'ERROR', debug: 'DEBUG', trace: 'TRACE' };
  for (const [method, level] of Object.entries(levels)) {
    const write = (...args: unknown[]): void => {
      let message = format(...args);
      if (method === 'trace')
        message = `Trace: ${message}\n${new Error().stack?.split('\n').slice(2).join('\n')}`;
      const stream = level === 'ERROR' || level === 'WARN' ? 'stderr' : 'stdout';
      send({
        type: 'log',
        stream,
        text: `${new Date().toISOString()}\t${currentRequestId ?? 'undefined'}\t${level}\t${message}\n`,
      });
    };
    (console as unknown as Record<string, unknown>)[method] = write;
  }
  // Raw writes (process.stdout.write) are part of the function's log too.
  for (const stream of ['stdout', 'stderr'] as const) {
    process[stream].write = ((chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      send({ type: 'log', stream, text });
      const done = typeof encoding === 'function' ? encoding : callback;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof process.stdout.write;
  }
}

/**
 * Stack traces point at the function's original sources (its bundle's source map), as with Node's
 * `--enable-source-maps`, but a map is read only when a stack trace first needs it (see lazy-source-maps.ts).
 */
function mapStackTraces(): { stamp: (file: string) => void } {
  const nodeDefault = Error.prepareStackTrace;
  const sourceMaps = createLazySourceMaps(nodeDefault ?? ((error) => Error.prototype.toString.call(error)));
  Error.prepareStackTrace = sourceMaps.prepareStackTrace;
  return sourceMaps;
}

async function loadHandler(sourceMaps: { stamp: (file: string) => void }): Promise<Handler> {
  sourceMaps.stamp(data.bundleFile);
  const module = (await import(pathToFileURL(data.bundleFile).href)) as Record<string, unknown>;
  const handler = module[data.handlerExport];
  if (typeof handler !== 'function') {
    const error = new Error(`index.${data.handlerExport} is undefined or not exported`);
    error.name = 'Runtime.HandlerNotFound';
    throw error;
  }
  return handler as Handler;
}

function createContext(message: InvokeMessage, callback: Callback): Context {
  return {
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: message.invokedFunctionArn,
    memoryLimitInMB: String(data.memoryMb),
    awsRequestId: message.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${data.functionName}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    callbackWaitsForEmptyEventLoop: true,
    ...(message.clientContext === undefined
      ? {}
      : { clientContext: message.clientContext as NonNullable<Context['clientContext']> }),
    getRemainingTimeInMillis: () => Math.max(0, message.deadlineMs - Date.now()),
    // The legacy completion methods settle the invocation as the callback does.
    done: (error?: Error, result?: unknown) => callback(error, result),
    fail: (error: Error | string) => callback(error ?? new Error('handled')),
    succeed: (result: unknown) => callback(null, result),
  };
}

/**
 * Runs the handler to its outcome. A promise-returning handler settles by its promise; a callback handler by
 * its callback. A synchronous handler that neither returns a promise nor takes a callback answers null, which
 * is what Lambda answers once its event loop drains.
 */
function runHandler(handler: Handler, event: unknown, message: InvokeMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback: Callback = (error, result) => {
      if (settled) return;
      settled = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    try {
      const returned = handler(event, createContext(message, callback), callback);
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then === 'function') {
        (returned as PromiseLike<unknown>).then(
          (result) => callback(null, result),
          (error: unknown) => callback(error ?? new Error('Promise rejected without a reason')),
        );
      } else if (handler.length < 3) {
        callback(null, null);
      }
    } catch (error) {
      callback(error ?? new Error('Handler threw without a reason'));
    }
  });
}

function maxMemoryUsedMb(): number {
  return Math.ceil(getHeapStatistics().used_heap_size / (1024 * 1024));
}

/**
 * Like Lambda's runtime, an error nobody handles fails the current invocation and ends the environment
 * (the service terminates the worker on `fatal`; the next invocation gets a fresh one).
 */
function reportFatalErrors(): void {
  process.on('unhandledRejection', (reason) => {
    const error = toFunctionErrorPayload(reason);
    const fatal = {
      errorType: 'Runtime.UnhandledPromiseRejection',
      errorMessage: `${error.errorType}: ${error.errorMessage}`,
      trace: error.trace,
    };
    console.error(`Unhandled Promise Rejection \t${JSON.stringify(fatal)}`);
    send({ type: 'fatal', error: fatal });
  });
  process.on('uncaughtException', (thrown) => {
    const error = toFunctionErrorPayload(thrown);
    console.error(`Uncaught Exception \t${JSON.stringify(error)}`);
    send({ type: 'fatal', error });
  });
}

async function serve(): Promise<void> {
  captureConsole();
  reportFatalErrors();
  const loading = loadHandler(mapStackTraces());
  // Listening first keeps the worker alive whatever happens next: after an init error it must wait for the
  // service to end it, or its exit could overtake the init-error message.
  port?.on('message', (message: ServiceMessage) => {
    if (message.type === 'invoke') {
      loading.then(
        (handler) => invoke(handler, message),
        () => {}, // the service never invokes after an init error
      );
    }
  });
  try {
    await loading;
  } catch (error) {
    send({ type: 'init-error', error: toFunctionErrorPayload(error) });
    return;
  }
  send({ type: 'ready' });
}

async function invoke(handler: Handler, message: InvokeMessage): Promise<void> {
  currentRequestId = message.requestId;
  // The SDK's recursion-detection middleware copies this onto every AWS call the handler makes.
  process.env._X_AMZN_TRACE_ID = message.traceHeader;
  try {
    const event: unknown = JSON.parse(message.payload);
    if (message.reportStart) send({ type: 'started', requestId: message.requestId });
    const result = await runHandler(handler, event, message);
    let payload: string;
    try {
      // JSON.stringify gives undefined for undefined and functions: Lambda answers null then.
      payload = JSON.stringify(result) ?? 'null';
    } catch (error) {
      const failure = toFunctionErrorPayload(error);
      send({
        type: 'result',
        requestId: message.requestId,
        error: {
          ...failure,
          errorType: 'Runtime.MarshalError',
          errorMessage: `Unable to stringify response body: ${failure.errorMessage}`,
        },
        maxMemoryUsedMb: maxMemoryUsedMb(),
      });
      return;
    }
    send({ type: 'result', requestId: message.requestId, payload, maxMemoryUsedMb: maxMemoryUsedMb() });
  } catch (error) {
    console.error(`Invoke Error \t${JSON.stringify(toFunctionErrorPayload(error))}`);
    send({
      type: 'result',
      requestId: message.requestId,
      error: toFunctionErrorPayload(error),
      maxMemoryUsedMb: maxMemoryUsedMb(),
    });
  }
}

void serve();
