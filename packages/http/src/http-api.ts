import {
  CORRELATION_ID_MAX_LENGTH,
  cancelJob,
  getJob,
  isTerminal,
  isValidCorrelationId,
  type Job,
  listJobs,
  type ServeOutcome,
  type ServeRequestDeps,
  serveRequest,
  toJobView,
  Unauthenticated,
  ValidationError,
} from '@baton/core';
import type * as z from 'zod';
import type { OpenApiInfo } from './openapi.js';
import { parseOperationRequest } from './operation-request.js';
import { parsePrefer } from './prefer.js';
import {
  doorProblem,
  operationFailedProblem,
  PROBLEM_CONTENT_TYPE,
  type Problem,
  toProblem,
} from './problem.js';
import { HTTP_ROUTES, type HttpRouteId, routePattern } from './routes.js';

/** An HTTP request as every HTTP door sees it, whatever event it came in. */
export interface HttpRequest {
  readonly method: string;
  /** The route path, without any stage prefix: `/jobs/abc`. */
  readonly path: string;
  /** What links and `Location` must start with to reach this API from outside (e.g. the REST stage, `/prod`). */
  readonly basePath: string;
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly query: Readonly<Record<string, string | undefined>>;
  readonly body: string | undefined;
  /** The caller identity the front door established (IAM ARN or authorizer principal). */
  readonly owner: string | undefined;
  readonly requestId: string;
  readonly correlationId?: string;
  /**
   * How long this door can wait for a synchronous answer, in milliseconds: a margin under API Gateway's 29 s,
   * or the function's remaining time for a Function URL.
   */
  readonly budgetMs: number;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

export interface HttpApiOptions {
  readonly deps: ServeRequestDeps;
  /** Bodies above this are refused with 413 before parsing. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Called with anything unexpected, before it is answered as a 500. */
  readonly onUnexpectedError?: (error: unknown) => void;
  /**
   * The `info` of the OpenAPI document `GET /openapi.json` serves. Default: the title is the service's name as
   * every Baton function has it (`POWERTOOLS_SERVICE_NAME`), the version 0.0.0.
   */
  readonly openApi?: Partial<OpenApiInfo>;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
const RETRY_AFTER_SECONDS = '2';

type Route = {
  readonly operationId: HttpRouteId;
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: (request: HttpRequest, params: string[]) => Promise<HttpResponse>;
};

/**
 * The HTTP API every HTTP door serves: one route table, routed on the request itself (no framework — see
 * docs/decisions/0004-http-doors-without-a-router-framework.md), bodies validated with zod, and every error
 * answered as problem+json from the one mapping in problem.ts.
 */
export function createHttpApi(options: HttpApiOptions): (request: HttpRequest) => Promise<HttpResponse> {
  const { deps } = options;
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;

  const links = (request: HttpRequest, job: Job) => ({
    self: `${request.basePath}/jobs/${encodeURIComponent(job.id)}`,
    cancel: `${request.basePath}/jobs/${encodeURIComponent(job.id)}/cancel`,
  });
  const jobBody = (request: HttpRequest, job: Job) => ({ ...toJobView(job), links: links(request, job) });
  // The OpenAPI document, built on its first request (it walks every schema) and kept per base path: its
  // server is the API itself, as the caller reached it. Its builder is loaded then too, off the cold start.
  const openApiBodies = new Map<string, string>();
  const openApiBody = async (basePath: string): Promise<string> => {
    let body = openApiBodies.get(basePath);
    if (body === undefined) {
      const { buildOpenApiDocument } = await import('./openapi.js');
      body = JSON.stringify(
        buildOpenApiDocument(deps.registry, {
          title: options.openApi?.title ?? process.env.POWERTOOLS_SERVICE_NAME ?? 'Baton service',
          version: options.openApi?.version ?? '0.0.0',
          servers: options.openApi?.servers ?? [{ url: basePath === '' ? '/' : basePath }],
          ...(options.openApi?.description !== undefined && { description: options.openApi.description }),
        }),
      );
      openApiBodies.set(basePath, body);
    }
    return body;
  };

  // The routes of the one route table (routes.ts), each with its handler.
  const routes: Route[] = [
    {
      ...route('submitJob'),
      handle: async (request) => {
        const text = request.body ?? '';
        // A UTF-16 code unit is at most 3 bytes of UTF-8: most bodies are plainly under the limit, uncounted.
        const size = text.length * 3 <= maxBodyBytes ? 0 : Buffer.byteLength(text, 'utf8');
        if (size > maxBodyBytes) {
          return problemResponse(
            doorProblem(
              'payload-too-large',
              'Payload too large',
              413,
              `The body is ${size} bytes; the limit is ${maxBodyBytes}.`,
              instanceOf(request),
            ),
          );
        }
        const body = parseJsonBody(request);
        if ('problem' in body) return problemResponse(body.problem);
        const parsed = parseOperationRequest(body.value);
        if (!parsed.success) throw validationError(parsed.error);
        const { operation, input, meta } = parsed.data;

        const prefer = parsePrefer(request.headers.prefer);
        const applied: string[] = [];
        const idempotencyKey = request.headers['idempotency-key']?.replace(/^"(.*)"$/, '$1');
        if (
          idempotencyKey !== undefined &&
          meta?.clientRequestId !== undefined &&
          idempotencyKey !== meta.clientRequestId
        ) {
          throw new ValidationError('Idempotency-Key and meta.clientRequestId differ.', [
            {
              path: ['meta', 'clientRequestId'],
              message: 'Must equal the Idempotency-Key header when both are given.',
              code: 'custom',
            },
          ]);
        }
        const async = meta?.async === true || prefer.respondAsync;
        if (prefer.respondAsync) applied.push('respond-async');
        let budgetMs = request.budgetMs;
        if (!async && prefer.waitSeconds !== undefined) {
          budgetMs = Math.min(budgetMs, prefer.waitSeconds * 1000);
          applied.push(`wait=${prefer.waitSeconds}`);
        }
        const clientRequestId = meta?.clientRequestId ?? idempotencyKey;
        const outcome = await serveRequest(deps, {
          owner: requireOwner(request),
          operation,
          input: input ?? {},
          async,
          budgetMs,
          ...(clientRequestId !== undefined && { clientRequestId }),
          ...(request.correlationId !== undefined && { correlationId: request.correlationId }),
        });
        const response = outcomeResponse(request, outcome);
        return applied.length > 0
          ? { ...response, headers: { ...response.headers, 'preference-applied': applied.join(', ') } }
          : response;
      },
    },
    {
      ...route('listJobs'),
      handle: async (request) => {
        const limitText = request.query.limit;
        const limit =
          limitText === undefined ? undefined : /^\d{1,4}$/.test(limitText) ? Number(limitText) : Number.NaN;
        const page = await listJobs(deps, {
          owner: requireOwner(request),
          ...(limit !== undefined && { limit }),
          ...(request.query.cursor !== undefined && { cursor: request.query.cursor }),
        });
        const next = page.nextCursor
          ? `${request.basePath}/jobs?${new URLSearchParams({ ...(limitText && { limit: limitText }), cursor: page.nextCursor })}`
          : undefined;
        return json(200, {
          jobs: page.jobs.map((job) => jobBody(request, job)),
          ...(page.nextCursor !== undefined && { nextCursor: page.nextCursor }),
          links: { self: `${request.basePath}/jobs`, ...(next !== undefined && { next }) },
        });
      },
    },
    {
      ...route('getJob'),
      handle: async (request, [id = '']) => {
        const jobId = decodePathSegment(request, id);
        if (typeof jobId !== 'string') return problemResponse(jobId.problem);
        // `?history=1`: the job's transitions too (the last 50); without it the body is as it always was.
        const history = request.query.history === '1' || request.query.history === 'true';
        const job = await getJob(deps, { owner: requireOwner(request), jobId, history });
        return json(
          200,
          { ...jobBody(request, job), ...(history && { history: job.history ?? [] }) },
          isTerminal(job.status) ? {} : { 'retry-after': RETRY_AFTER_SECONDS },
        );
      },
    },
    {
      ...route('cancelJob'),
      handle: async (request, [id = '']) => {
        const jobId = decodePathSegment(request, id);
        if (typeof jobId !== 'string') return problemResponse(jobId.problem);
        const job = await cancelJob(deps, { owner: requireOwner(request), jobId });
        // A running job stops when its operation notices: the cancel is accepted, not yet done.
        return json(job.status === 'cancelled' ? 200 : 202, jobBody(request, job));
      },
    },
    {
      ...route('listOperations'),
      handle: async (request) => {
        requireOwner(request);
        return json(200, { operations: deps.registry.describe() });
      },
    },
    {
      ...route('getOpenApiDocument'),
      handle: async (request) => {
        requireOwner(request);
        return {
          statusCode: 200,
          headers: { 'content-type': JSON_CONTENT_TYPE },
          body: await openApiBody(request.basePath),
        };
      },
    },
  ];
  for (const { operationId } of HTTP_ROUTES) {
    if (!routes.some((handled) => handled.operationId === operationId)) {
      throw new TypeError(`The route table's ${operationId} has no handler.`);
    }
  }

  function outcomeResponse(request: HttpRequest, outcome: ServeOutcome): HttpResponse {
    switch (outcome.kind) {
      case 'completed':
        return json(200, {
          status: 'succeeded',
          result: outcome.output,
          ...(outcome.job && { jobId: outcome.job.id, links: links(request, outcome.job) }),
        });
      case 'failed':
        return problemResponse(operationFailedProblem(outcome.error, instanceOf(request), outcome.job?.id));
      case 'accepted': {
        const jobLinks = links(request, outcome.job);
        return json(
          202,
          { jobId: outcome.job.id, status: outcome.job.status, links: jobLinks },
          { location: jobLinks.self, 'retry-after': RETRY_AFTER_SECONDS },
        );
      }
    }
  }

  return async function handleHttpRequest(request: HttpRequest): Promise<HttpResponse> {
    try {
      checkCorrelationId(request);
      const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
      const method = request.method.toUpperCase();
      const matching: { route: Route; match: RegExpExecArray }[] = [];
      for (const route of routes) {
        const match = route.pattern.exec(path);
        if (match === null) continue;
        // The common case: the first route that matches takes the method.
        if (route.method === method) return await route.handle(request, match.slice(1));
        matching.push({ route, match });
      }
      if (matching.length === 0) {
        return problemResponse(
          doorProblem(
            'not-found',
            'Not found',
            404,
            `No route for ${request.method} ${request.path}.`,
            instanceOf(request),
          ),
        );
      }
      const allow = matching.map((candidate) => candidate.route.method).join(', ');
      return {
        ...problemResponse(
          doorProblem(
            'method-not-allowed',
            'Method not allowed',
            405,
            `${request.path} accepts ${allow}.`,
            instanceOf(request),
          ),
        ),
        headers: { 'content-type': PROBLEM_CONTENT_TYPE, allow },
      };
    } catch (error) {
      const problem = toProblem(error, instanceOf(request));
      if (problem.status >= 500) options.onUnexpectedError?.(error);
      return problemResponse(problem);
    }
  };
}

/** A route of the route table, its template compiled once, when the API is made. */
function route(operationId: HttpRouteId): Pick<Route, 'operationId' | 'method' | 'pattern'> {
  const found = HTTP_ROUTES.find((candidate) => candidate.operationId === operationId);
  if (found === undefined) throw new TypeError(`No route ${operationId}.`);
  return { operationId, method: found.method, pattern: routePattern(found.path) };
}

const instanceOf = (request: HttpRequest) => `${request.basePath}${request.path}#${request.requestId}`;

function requireOwner(request: HttpRequest): string {
  if (!request.owner)
    throw new Unauthenticated('The request carries no caller identity: sign it (AWS SigV4).');
  return request.owner;
}

/**
 * `X-Correlation-Id` travels in every job-run event and log line, and the worker drops a job-run event whose
 * correlation id is not 1 to 256 visible ASCII characters — the job would stay queued for ever. So a header
 * that is present but not such an id is refused here, before anything is stored; an absent one is fine (the
 * door uses its request id).
 */
function checkCorrelationId(request: HttpRequest): void {
  const header = request.headers['x-correlation-id'];
  if (header === undefined || isValidCorrelationId(header)) return;
  const [message, code] =
    header.length === 0
      ? ['Must not be empty.', 'too_small']
      : header.length > CORRELATION_ID_MAX_LENGTH
        ? [`Must be at most ${CORRELATION_ID_MAX_LENGTH} characters; it has ${header.length}.`, 'too_big']
        : ['Must be visible ASCII characters only (no spaces or control characters).', 'invalid_format'];
  throw new ValidationError(
    `X-Correlation-Id must be 1 to ${CORRELATION_ID_MAX_LENGTH} visible ASCII characters.`,
    [{ path: ['headers', 'x-correlation-id'], message, code }],
  );
}

/** A path segment, percent-decoded; a malformed escape (`%ZZ`, a truncated UTF-8 sequence) is a 400. */
function decodePathSegment(request: HttpRequest, segment: string): string | { problem: Problem } {
  try {
    return decodeURIComponent(segment);
  } catch {
    return {
      problem: doorProblem(
        'malformed-path',
        'The path is not valid',
        400,
        `The path segment '${segment}' has a malformed percent-escape; escape '%' itself as %25.`,
        instanceOf(request),
        { errors: [{ pointer: '/path', detail: 'Malformed percent-escape.', code: 'invalid_format' }] },
      ),
    };
  }
}

function parseJsonBody(request: HttpRequest): { value: unknown } | { problem: Problem } {
  const text = request.body ?? '';
  if (text.trim() === '') {
    return {
      problem: doorProblem(
        'malformed-json',
        'The body is not JSON',
        400,
        'The request has no body; send a JSON object.',
        instanceOf(request),
        {
          errors: [{ pointer: '', detail: 'Empty body.', code: 'invalid_json' }],
        },
      ),
    };
  }
  try {
    return { value: JSON.parse(text) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return {
      problem: doorProblem(
        'malformed-json',
        'The body is not JSON',
        400,
        `The body could not be parsed as JSON: ${detail}`,
        instanceOf(request),
        {
          errors: [{ pointer: '', detail, code: 'invalid_json' }],
        },
      ),
    };
  }
}

function validationError(error: z.ZodError): ValidationError {
  return new ValidationError(
    'The request body does not match { operation, input, meta?: { async?, clientRequestId? } }.',
    error.issues.map((issue) => ({
      path: issue.path.map((segment) => (typeof segment === 'symbol' ? String(segment) : segment)),
      message: issue.message,
      code: issue.code,
    })),
  );
}

function json(statusCode: number, body: unknown, headers?: Record<string, string>): HttpResponse {
  return {
    statusCode,
    headers:
      headers === undefined
        ? { 'content-type': JSON_CONTENT_TYPE }
        : { 'content-type': JSON_CONTENT_TYPE, ...headers },
    body: JSON.stringify(body),
  };
}

function problemResponse(problem: Problem): HttpResponse {
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE },
    body: JSON.stringify(problem),
  };
}
