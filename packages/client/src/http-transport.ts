import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { BatonProblemError, isProblem } from './errors.js';
import { parseRetryAfter, RetryableFailure, type RetryPolicy, withRetries } from './retry.js';
import {
  asJobView,
  problemToError,
  type SubmitOutcome,
  type Transport,
  toSubmitOutcome,
} from './transport.js';
import type { HttpTarget, OperationDescription } from './types.js';

/** The statuses worth another attempt: throttled, or a gateway / service that could not answer this time. */
const RETRYABLE_STATUSES = new Set([429, 502, 503, 504]);
const OPERATION_FAILED = /\/operation-failed$/;

interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** The AWS region in an execute-api or Function URL host, else undefined. */
export function regionOfUrl(url: URL): string | undefined {
  return /\.(?:execute-api|lambda-url)\.([a-z0-9-]+)\.(?:amazonaws\.com|on\.aws)$/.exec(url.hostname)?.[1];
}

type Signer = (request: {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}) => Promise<Record<string, string>>;

/** A SigV4 signer, loaded only when asked for: an unsigned client never loads the signing code. */
async function createSigner(target: HttpTarget, url: URL): Promise<Signer> {
  const [{ SignatureV4 }, { Sha256 }] = await Promise.all([
    import('@smithy/signature-v4'),
    import('@aws-crypto/sha256-js'),
  ]);
  let credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  if (target.credentials) credentials = target.credentials;
  else {
    const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
    credentials = defaultProvider();
  }
  const region =
    target.region ??
    regionOfUrl(url) ??
    process.env.AWS_REGION ??
    process.env.AWS_DEFAULT_REGION ??
    'us-east-1';
  const service = target.service ?? (/\.lambda-url\./.test(url.hostname) ? 'lambda' : 'execute-api');
  const signer = new SignatureV4({ service, region, credentials, sha256: Sha256 });
  return async ({ method, url: requestUrl, headers, body }) => {
    const query: Record<string, string> = {};
    for (const [key, value] of requestUrl.searchParams) query[key] = value;
    const signed = await signer.sign({
      method,
      protocol: requestUrl.protocol,
      hostname: requestUrl.hostname,
      ...(requestUrl.port !== '' && { port: Number(requestUrl.port) }),
      path: requestUrl.pathname,
      query,
      headers: { ...headers, host: requestUrl.host },
      ...(body !== undefined && { body }),
    });
    const { host: _host, ...rest } = signed.headers;
    return rest;
  };
}

export function createHttpTransport(target: HttpTarget, policy: RetryPolicy): Transport {
  const base = new URL(target.url.endsWith('/') ? target.url : `${target.url}/`);
  let signer: Promise<Signer> | undefined;

  async function send(
    method: 'GET' | 'POST',
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; signal?: AbortSignal | undefined } = {},
  ): Promise<HttpAnswer> {
    const url = new URL(path.replace(/^\//, ''), base);
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...(body !== undefined && { 'content-type': 'application/json' }),
      ...target.headers,
      ...options.headers,
    };
    return withRetries(policy, options.signal, async () => {
      let sent = headers;
      if (target.iam) {
        signer ??= createSigner(target, base);
        // Signed again on every attempt: a signature carries its time.
        sent = await (await signer)({ method, url, headers, ...(body !== undefined && { body }) });
      }
      let response: Response;
      try {
        response = await fetch(url, {
          method,
          headers: sent,
          ...(body !== undefined && { body }),
          ...(options.signal && { signal: options.signal }),
        });
      } catch (error) {
        if (options.signal?.aborted) throw options.signal.reason;
        throw new RetryableFailure(`${method} ${url.pathname} failed: ${describe(error)}`, { cause: error });
      }
      const text = await response.text();
      let parsed: unknown = text;
      if (text !== '') {
        try {
          parsed = JSON.parse(text);
        } catch {
          // Not JSON (a proxy's HTML error page): kept as text for the error message.
        }
      }
      if (response.status >= 400) {
        // A run that failed inside the request is an answer, not a hiccup: asking again gives the same answer.
        const failedRun = isProblem(parsed) && OPERATION_FAILED.test(parsed.type);
        if (RETRYABLE_STATUSES.has(response.status) && !failedRun) {
          const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
          throw new RetryableFailure(`${method} ${url.pathname} answered ${response.status}`, {
            status: response.status,
            ...(retryAfterMs !== undefined && { retryAfterMs }),
          });
        }
        if (isProblem(parsed)) throw problemToError(parsed, operationOf(options.body));
        throw new BatonProblemError({
          type: 'about:blank',
          title: messageOf(parsed) ?? (response.statusText || `HTTP ${response.status}`),
          status: response.status,
          ...(typeof parsed === 'string' && parsed !== '' && { detail: parsed.slice(0, 500) }),
        });
      }
      return { status: response.status, headers: response.headers, body: parsed };
    });
  }

  const jobPath = (jobId: string) => `jobs/${encodeURIComponent(jobId)}`;

  return {
    async submit(request, signal): Promise<SubmitOutcome> {
      const answer = await send('POST', 'jobs', {
        body: { operation: request.operation, input: request.input },
        headers: {
          'idempotency-key': request.clientRequestId,
          ...(request.async && { prefer: 'respond-async' }),
        },
        signal,
      });
      const outcome = toSubmitOutcome(answer.body, parseRetryAfter(answer.headers.get('retry-after')));
      if (outcome) return outcome;
      throw unexpected(answer.body);
    },
    async getJob(jobId, signal) {
      const answer = await send('GET', jobPath(jobId), { signal });
      const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'));
      return { job: asJobView(answer.body), ...(retryAfterMs !== undefined && { retryAfterMs }) };
    },
    async cancelJob(jobId, signal) {
      return asJobView((await send('POST', `${jobPath(jobId)}/cancel`, { signal })).body);
    },
    async listJobs(page, signal) {
      const query = new URLSearchParams();
      if (page.limit !== undefined) query.set('limit', String(page.limit));
      if (page.cursor !== undefined) query.set('cursor', page.cursor);
      const search = query.size > 0 ? `?${query}` : '';
      const body = (await send('GET', `jobs${search}`, { signal })).body as {
        jobs?: unknown[];
        nextCursor?: unknown;
      };
      return {
        jobs: (body.jobs ?? []).map(asJobView),
        ...(typeof body.nextCursor === 'string' && { nextCursor: body.nextCursor }),
      };
    },
    async describeOperations(signal) {
      const body = (await send('GET', 'operations', { signal })).body as {
        operations?: OperationDescription[];
      };
      return body.operations ?? [];
    },
    destroy() {},
  };
}

function operationOf(body: unknown): string | undefined {
  const operation = (body as { operation?: unknown } | undefined)?.operation;
  return typeof operation === 'string' ? operation : undefined;
}

function messageOf(body: unknown): string | undefined {
  const message = (body as { message?: unknown } | null | undefined)?.message;
  return typeof body === 'object' && typeof message === 'string' ? message : undefined;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

export function unexpected(body: unknown): BatonProblemError {
  return new BatonProblemError({
    type: 'about:blank',
    title: 'Unexpected answer',
    status: 502,
    detail: `The service answered something the client does not understand: ${JSON.stringify(body)?.slice(0, 200)}`,
  });
}
