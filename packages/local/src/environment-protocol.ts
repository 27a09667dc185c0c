import type { FunctionErrorPayload } from './errors.js';

/**
 * The messages between the service and an execution environment (a worker thread). Logs travel on the same
 * port as results, so every line an invocation printed arrives before its result and lands in its own log.
 */

/** `workerData` of an environment: what the runtime needs to load the function. */
export interface EnvironmentData {
  bundleFile: string;
  handlerExport: string;
  functionName: string;
  memoryMb: number;
}

export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  /** The event as JSON text (already validated by the service). */
  payload: string;
  traceHeader: string;
  invokedFunctionArn: string;
  /** Epoch milliseconds at which the invocation times out (drives getRemainingTimeInMillis). */
  deadlineMs: number;
  /** Decoded `X-Amz-Client-Context`, if the caller sent one. */
  clientContext?: unknown;
  /**
   * Answer `started` when the handler starts: only fault injection needs to know (a kill timed from then), so
   * other invocations spare the message.
   */
  reportStart?: true;
}

export type ServiceMessage = InvokeMessage;

export type EnvironmentMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: FunctionErrorPayload }
  | { type: 'log'; stream: 'stdout' | 'stderr'; text: string }
  /** The handler is about to be called for this invocation (after the event was parsed). */
  | { type: 'started'; requestId: string }
  /** An uncaught exception or unhandled rejection: the invocation fails and the environment must end. */
  | { type: 'fatal'; error: FunctionErrorPayload }
  | {
      type: 'result';
      requestId: string;
      /** JSON of the handler's return value, or absent when `error` is set. */
      payload?: string;
      error?: FunctionErrorPayload;
      maxMemoryUsedMb: number;
    };
