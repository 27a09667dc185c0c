import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';

/**
 * A schema as the client needs to see it: only its types. zod 4 schemas carry them in `_zod`, and any Standard
 * Schema in `~standard.types`; reading them structurally keeps zod and @baton/core out of the client's
 * dependencies — a service's registry is only ever used as a type here.
 */
type SchemaInput<S> = S extends { readonly _zod: { readonly input: infer I } }
  ? I
  : S extends { readonly '~standard': { readonly types?: { readonly input: infer I } | undefined } }
    ? I
    : unknown;
type SchemaOutput<S> = S extends { readonly _zod: { readonly output: infer O } }
  ? O
  : S extends { readonly '~standard': { readonly types?: { readonly output: infer O } | undefined } }
    ? O
    : unknown;

/** What a registry (`defineRegistry([...])` of @baton/core) is to the client: operations by name, each with schemas. */
export interface AnyRegistry {
  readonly operations: { readonly [name: string]: { readonly input: unknown; readonly output: unknown } };
}

/** No registry given: any operation name, any input, an `unknown` result (what a CLI or a generic tool uses). */
export interface LooseRegistry {
  readonly operations: { readonly [name: string]: { readonly input: unknown; readonly output: unknown } };
  /** Marks the loose registry apart from a typed one (type-level only). */
  readonly __loose: true;
}

/** The operation names a client of registry R may run. */
export type OpName<R extends AnyRegistry> = R extends LooseRegistry ? string : keyof R['operations'] & string;
/** The input a client sends for operation K of R (the schema's input type: defaults may be left out). */
export type In<R extends AnyRegistry, K extends string> = R extends LooseRegistry
  ? unknown
  : K extends keyof R['operations']
    ? SchemaInput<R['operations'][K]['input']>
    : never;
/** The result a client receives for operation K of R (the schema's output type). */
export type Out<R extends AnyRegistry, K extends string> = R extends LooseRegistry
  ? unknown
  : K extends keyof R['operations']
    ? SchemaOutput<R['operations'][K]['output']>
    : never;

export type Credentials = AwsCredentialIdentity | AwsCredentialIdentityProvider;

export interface InvokeTarget {
  /** A function name, ARN or partial ARN. */
  readonly functionName: string;
  /** A client of your own (its region, credentials, timeouts, retries). Not destroyed by `destroy()`. */
  readonly lambda?: LambdaClient;
  readonly region?: string;
  /** The Lambda API endpoint, e.g. a local Invoke API. */
  readonly endpoint?: string;
  readonly credentials?: Credentials;
  /** Named in the invocation's client context (`custom.caller`): who owns the jobs, as the door decides. */
  readonly caller?: string;
}

export interface HttpTarget {
  /** The door's base URL: a Function URL, an HTTP API, or a REST API with its stage (`…/prod`). */
  readonly url: string;
  /** Sign every request with SigV4 (doors with AWS_IAM auth). Default false. */
  readonly iam?: boolean;
  /** The signing region; default: read from the URL's host, else AWS_REGION / AWS_DEFAULT_REGION, else us-east-1. */
  readonly region?: string;
  /** Default: the AWS SDK's default credential chain. */
  readonly credentials?: Credentials;
  /** The signing service; default from the host: `lambda` for a Function URL, else `execute-api`. */
  readonly service?: 'execute-api' | 'lambda';
  /** Sent with every request (an API key, a tracing header …). */
  readonly headers?: Record<string, string>;
}

export interface SsmTarget {
  /** The parameter a Baton CDK construct publishes, `/baton/<name>/doors/<door>`: a URL or a function name/ARN. */
  readonly name: string;
  readonly region?: string;
  readonly credentials?: Credentials;
  readonly ssm?: SSMClient;
  /** For a URL: sign requests (as HttpTarget.iam). */
  readonly iam?: boolean;
}

export type Target =
  | { readonly invoke: InvokeTarget }
  | { readonly http: HttpTarget }
  | { readonly ssm: SsmTarget };

export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  readonly maxAttempts?: number;
  /** The first backoff's cap; each next one doubles it. Default 200 ms. */
  readonly baseDelayMs?: number;
  /** No backoff waits longer (a Retry-After longer than this is cut to it). Default 10 s. */
  readonly maxDelayMs?: number;
}

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export interface ClientOptions {
  readonly target: Target;
  readonly retry?: RetryOptions;
  /** How the client waits (backoff, polling); replaceable so that tests run on a fake scheduler. */
  readonly sleep?: Sleep;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface JobError {
  readonly type: string;
  readonly message: string;
  readonly retryable: boolean;
  readonly [extension: string]: unknown;
}

/** A job as the service answers it; fields the service adds are kept. */
export interface JobView<O = unknown> {
  readonly id: string;
  readonly operation: string;
  readonly status: JobStatus;
  readonly attempts?: number;
  readonly progress?: { readonly fraction: number; readonly message?: string };
  readonly result?: O;
  readonly error?: JobError;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly cancelRequested?: boolean;
  readonly clientRequestId?: string;
  readonly expiresAt?: string;
  /** The HTTP doors' links: `self`, `cancel`. */
  readonly links?: Readonly<Record<string, string>>;
  readonly [field: string]: unknown;
}

export interface JobProgressUpdate {
  readonly jobId: string;
  readonly status: JobStatus;
  /** 0..1, as the operation last reported it. */
  readonly fraction?: number;
  readonly message?: string;
  /** Since the client started waiting. */
  readonly elapsedMs: number;
  /** Estimated from the fraction and the time it took to get there; absent until there is something to go on. */
  readonly etaMs?: number;
}

export interface OperationDescription {
  readonly name: string;
  readonly description?: string;
  readonly version?: number;
  readonly inputSchema: Record<string, unknown>;
  readonly outputSchema: Record<string, unknown>;
  readonly doors?: readonly string[];
  readonly [field: string]: unknown;
}

export interface RunOptions {
  /**
   * 'sync' (default) asks for the answer; 'async' asks for a job (`Prefer: respond-async` / `meta.async`);
   * 'auto' asks for the answer and waits on the job if the door hands one back.
   */
  readonly mode?: 'sync' | 'async' | 'auto';
  /** Wait for a job the door answered with (202). Default true for 'sync' and 'auto', false for 'async'. */
  readonly wait?: boolean;
  readonly signal?: AbortSignal;
  readonly onProgress?: (update: JobProgressUpdate) => void;
  /** The idempotency key of this run; default a random UUID, kept across every retry. */
  readonly clientRequestId?: string;
  /** The first polling interval while waiting on a job. Default 250 ms. */
  readonly pollIntervalMs?: number;
}

export interface WaitOptions {
  readonly onProgress?: (update: JobProgressUpdate) => void;
  readonly signal?: AbortSignal;
  readonly pollIntervalMs?: number;
}

export interface JobHandle<O> {
  readonly id: string;
  readonly operation?: string;
  get(options?: { signal?: AbortSignal }): Promise<JobView<O>>;
  /** Polls until the job ends: its result, or BatonJobFailedError / BatonJobCancelledError. */
  wait(options?: WaitOptions): Promise<O>;
  cancel(options?: { signal?: AbortSignal }): Promise<JobView<O>>;
}

export interface ListJobsOptions {
  /** The page size asked of the service. */
  readonly limit?: number;
  /** Only jobs in this status (filtered by the client). */
  readonly status?: JobStatus;
  readonly signal?: AbortSignal;
}

export interface BatonClient<R extends AnyRegistry = LooseRegistry> {
  run<K extends OpName<R>>(
    operation: K,
    input: In<R, K>,
    options: RunOptions & { mode: 'async'; wait?: false },
  ): Promise<JobHandle<Out<R, K>>>;
  run<K extends OpName<R>>(operation: K, input: In<R, K>, options?: RunOptions): Promise<Out<R, K>>;
  job<K extends OpName<R>>(operation: K, jobId: string): JobHandle<Out<R, K>>;
  job(jobId: string): JobHandle<unknown>;
  /** The caller's jobs, newest first; pages are fetched as the iteration reaches them. */
  listJobs(options?: ListJobsOptions): AsyncIterableIterator<JobView>;
  describeOperations(options?: { signal?: AbortSignal }): Promise<OperationDescription[]>;
  /** Releases the clients this client made (not a LambdaClient or SSMClient passed in). */
  destroy(): void;
}
