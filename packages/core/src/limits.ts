/**
 * The AWS limits and Baton's own numbers that several packages must agree on, each in one place: the doors, the
 * worker, the reconciler, the service definition, the local emulators and the CDK constructs import them from
 * here (`@baton/core/limits`, a module with no imports) rather than repeating them.
 */

/** API Gateway ends an integration after 29 s with a 504; HTTP APIs cannot raise it (aws-facts: apigateway limits). */
export const API_GATEWAY_INTEGRATION_TIMEOUT_MS = 29_000;

/** An HTTP API gives an integration at most 30 s, and that cannot be raised. */
export const HTTP_API_INTEGRATION_TIMEOUT_MS = 30_000;

/** Request and response payload of a synchronous (RequestResponse) invoke: 6 MB. */
export const SYNC_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/** Payload of an asynchronous (Event) invoke: 1 MB since late 2025. */
export const ASYNC_PAYLOAD_LIMIT_BYTES = 1024 * 1024;

/** API Gateway (REST and HTTP APIs) refuses request payloads over 10 MB with 413. */
export const API_GATEWAY_PAYLOAD_LIMIT_BYTES = 10 * 1024 * 1024;

/** A Function URL passes the request as a synchronous invoke payload, and buffers the response: 6 MB each way. */
export const FUNCTION_URL_PAYLOAD_LIMIT_BYTES = SYNC_PAYLOAD_LIMIT_BYTES;

/** The longest a Lambda function may run: 15 minutes. */
export const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

/** Lambda stops a chain of about 16 invocations (recursive-loop detection) unless the function opts out. */
export const LAMBDA_RECURSION_LIMIT = 16;

/**
 * The first door invocation and Lambda's own async retries are links of the recursion chain too, so by
 * default a job may hop 12 times — up to 3 hours of 15-minute invocations — and stays clear of the detector.
 * Longer jobs raise maxHops *and* opt their function out of loop detection; maxHops is then the only bound.
 */
export const DEFAULT_MAX_HOPS = 12;

/**
 * A lease lasts this long and its runner renews it every third of it; a dead runner's job is claimable again
 * within this time (docs/decisions/0003-hops-attempts-and-leases.md).
 */
export const DEFAULT_LEASE_TTL_MS = 60_000;

/** A correlation id travels in every job-run event and log line: 1 to 256 visible ASCII characters. */
export const CORRELATION_ID_MAX_LENGTH = 256;
const CORRELATION_ID = /^[\x21-\x7e]{1,256}$/;
export const isValidCorrelationId = (value: string): boolean => CORRELATION_ID.test(value);

/**
 * Job ids are 22 characters (randomIds), and a job-run event carries at most 128. A longer id, or one outside
 * visible ASCII, was never issued: it is answered NotFound without a read (DynamoDB refuses keys over 2 KB).
 */
export const MAX_JOB_ID_LENGTH = 128;
const JOB_ID = /^[\x21-\x7e]{1,128}$/;
export const isPlausibleJobId = (value: string): boolean => JOB_ID.test(value);
