/**
 * The two kinds of failure the Invoke API has, kept apart because clients treat them differently:
 * - a *service error* (function not found, throttled, payload too large…) is an HTTP error status with
 *   `x-amzn-errortype`; the AWS SDK throws it as a typed exception;
 * - a *function error* (the handler threw, timed out, crashed) is a 200 with `X-Amz-Function-Error: Unhandled`
 *   and the error as the payload; the SDK returns it as `FunctionError`, it does not throw.
 */

export class LambdaServiceError extends Error {
  constructor(
    readonly statusCode: number,
    readonly errorType: string,
    message: string,
    /** Extra members of the JSON body (e.g. `Reason` for throttling). */
    readonly extraBody: Record<string, string> = {},
  ) {
    super(message);
    this.name = errorType;
  }

  /** The body Lambda sends: `{"Type":"User","Message":…}` plus extra members. */
  toBody(): Record<string, string> {
    return { Type: 'User', Message: this.message, ...this.extraBody };
  }
}

export function functionNotFound(arn: string): LambdaServiceError {
  return new LambdaServiceError(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
}

export function concurrencyLimitExceeded(): LambdaServiceError {
  return new LambdaServiceError(429, 'TooManyRequestsException', 'Rate Exceeded.', {
    Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
  });
}

/**
 * 413 RequestEntityTooLargeException, in the words Lambda uses for each invocation type. The SDK has no class
 * for it (its model names RequestTooLargeException): it throws a LambdaServiceException with this name.
 */
export function requestTooLarge(
  sizeBytes: number,
  limitBytes: number,
  invocationType: string,
): LambdaServiceError {
  const message =
    invocationType === 'Event'
      ? `${sizeBytes} byte payload is too large for the Event invocation type (limit ${limitBytes} bytes)`
      : `Request must be smaller than ${limitBytes} bytes for the InvokeFunction operation`;
  return new LambdaServiceError(413, 'RequestEntityTooLargeException', message);
}

export function invalidRequestContent(detail: string): LambdaServiceError {
  return new LambdaServiceError(
    400,
    'InvalidRequestContentException',
    `Could not parse request body into json: ${detail}`,
  );
}

export function recursiveInvocation(): LambdaServiceError {
  return new LambdaServiceError(
    400,
    'RecursiveInvocationException',
    "Lambda has detected your function being invoked in a recursive loop with other AWS resources and stopped your function's invocation.",
  );
}

/**
 * The Invoke API's answer to a signature it refuses (only when it verifies signatures): 403 with the error type
 * AWS's front end uses for each case.
 */
export function signatureRefused(
  problem: 'missing' | 'incomplete' | 'unknown-key' | 'mismatch' | 'expired',
  message: string,
): LambdaServiceError {
  const errorType = {
    missing: 'MissingAuthenticationTokenException',
    incomplete: 'IncompleteSignatureException',
    'unknown-key': 'UnrecognizedClientException',
    mismatch: 'InvalidSignatureException',
    expired: 'InvalidSignatureException',
  }[problem];
  return new LambdaServiceError(403, errorType, message);
}

export function invalidParameter(message: string): LambdaServiceError {
  return new LambdaServiceError(400, 'InvalidParameterValueException', message);
}

export function failedEventNotFound(id: string): LambdaServiceError {
  return new LambdaServiceError(
    404,
    'ResourceNotFoundException',
    `No failed event with id ${id}: it was replayed already, or never failed here (GET /_baton/failed-events lists them).`,
  );
}

export function unknownOperation(method: string, path: string): LambdaServiceError {
  return new LambdaServiceError(404, 'UnknownOperationException', `Unknown operation: ${method} ${path}`);
}

/** The payload of a function error, in the shape Lambda's Node.js runtime produces. */
export interface FunctionErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export function timeoutError(timeoutSeconds: number): FunctionErrorPayload {
  return {
    errorType: 'Sandbox.Timedout',
    errorMessage: `Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
    trace: [],
  };
}

/** What Lambda reports when the runtime process dies under an invocation (crash, kill, out of memory). */
export function runtimeExitError(detail: string): FunctionErrorPayload {
  return { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${detail}`, trace: [] };
}

export function responseTooLargeError(sizeBytes: number, limitBytes: number): FunctionErrorPayload {
  return {
    errorType: 'Function.ResponseSizeTooLarge',
    errorMessage: `Response payload size (${sizeBytes} bytes) exceeded maximum allowed payload size (${limitBytes} bytes).`,
    trace: [],
  };
}

/** Turns anything a handler throws into Lambda's error payload (runs inside the environment, too). */
export function toFunctionErrorPayload(error: unknown): FunctionErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  if (typeof error === 'object' && error !== null) {
    const { name, message } = error as { name?: unknown; message?: unknown };
    return {
      errorType: typeof name === 'string' ? name : 'Error',
      errorMessage: typeof message === 'string' ? message : safeJson(error),
      trace: [],
    };
  }
  return {
    errorType: typeof error === 'string' ? 'string' : 'Error',
    errorMessage: String(error),
    trace: [],
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
