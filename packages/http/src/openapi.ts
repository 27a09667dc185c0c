import {
  CORRELATION_ID_MAX_LENGTH,
  DEFAULT_PAGE_SIZE,
  JOB_STATUSES,
  MAX_JOB_ID_LENGTH,
  MAX_PAGE_SIZE,
  type OperationDescription,
  type Registry,
} from '@baton/core';
import { HTTP_ROUTES, type HttpRouteId, routeParameters } from './routes.js';

/** What a document says of itself: its title and version, and where the API is. */
export interface OpenApiInfo {
  readonly title: string;
  readonly version: string;
  readonly description?: string;
  readonly servers?: readonly { readonly url: string; readonly description?: string }[];
}

type JsonObject = { [key: string]: unknown };

/** An OpenAPI 3.1 document, as plain JSON. */
export interface OpenApiDocument extends JsonObject {
  readonly openapi: '3.1.0';
  readonly info: JsonObject;
  readonly paths: JsonObject;
  readonly components: JsonObject;
}

const OPENAPI_VERSION = '3.1.0';
const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const JSON_CONTENT_TYPE = 'application/json';
const SECURITY = [{ sigv4: [] }];
const ref = (kind: 'schemas' | 'parameters' | 'responses' | 'headers', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});
const schemaRef = (name: string) => ref('schemas', name);

/**
 * The OpenAPI 3.1 document of the HTTP API every HTTP door serves: the paths of the route table (routes.ts),
 * each operation's input and output as the JSON Schema zod gives (`registry.describe()`), the job, the job list,
 * the problem+json errors, the headers the doors read and answer, and IAM (SigV4) on every route. The same
 * registry always gives the same document, byte for byte, so that a committed copy can be compared with it.
 */
export function buildOpenApiDocument(
  registry: Pick<Registry, 'describe'>,
  info: OpenApiInfo,
): OpenApiDocument {
  const operations = [...registry.describe()].sort((a, b) => compare(a.name, b.name));
  const schemas: JsonObject = BASE_SCHEMAS();
  const requests: { name: string; component: string }[] = [];
  const completions: string[] = [];
  const taken = new Set([...Object.keys(schemas), 'SubmitJobRequest', 'SubmitJobCompleted']);
  for (const operation of operations) {
    const base = uniqueName(componentName(operation.name), taken, OPERATION_SUFFIXES);
    const input = hoist(operation.inputSchema, `${base}Input`, schemas, taken);
    const output = hoist(operation.outputSchema, `${base}Output`, schemas, taken);
    schemas[`${base}Request`] = {
      type: 'object',
      description: `Runs '${operation.name}' (version ${operation.version}): ${operation.description}`,
      properties: {
        operation: { type: 'string', const: operation.name },
        input: schemaRef(input),
        meta: schemaRef('RequestMeta'),
      },
      required: ['operation'],
      additionalProperties: false,
    };
    schemas[`${base}Completed`] = {
      type: 'object',
      description: `'${operation.name}' finished within the budget: its result.`,
      properties: {
        status: { type: 'string', const: 'succeeded' },
        result: schemaRef(output),
        jobId: { type: 'string', description: 'The job, when the run was stored as one.' },
        links: schemaRef('JobLinks'),
      },
      required: ['status', 'result'],
    };
    requests.push({ name: operation.name, component: `${base}Request` });
    completions.push(`${base}Completed`);
  }
  schemas.SubmitJobRequest = {
    description: 'An operation request: the operation, its input, and how to run it.',
    oneOf: requests.map((request) => schemaRef(request.component)),
    discriminator: {
      propertyName: 'operation',
      mapping: Object.fromEntries(
        requests.map((request) => [request.name, `#/components/schemas/${request.component}`]),
      ),
    },
  };
  schemas.SubmitJobCompleted = {
    description: "The operation's result, when it finished within the budget.",
    oneOf: completions.map(schemaRef),
  };

  const paths: JsonObject = {};
  const operationsByRoute = OPERATIONS();
  for (const route of HTTP_ROUTES) {
    const operation = {
      operationId: route.operationId,
      summary: route.summary,
      tags: [TAGS[route.operationId]],
      ...operationsByRoute[route.operationId],
      security: SECURITY,
    };
    const parameters = routeParameters(route.path);
    if (parameters.length > 0 && parameters.some((name) => name !== 'id')) {
      throw new TypeError(`${route.path}: only {id} is described.`);
    }
    for (const response of Object.values((operation as { responses?: JsonObject }).responses ?? {})) {
      withCorrelationHeader(response);
    }
    const item = (paths[route.path] ?? {}) as JsonObject;
    item[route.method.toLowerCase()] = operation;
    paths[route.path] = item;
  }

  return {
    openapi: OPENAPI_VERSION,
    info: {
      title: info.title,
      version: info.version,
      description:
        info.description ??
        'Every HTTP door of this Baton service (API Gateway REST API and HTTP API, Function URL) serves this API. ' +
          'A request runs its operation within the door’s budget and answers with the result, or — asked for with ' +
          '`Prefer: respond-async`, or out of time — answers 202 with a job to poll. Every error is RFC 9457 ' +
          'problem+json with JSON pointers to the bad fields. Requests are signed with AWS SigV4.',
    },
    ...(info.servers !== undefined && { servers: info.servers.map((server) => ({ ...server })) }),
    security: SECURITY,
    tags: [
      { name: 'jobs', description: 'Run operations and follow the jobs they become.' },
      { name: 'service', description: 'What this service offers.' },
    ],
    paths,
    components: {
      schemas: sortKeys(schemas),
      parameters: PARAMETERS(),
      headers: HEADERS(),
      responses: RESPONSES(),
      securitySchemes: {
        sigv4: {
          type: 'apiKey',
          name: 'Authorization',
          in: 'header',
          description:
            'AWS Signature Version 4 (IAM): sign each request for the service `execute-api` (API Gateway) or ' +
            '`lambda` (Function URL). The signing identity owns the jobs it submits.',
          'x-amazon-apigateway-authtype': 'awsSigv4',
        },
      },
    },
  };
}

const TAGS: Record<HttpRouteId, string> = {
  submitJob: 'jobs',
  listJobs: 'jobs',
  getJob: 'jobs',
  cancelJob: 'jobs',
  listOperations: 'service',
  getOpenApiDocument: 'service',
};

/** Every answer of a door carries the request's correlation id (serve-http-event.ts); a `$ref` has it already. */
function withCorrelationHeader(response: unknown): void {
  const target = response as { $ref?: string; headers?: JsonObject };
  if (target.$ref !== undefined) return;
  target.headers = { ...target.headers, 'X-Correlation-Id': ref('headers', 'CorrelationId') };
}

const jsonContent = (schema: unknown) => ({ [JSON_CONTENT_TYPE]: { schema } });
const problems = (...statuses: ProblemStatus[]) =>
  Object.fromEntries(
    statuses.map((status) => [String(status), ref('responses', PROBLEM_RESPONSES[status].name)]),
  );

/** Each route's parameters, body and answers, by its name in the route table. */
const OPERATIONS = (): Record<HttpRouteId, JsonObject> => ({
  submitJob: {
    description:
      'Runs the operation and answers 200 with its result when it finishes within the budget (the door’s ' +
      'time, or `Prefer: wait=N`). Asked for with `Prefer: respond-async` or `meta.async`, or still running when ' +
      'the budget is spent, it answers 202 with the job, its `Location` and `Retry-After`. The same ' +
      '`Idempotency-Key` (or `meta.clientRequestId`) with the same request never runs the work twice.',
    parameters: [
      ref('parameters', 'Prefer'),
      ref('parameters', 'IdempotencyKey'),
      ref('parameters', 'CorrelationId'),
    ],
    requestBody: { required: true, content: jsonContent(schemaRef('SubmitJobRequest')) },
    responses: {
      '200': {
        description: 'The operation finished within the budget.',
        headers: { 'Preference-Applied': ref('headers', 'PreferenceApplied') },
        content: jsonContent(schemaRef('SubmitJobCompleted')),
      },
      '202': {
        description: 'Accepted as a job: poll its `Location`.',
        headers: {
          Location: ref('headers', 'Location'),
          'Retry-After': ref('headers', 'RetryAfter'),
          'Preference-Applied': ref('headers', 'PreferenceApplied'),
        },
        content: jsonContent(schemaRef('JobAccepted')),
      },
      ...problems(400, 401, 403, 409, 413, 422, 429, 500, 503),
    },
  },
  listJobs: {
    description:
      "The caller's jobs, newest first, a page at a time: follow `links.next` (or pass `nextCursor`).",
    parameters: [ref('parameters', 'Limit'), ref('parameters', 'Cursor'), ref('parameters', 'CorrelationId')],
    responses: {
      '200': { description: 'A page of jobs.', content: jsonContent(schemaRef('JobList')) },
      ...problems(400, 401, 403, 429, 500),
    },
  },
  getJob: {
    description:
      'The job: its status, progress, and its result or error once it has ended. Another owner’s job is 404.',
    parameters: [
      ref('parameters', 'JobId'),
      ref('parameters', 'History'),
      ref('parameters', 'CorrelationId'),
    ],
    responses: {
      '200': {
        description: 'The job. While it is unfinished, `Retry-After` says when to ask again.',
        headers: { 'Retry-After': ref('headers', 'RetryAfter') },
        content: jsonContent(schemaRef('Job')),
      },
      ...problems(400, 401, 403, 404, 429, 500),
    },
  },
  cancelJob: {
    description:
      'Cancels the job: a queued job is cancelled at once (200); a running one is asked to stop (202, ' +
      '`cancelRequested`) and ends cancelled when its operation notices.',
    parameters: [ref('parameters', 'JobId'), ref('parameters', 'CorrelationId')],
    responses: {
      '200': { description: 'The job, cancelled.', content: jsonContent(schemaRef('Job')) },
      '202': { description: 'The job, asked to stop.', content: jsonContent(schemaRef('Job')) },
      ...problems(400, 401, 403, 404, 409, 429, 500),
    },
  },
  listOperations: {
    description: 'The operations this service runs: names, descriptions, policies and JSON Schemas.',
    parameters: [ref('parameters', 'CorrelationId')],
    responses: {
      '200': { description: 'The operations.', content: jsonContent(schemaRef('OperationList')) },
      ...problems(400, 401, 403, 429, 500),
    },
  },
  getOpenApiDocument: {
    description: 'This document.',
    parameters: [ref('parameters', 'CorrelationId')],
    responses: {
      '200': {
        description: 'The OpenAPI 3.1 document of this service.',
        content: jsonContent({ type: 'object', additionalProperties: true }),
      },
      ...problems(400, 401, 403, 429, 500),
    },
  },
});

type ProblemStatus = 400 | 401 | 403 | 404 | 409 | 413 | 422 | 429 | 500 | 503;
const PROBLEM_RESPONSES: Record<ProblemStatus, { name: string; description: string }> = {
  400: {
    name: 'BadRequest',
    description:
      'The request is not valid (a body that is not JSON, an input its schema refuses, an unknown operation).',
  },
  401: { name: 'Unauthenticated', description: 'The request carries no caller identity.' },
  403: {
    name: 'Forbidden',
    description: 'The signature is missing, wrong or expired, or the caller may not call the API.',
  },
  404: { name: 'NotFound', description: 'No such job for this caller.' },
  409: { name: 'Conflict', description: 'The job cannot make that change now.' },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than the door takes.' },
  422: {
    name: 'Unprocessable',
    description:
      'The operation failed and retrying cannot help, or an Idempotency-Key was reused with another request.',
  },
  429: {
    name: 'TooManyRequests',
    description: 'Throttled: try again after `Retry-After`.',
  },
  500: { name: 'InternalError', description: 'The request failed unexpectedly.' },
  503: {
    name: 'Unavailable',
    description: 'The operation failed and may succeed if retried, or the job could not be started.',
  },
};

const RESPONSES = (): JsonObject =>
  sortKeys(
    Object.fromEntries(
      Object.entries(PROBLEM_RESPONSES).map(([status, { name, description }]) => [
        name,
        {
          description,
          headers: {
            ...(status === '429' && { 'Retry-After': ref('headers', 'RetryAfter') }),
            'X-Correlation-Id': ref('headers', 'CorrelationId'),
          },
          content: { [PROBLEM_CONTENT_TYPE]: { schema: schemaRef('Problem') } },
        },
      ]),
    ),
  );

const PARAMETERS = (): JsonObject => ({
  CorrelationId: {
    name: 'X-Correlation-Id',
    in: 'header',
    required: false,
    description:
      'Carried through every log line and job-run event of the request; the door’s request id when absent.',
    schema: {
      type: 'string',
      minLength: 1,
      maxLength: CORRELATION_ID_MAX_LENGTH,
      pattern: '^[\\x21-\\x7e]+$',
    },
  },
  Cursor: {
    name: 'cursor',
    in: 'query',
    required: false,
    description: 'Where the page starts: the `nextCursor` of the page before.',
    schema: { type: 'string' },
  },
  History: {
    name: 'history',
    in: 'query',
    required: false,
    description: 'With `1`, the job comes with its history (its last 50 transitions).',
    schema: { type: 'string', enum: ['1', 'true'] },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'The same key (for the same caller) with the same request returns the same job instead of running the work ' +
      'again; with another request it is 422. Equals `meta.clientRequestId` when both are given.',
    schema: { type: 'string', minLength: 1, maxLength: 128 },
  },
  JobId: {
    name: 'id',
    in: 'path',
    required: true,
    description: 'The job id.',
    schema: { type: 'string', minLength: 1, maxLength: MAX_JOB_ID_LENGTH },
  },
  Limit: {
    name: 'limit',
    in: 'query',
    required: false,
    description: 'At most this many jobs.',
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE },
  },
  Prefer: {
    name: 'Prefer',
    in: 'header',
    required: false,
    description:
      'RFC 7240: `respond-async` answers 202 with the job at once; `wait=N` waits at most N seconds for the result ' +
      'before answering 202. What was honoured is in `Preference-Applied`.',
    schema: { type: 'string' },
    examples: { async: { value: 'respond-async' }, wait: { value: 'wait=10' } },
  },
});

const HEADERS = (): JsonObject => ({
  CorrelationId: {
    description:
      'The request’s correlation id: the `X-Correlation-Id` it was sent with, else the door’s request id.',
    schema: { type: 'string' },
  },
  Location: { description: 'The job’s URL.', schema: { type: 'string' } },
  PreferenceApplied: {
    description: 'The `Prefer` preferences honoured (RFC 7240).',
    schema: { type: 'string' },
  },
  RetryAfter: {
    description: 'Seconds to wait before asking again.',
    schema: { type: 'integer', minimum: 0 },
  },
});

const BASE_SCHEMAS = (): JsonObject => ({
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details.',
    properties: {
      type: { type: 'string', format: 'uri' },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      errors: {
        type: 'array',
        description:
          'Each bad field: a JSON Pointer (RFC 6901) into the body (`/input/name`), or `/headers/<name>` or `/path`.',
        items: {
          type: 'object',
          properties: {
            pointer: { type: 'string' },
            detail: { type: 'string' },
            code: { type: 'string' },
          },
          required: ['pointer', 'detail', 'code'],
        },
      },
      knownOperations: {
        type: 'array',
        items: { type: 'string' },
        description: 'For an unknown operation: the operations there are.',
      },
      error: schemaRef('JobError'),
      jobId: { type: 'string', description: 'For a failed operation: its job, when it was stored as one.' },
    },
    required: ['type', 'title', 'status', 'detail', 'instance'],
  },
  RequestMeta: {
    type: 'object',
    description: 'How to run the request.',
    properties: {
      async: { type: 'boolean', description: 'Answer 202 with the job at once, as `Prefer: respond-async`.' },
      clientRequestId: {
        type: 'string',
        minLength: 1,
        maxLength: 128,
        description: 'An idempotency key, as the `Idempotency-Key` header.',
      },
    },
    additionalProperties: false,
  },
  JobStatus: { type: 'string', enum: [...JOB_STATUSES] },
  JobProgress: {
    type: 'object',
    properties: {
      fraction: { type: 'number', minimum: 0, maximum: 1 },
      message: { type: 'string' },
    },
    required: ['fraction'],
  },
  JobError: {
    type: 'object',
    description: 'Why a job failed; `retryable` says whether submitting it again may help.',
    properties: {
      type: { type: 'string' },
      message: { type: 'string' },
      retryable: { type: 'boolean' },
    },
    required: ['type', 'message', 'retryable'],
  },
  JobLinks: {
    type: 'object',
    properties: { self: { type: 'string' }, cancel: { type: 'string' } },
    required: ['self', 'cancel'],
  },
  JobHistoryEntry: {
    type: 'object',
    properties: {
      at: { type: 'string', format: 'date-time' },
      event: { type: 'string' },
      status: schemaRef('JobStatus'),
      hop: { type: 'integer' },
      attempt: { type: 'integer' },
      by: { type: 'string' },
      error: {
        type: 'object',
        properties: { type: { type: 'string' }, message: { type: 'string' } },
        required: ['type', 'message'],
      },
      note: { type: 'string' },
    },
    required: ['at', 'event', 'status'],
  },
  Job: {
    type: 'object',
    description: 'One run of an operation for one caller.',
    properties: {
      id: { type: 'string' },
      operation: { type: 'string' },
      status: schemaRef('JobStatus'),
      attempts: { type: 'integer', minimum: 0 },
      progress: schemaRef('JobProgress'),
      result: {
        description: "The operation's output, once the job has succeeded (see the operation's schema).",
      },
      error: schemaRef('JobError'),
      createdAt: { type: 'string', format: 'date-time' },
      updatedAt: { type: 'string', format: 'date-time' },
      startedAt: { type: 'string', format: 'date-time' },
      finishedAt: { type: 'string', format: 'date-time' },
      cancelRequested: { type: 'boolean' },
      clientRequestId: { type: 'string' },
      correlationId: {
        type: 'string',
        description: 'The correlation id of the request that submitted it: on every log line of every hop.',
      },
      expiresAt: { type: 'string', format: 'date-time' },
      history: { type: 'array', items: schemaRef('JobHistoryEntry'), description: 'With `?history=1` only.' },
      links: schemaRef('JobLinks'),
    },
    required: [
      'id',
      'operation',
      'status',
      'attempts',
      'createdAt',
      'updatedAt',
      'cancelRequested',
      'expiresAt',
      'links',
    ],
  },
  JobAccepted: {
    type: 'object',
    description: 'The job the request became: poll `links.self`.',
    properties: {
      jobId: { type: 'string' },
      status: schemaRef('JobStatus'),
      links: schemaRef('JobLinks'),
    },
    required: ['jobId', 'status', 'links'],
  },
  JobList: {
    type: 'object',
    properties: {
      jobs: { type: 'array', items: schemaRef('Job') },
      nextCursor: { type: 'string', description: 'Where the next page starts; absent on the last page.' },
      links: {
        type: 'object',
        properties: { self: { type: 'string' }, next: { type: 'string' } },
        required: ['self'],
      },
    },
    required: ['jobs', 'links'],
  },
  OperationDescription: {
    type: 'object',
    properties: {
      name: { type: 'string' },
      version: { type: 'integer' },
      description: { type: 'string' },
      policy: {
        type: 'object',
        properties: {
          maxAttempts: { type: 'integer', minimum: 1 },
          checkpoints: { type: 'boolean' },
          timeBudgetMs: { type: 'integer', minimum: 0 },
        },
        required: ['maxAttempts', 'checkpoints', 'timeBudgetMs'],
      },
      inputSchema: { type: 'object', description: 'A JSON Schema (draft 2020-12).' },
      outputSchema: { type: 'object', description: 'A JSON Schema (draft 2020-12).' },
    },
    required: ['name', 'version', 'description', 'policy', 'inputSchema', 'outputSchema'],
  },
  OperationList: {
    type: 'object',
    properties: { operations: { type: 'array', items: schemaRef('OperationDescription') } },
    required: ['operations'],
  },
});

/** An operation name as a component name (`^[A-Za-z0-9._-]+$`): `stretch-key` → `StretchKey`. */
function componentName(name: string): string {
  const words = name.split(/[^A-Za-z0-9]+/).filter((word) => word.length > 0);
  const joined = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join('');
  return joined === '' ? 'Operation' : /^\d/.test(joined) ? `Operation${joined}` : joined;
}

/** A name no component has, nor will have with any of `suffixes` after it. */
function uniqueName(name: string, taken: Set<string>, suffixes: readonly string[] = ['']): string {
  let candidate = name;
  for (let n = 2; suffixes.some((suffix) => taken.has(`${candidate}${suffix}`)); n++)
    candidate = `${name}${n}`;
  for (const suffix of suffixes) taken.add(`${candidate}${suffix}`);
  return candidate;
}

/**
 * A schema of `describe()` as a component: its `$schema` dropped (the document's dialect is 2020-12 already)
 * and its `$defs` moved beside it as components of their own, each `#/$defs/x` pointing there — a `$ref` inside
 * the document resolves against the document, where `#/$defs` is not.
 */
function hoist(
  schema: OperationDescription['inputSchema'],
  name: string,
  schemas: JsonObject,
  taken: Set<string>,
) {
  const { $schema: _dialect, $defs, ...rest } = schema as JsonObject & { $defs?: JsonObject };
  const renamed = new Map<string, string>();
  for (const key of Object.keys($defs ?? {}).sort(compare)) {
    const component = uniqueName(`${name}_${key.replace(/[^A-Za-z0-9._-]/g, '_')}`, taken);
    renamed.set(key, component);
  }
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => {
        if (key === '$ref' && typeof inner === 'string') {
          const target = /^#\/\$defs\/(.+)$/.exec(inner)?.[1];
          const component = target === undefined ? undefined : renamed.get(decodeURIComponent(target));
          if (inner === '#') return [key, `#/components/schemas/${name}`];
          return [key, component === undefined ? inner : `#/components/schemas/${component}`];
        }
        return [key, rewrite(inner)];
      }),
    );
  };
  for (const [key, component] of renamed) schemas[component] = rewrite(($defs as JsonObject)[key]);
  schemas[name] = rewrite(rest);
  return name;
}

const OPERATION_SUFFIXES = ['Input', 'Output', 'Request', 'Completed'];

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortKeys(object: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(object).sort(([a], [b]) => compare(a, b)));
}
