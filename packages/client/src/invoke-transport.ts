import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BatonFunctionError, BatonTransportError, isProblem } from './errors.js';
import { unexpected } from './http-transport.js';
import { RetryableFailure, type RetryPolicy, withRetries } from './retry.js';
import {
  asJobView,
  problemToError,
  type SubmitOutcome,
  type Transport,
  toSubmitOutcome,
} from './transport.js';
import type { InvokeTarget, OperationDescription } from './types.js';

/**
 * Longer than any invocation can run (Lambda's 15 minutes) plus a margin: a synchronous Invoke is never cut
 * short by the client, since a cut-short Invoke retried by the SDK is how the work runs twice (seed 002).
 */
export const DEFAULT_INVOKE_TIMEOUT_MS = 15 * 60_000 + 60_000;

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const RETRYABLE_NAMES = new Set([
  'TooManyRequestsException',
  'ThrottlingException',
  'ServiceException',
  'EC2ThrottledException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);
const OPERATION_FAILED = /\/operation-failed$/;

interface SdkError {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

const statusOf = (error: unknown) => (error as SdkError | undefined)?.$metadata?.httpStatusCode;

/** The answer may be lost but the request may have arrived: the run may be under way. */
function isTimeout(error: unknown): boolean {
  const { name, code } = (error ?? {}) as SdkError;
  return name === 'TimeoutError' || name === 'RequestTimeout' || code === 'ETIMEDOUT';
}

function isRetryable(error: unknown): boolean {
  const candidate = (error ?? {}) as SdkError;
  const status = statusOf(error);
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) return false;
  return (
    (candidate.name !== undefined && RETRYABLE_NAMES.has(candidate.name)) ||
    (candidate.code !== undefined && NETWORK_CODES.has(candidate.code)) ||
    candidate.$retryable !== undefined ||
    (status !== undefined && RETRYABLE_STATUSES.has(status))
  );
}

/**
 * A Lambda client that waits as long as a function can run. In this SDK a NodeHttpHandler's requestTimeout only
 * logs a warning unless `throwOnRequestTimeout` is set, so both are; and the client makes one attempt, since
 * retries (with backoff, and kept safe by the clientRequestId) are this package's.
 */
function defaultLambdaClient(target: InvokeTarget): LambdaClient {
  const region =
    target.region ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    (target.endpoint && 'us-east-1');
  return new LambdaClient({
    ...(region && { region }),
    ...(target.endpoint !== undefined && { endpoint: target.endpoint }),
    ...(target.credentials !== undefined && { credentials: target.credentials }),
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler({
      requestTimeout: DEFAULT_INVOKE_TIMEOUT_MS,
      throwOnRequestTimeout: true,
      socketTimeout: DEFAULT_INVOKE_TIMEOUT_MS,
    }),
  });
}

export function createInvokeTransport(target: InvokeTarget, policy: RetryPolicy): Transport {
  const lambda = target.lambda ?? defaultLambdaClient(target);
  const owned = target.lambda === undefined;
  const clientContext =
    target.caller === undefined
      ? undefined
      : Buffer.from(JSON.stringify({ custom: { caller: target.caller } })).toString('base64');
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();

  /**
   * One Invoke with retries. `lostAnswerIsFinal`: for a synchronous run, a timed-out Invoke is not retried
   * here — another sync Invoke would only join the run and wait again; the caller asks for the job instead.
   */
  function invoke(
    payload: Record<string, unknown>,
    signal: AbortSignal | undefined,
    lostAnswerIsFinal = false,
  ): Promise<unknown> {
    return withRetries(policy, signal, async (attempt) => {
      let output: InvokeCommandOutput;
      try {
        output = await lambda.send(
          new InvokeCommand({
            FunctionName: target.functionName,
            Payload: encoder.encode(JSON.stringify(payload)),
            ...(clientContext !== undefined && { ClientContext: clientContext }),
          }),
          signal ? { abortSignal: signal } : {},
        );
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const status = statusOf(error);
        const message = `Invoke ${target.functionName} failed: ${(error as Error)?.message ?? String(error)}`;
        if (lostAnswerIsFinal && isTimeout(error))
          throw new BatonTransportError(message, { cause: error, attempts: attempt });
        if (isRetryable(error))
          throw new RetryableFailure(message, { cause: error, ...(status !== undefined && { status }) });
        throw new BatonTransportError(message, {
          cause: error,
          attempts: attempt,
          ...(status !== undefined && { status }),
        });
      }
      const text = output.Payload ? decoder.decode(output.Payload) : '';
      let body: unknown;
      try {
        body = text === '' ? undefined : JSON.parse(text);
      } catch {
        body = text;
      }
      if (output.FunctionError) throw new BatonFunctionError(output.FunctionError, body);
      if (isProblem(body)) {
        if (RETRYABLE_STATUSES.has(body.status) && body.status !== 500 && !OPERATION_FAILED.test(body.type))
          throw new RetryableFailure(`Invoke ${target.functionName} answered ${body.status}`, {
            status: body.status,
          });
        throw problemToError(body, typeof payload.operation === 'string' ? payload.operation : undefined);
      }
      return body;
    });
  }

  return {
    async submit(request, signal): Promise<SubmitOutcome> {
      const body = await invoke(
        {
          operation: request.operation,
          input: request.input,
          meta: { clientRequestId: request.clientRequestId, ...(request.async && { async: true }) },
        },
        signal,
        !request.async,
      );
      const outcome = toSubmitOutcome(body);
      if (outcome) return outcome;
      throw unexpected(body);
    },
    async getJob(jobId, signal) {
      return { job: asJobView(await invoke({ action: 'getJob', v: 1, jobId }, signal)) };
    },
    async cancelJob(jobId, signal) {
      return asJobView(await invoke({ action: 'cancelJob', v: 1, jobId }, signal));
    },
    async listJobs(page, signal) {
      const body = (await invoke(
        {
          action: 'listJobs',
          v: 1,
          ...(page.limit !== undefined && { limit: page.limit }),
          ...(page.cursor !== undefined && { cursor: page.cursor }),
        },
        signal,
      )) as { jobs?: unknown[]; nextCursor?: unknown };
      return {
        jobs: (body?.jobs ?? []).map(asJobView),
        ...(typeof body?.nextCursor === 'string' && { nextCursor: body.nextCursor }),
      };
    },
    async describeOperations(signal) {
      const body = (await invoke({ action: 'describeOperations', v: 1 }, signal)) as {
        operations?: OperationDescription[];
      };
      return body?.operations ?? [];
    },
    destroy() {
      if (owned) lambda.destroy();
    },
  };
}
