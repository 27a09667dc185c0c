import {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS,
  LAMBDA_MAX_TIMEOUT_SECONDS,
  LAMBDA_RECURSION_LIMIT,
} from '@baton/core/limits';

export {
  API_GATEWAY_PAYLOAD_LIMIT_BYTES,
  ASYNC_PAYLOAD_LIMIT_BYTES,
  FUNCTION_URL_PAYLOAD_LIMIT_BYTES,
  HTTP_API_INTEGRATION_TIMEOUT_MS,
  SYNC_PAYLOAD_LIMIT_BYTES,
} from '@baton/core/limits';

/**
 * The numbers Lambda enforces (as AWS documents them: API_Invoke, invocation-async-configuring,
 * invocation-recursion, configuration-timeout), in one place so the emulation and its docs cannot disagree. The
 * ones the service definition and the CDK constructs need too live in @baton/core/limits and are re-exported.
 */

/** `X-Amz-Log-Result` carries the last 4 KB of the invocation's log. */
export const TAIL_LOG_BYTES = 4 * 1024;

/** Lambda stops a chain after about 16 invocations of the same function (recursive loop detection). */
export const RECURSION_LIMIT = LAMBDA_RECURSION_LIMIT;

/** Async retries: Lambda waits about one minute before the first retry and two before the second. */
export const ASYNC_RETRY_BASE_DELAY_MS = 60_000;

export const ASYNC_RETRY_ATTEMPTS = { min: 0, max: 2, default: 2 } as const;
export const ASYNC_EVENT_AGE_SECONDS = { min: 60, max: 21_600, default: 21_600 } as const;

/** Lambda's defaults for a function created without these settings. */
export const DEFAULT_TIMEOUT_SECONDS = 3;
export const MAX_TIMEOUT_SECONDS = LAMBDA_MAX_TIMEOUT_SECONDS;
export const DEFAULT_MEMORY_MB = 128;
export const MEMORY_MB = { min: 128, max: 10_240 } as const;

/** Lambda gives a function's init phase 10 seconds. */
export const INIT_TIMEOUT_MS = 10_000;

/** How many environments a function may run at once when it declares no reserved concurrency. */
export const DEFAULT_FUNCTION_CONCURRENCY = 10;

/** A REST API answers 504 after 29 s by default (Regional APIs can raise it by quota request). */
export const REST_API_INTEGRATION_TIMEOUT_MS = API_GATEWAY_INTEGRATION_TIMEOUT_MS;
