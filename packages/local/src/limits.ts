import { API_GATEWAY_INTEGRATION_TIMEOUT_MS, LAMBDA_RECURSION_LIMIT } from '@baton/core';

/**
 * The numbers Lambda enforces (as AWS documents them: API_Invoke, invocation-async-configuring,
 * invocation-recursion, configuration-timeout), in one place so the emulation and its docs cannot disagree.
 */

/** Request and response payload of a synchronous (RequestResponse) invoke: 6 MB. */
export const SYNC_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Payload of an asynchronous (Event) invoke: 1 MB since late 2025. */
export const ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024;

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
export const MAX_TIMEOUT_SECONDS = 900;
export const DEFAULT_MEMORY_MB = 128;
export const MEMORY_MB = { min: 128, max: 10_240 } as const;

/** Lambda gives a function's init phase 10 seconds. */
export const INIT_TIMEOUT_MS = 10_000;

/** How many environments a function may run at once when it declares no reserved concurrency. */
export const DEFAULT_FUNCTION_CONCURRENCY = 10;

/** API Gateway (REST and HTTP APIs) refuses request payloads over 10 MB with 413. */
export const API_GATEWAY_PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

/** A REST API answers 504 after 29 s by default (Regional APIs can raise it by quota request). */
export const REST_API_INTEGRATION_TIMEOUT_MS = API_GATEWAY_INTEGRATION_TIMEOUT_MS;

/** An HTTP API gives an integration at most 30 s, and that cannot be raised. */
export const HTTP_API_INTEGRATION_TIMEOUT_MS = 30_000;

/** A Function URL passes the request as a synchronous invoke payload, and buffers the response: 6 MB each way. */
export const FUNCTION_URL_PAYLOAD_LIMIT_BYTES = SYNC_PAYLOAD_LIMIT_BYTES;
