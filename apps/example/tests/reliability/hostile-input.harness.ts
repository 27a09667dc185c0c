/**
 * How the hostile-input suite sends what it generates and judges what comes back: raw HTTP requests (bytes
 * as generated: malformed escapes, latin1 header bytes, invalid UTF-8 bodies), direct invocations through the
 * real Lambda SDK, and the rules every answer must follow — counted, with the first offending samples kept.
 */
import http from 'node:http';
import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import {
  type Door,
  describeBody,
  type HostilePayload,
  type HostileRequest,
  materialize,
} from './hostile-input.generators.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** The first samples of each cause of failure are kept, this many, and this many in all. */
const SAMPLES_PER_CAUSE = 2;
const SAMPLES_KEPT = 30;

// ---- tallies ---------------------------------------------------------------------------------------------

export interface Sample {
  readonly index: number;
  readonly failures: readonly string[];
  readonly request: unknown;
  readonly answer: unknown;
}

/** Counts of one door or one function: what was sent, what came back, what broke a rule. */
export class Tally {
  sent = 0;
  readonly byStatusClass: Record<string, number> = {};
  readonly byStatus: Record<string, number> = {};
  readonly byCategory: Record<string, number> = {};
  readonly failures: Record<string, number> = {};
  /** Answers that are the gateway's or Lambda's own documented refusals, by status or error name. */
  readonly documentedRefusals: Record<string, number> = {};
  /** Offending answers by cause: the request's kind, then what came back (status and problem type or body). */
  readonly causes: Record<string, number> = {};
  readonly samples: Sample[] = [];
  failedRequests = 0;
  /** Requests sent again because the function was at its concurrency limit (the suite's doing, not the input's). */
  retriedAfterThrottle = 0;

  record(
    category: string,
    statusClass: string,
    status: string,
    verdict: Verdict,
    sample: () => Omit<Sample, 'failures'>,
  ) {
    this.sent += 1;
    bump(this.byCategory, category);
    bump(this.byStatusClass, statusClass);
    bump(this.byStatus, status);
    if (verdict.documented !== undefined) bump(this.documentedRefusals, verdict.documented);
    if (verdict.failures.length === 0) return;
    this.failedRequests += 1;
    for (const failure of verdict.failures) bump(this.failures, failure);
    const family = category.split(':')[0];
    this.keep(`${family} → ${verdict.cause ?? verdict.failures.join(', ')}`, () => ({
      ...sample(),
      failures: verdict.failures,
    }));
  }

  fail(kind: string, sample?: Omit<Sample, 'failures'>) {
    bump(this.failures, kind);
    this.keep(kind, sample && (() => ({ ...sample, failures: [kind] })));
  }

  private keep(cause: string, sample: (() => Sample) | undefined) {
    bump(this.causes, cause);
    if (sample && (this.causes[cause] ?? 0) <= SAMPLES_PER_CAUSE && this.samples.length < SAMPLES_KEPT) {
      this.samples.push(sample());
    }
  }

  get failureCount(): number {
    return Object.values(this.failures).reduce((sum, n) => sum + n, 0);
  }
}

export interface Verdict {
  readonly failures: string[];
  readonly documented?: string;
  /** What came back, in short, when it broke a rule: the status and the problem type, or the body's start. */
  readonly cause?: string;
}

const bump = (counts: Record<string, number>, key: string, by = 1) => {
  counts[key] = (counts[key] ?? 0) + by;
};

export const statusClass = (status: number) => `${Math.floor(status / 100)}xx`;

/** Runs `task` over `items`, at most `concurrency` at a time, in order of index. */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < items.length; index = next++) await task(items[index] as T, index);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

// ---- problems --------------------------------------------------------------------------------------------

const mediaType = (contentType: string | undefined) =>
  (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Why a body is not an RFC 9457 problem of this status (with the members every door sends), if it is not. */
export function problemIssue(body: unknown, status: number): string | undefined {
  if (!isObject(body)) return 'problem-body:not-an-object';
  if (typeof body.type !== 'string' || body.type === '') return 'problem-body:no-type';
  if (typeof body.title !== 'string' || body.title === '') return 'problem-body:no-title';
  if (body.status !== status) return 'problem-body:status-differs';
  return undefined;
}

// ---- HTTP ------------------------------------------------------------------------------------------------

export interface HttpAnswer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Sends a request exactly as generated: the path as written (percent-escapes untouched), header values as
 * latin1 bytes, the body as bytes. Host and Content-Length are added; nothing else.
 */
export function sendHttp(
  baseUrl: string,
  request: HostileRequest,
  agent: http.Agent,
  timeoutMs: number,
): Promise<HttpAnswer> {
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/$/, '');
  const body = request.body === undefined ? undefined : materialize(request.body);
  const headers: string[] = ['Host', base.host];
  for (const [name, value] of request.headers) headers.push(name, value);
  if (body !== undefined) headers.push('Content-Length', String(body.length));
  return new Promise((resolve, reject) => {
    const outgoing = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: request.method,
        path: `${basePath}${request.path}`,
        headers,
        agent,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({
            status: incoming.statusCode ?? 0,
            headers: incoming.headers,
            body: Buffer.concat(chunks),
          }),
        );
        incoming.on('error', reject);
      },
    );
    outgoing.setTimeout(timeoutMs, () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * The rules for an HTTP answer:
 * - no 5xx, except the documented gateway-level ones;
 * - every 4xx and 5xx is `application/problem+json` with `type`, `title` and `status` equal to the HTTP
 *   status — except the HTTP API's and Function URL's own refusals, which keep AWS's bodies (decision 0006);
 *   a REST API's own refusals are problems too (decision 0006: PROBLEM_GATEWAY_RESPONSES);
 * - a method and path no route serves never reaches the function: the HTTP API answers its own 404
 *   `{"message":"Not Found"}`, the REST API MISSING_AUTHENTICATION_TOKEN (403, a problem);
 * - the request's own expectation (a valid request succeeds; a body over a limit is refused with 413).
 */
export function judgeHttp(door: Door, request: HostileRequest, answer: HttpAnswer): Verdict {
  const failures: string[] = [];
  const { status } = answer;
  const gatewayKeepsAwsBodies = door !== 'restApi';
  if (door === 'httpApi' && status === 404 && isGatewayNotFound(request, answer)) {
    return { failures, documented: `${status}` };
  }

  switch (request.expect) {
    case 'gateway-too-large':
      if (status !== 413) failures.push('unexpected-status:gateway-too-large-not-413');
      if (gatewayKeepsAwsBodies && status === 413) return { failures, documented: `${status}` };
      break;
    case 'over-invoke-limit':
      // The event is over Lambda's 6 MB: a REST API answers INTEGRATION_FAILURE, 503 + problem (decision
      // 0006); an HTTP API its own 500; a Function URL passes on Lambda's 413.
      if (door === 'restApi') {
        if (status !== 503) failures.push('unexpected-status:over-invoke-limit-not-503');
        else if (problemOf(answer) === undefined) return { failures, documented: `${status}` };
      } else {
        const documented = door === 'httpApi' ? [413, 500] : [413];
        if (documented.includes(status)) return { failures, documented: `${status}` };
        failures.push(`unexpected-status:over-invoke-limit-${status}`);
      }
      break;
    case 'door-too-large':
      if (status !== 413) failures.push('unexpected-status:door-too-large-not-413');
      break;
    case 'success':
      if (status !== 200 && status !== 202) failures.push('unexpected-status:valid-request-refused');
      break;
    case 'any':
      break;
  }

  if (status >= 500) failures.push(`server-error:${status}`);
  if (status >= 400) {
    const issue = problemOf(answer, request.method === 'HEAD');
    if (issue !== undefined) failures.push(issue);
  }
  if (
    status >= 200 &&
    status < 300 &&
    request.method !== 'HEAD' &&
    !parseJson(answer.body.toString('utf8')).ok
  ) {
    failures.push('success-body-not-json');
  }
  if (status === 202 && request.method === 'POST' && typeof answer.headers.location !== 'string') {
    failures.push('accepted-without-location');
  }
  if (status < 100 || status > 599) failures.push('invalid-status');
  return {
    failures,
    ...(failures.length > 0 && { cause: `${status} ${outcomeOf(answer.body.toString('utf8'))}` }),
  };
}

/** A problem's type (its last segment), or the start of a body that is not a problem. */
function outcomeOf(text: string): string {
  const parsed = parseJson(text);
  if (parsed.ok && isObject(parsed.value) && typeof parsed.value.type === 'string') {
    return parsed.value.type.replace(/^.*\//, '');
  }
  return text.length <= 100 ? text : `${text.slice(0, 100)}…`;
}

/** The HTTP API's own answer for a route it does not declare (HTTP APIs have no gateway responses). */
function isGatewayNotFound(request: HostileRequest, answer: HttpAnswer): boolean {
  if (mediaType(answer.headers['content-type']) !== 'application/json') return false;
  const body = answer.body.toString('utf8');
  return (request.method === 'HEAD' && body === '') || body === '{"message":"Not Found"}';
}

/** Why an answer is not a problem, if it is not (the body is not checked for HEAD, which has none). */
function problemOf(answer: HttpAnswer, headOnly = false): string | undefined {
  const contentType = answer.headers['content-type'];
  if (mediaType(contentType) !== PROBLEM_CONTENT_TYPE) return 'problem-content-type';
  if (headOnly) return undefined;
  const parsed = parseJson(answer.body.toString('utf8'));
  if (!parsed.ok) return 'problem-body:not-json';
  return problemIssue(parsed.value, answer.status);
}

export function describeRequest(request: HostileRequest) {
  return {
    category: request.category,
    method: request.method,
    path: request.path,
    headers: request.headers,
    body: describeBody(request.body),
    expect: request.expect,
  };
}

export function describeAnswer(answer: HttpAnswer) {
  const text = answer.body.toString('utf8');
  return {
    status: answer.status,
    headers: answer.headers,
    body: text.length <= 800 ? text : `${text.slice(0, 800)}… (${answer.body.length} bytes)`,
  };
}

// ---- direct invoke ---------------------------------------------------------------------------------------

/** What a function is, for what its answers must look like. */
export type FunctionRole = 'http-door' | 'rpc' | 'worker' | 'other';

export type InvokeAnswer =
  | { readonly kind: 'answer'; readonly functionError: string | undefined; readonly payload: string }
  | {
      readonly kind: 'refused';
      readonly name: string;
      readonly httpStatus: number | undefined;
      readonly message: string;
    };

export async function invoke(
  lambda: LambdaClient,
  functionName: string,
  payload: HostilePayload,
): Promise<InvokeAnswer> {
  try {
    const response = await lambda.send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: 'RequestResponse',
        Payload: materialize(payload.payload),
        ...(payload.clientContext !== undefined && {
          ClientContext: Buffer.from(payload.clientContext, 'utf8').toString('base64'),
        }),
      }),
    );
    return {
      kind: 'answer',
      functionError: response.FunctionError,
      payload: new TextDecoder().decode(response.Payload ?? new Uint8Array()),
    };
  } catch (error) {
    const failed = error as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    return {
      kind: 'refused',
      name: failed.name ?? 'Error',
      httpStatus: failed.$metadata?.httpStatusCode,
      message: failed.message ?? String(error),
    };
  }
}

/** What Lambda itself refuses before any function runs: a payload that is not JSON, or over the limit. */
export function lambdaRefuses(bytes: Buffer, invokeLimitBytes: number): boolean {
  if (bytes.length > invokeLimitBytes) return true;
  const text = bytes.length === 0 ? '{}' : bytes.toString('utf8');
  return !parseJson(text).ok;
}

/** Lambda's answers to a payload that is not JSON, and to one over 6 MB (the name its front end gives). */
const DOCUMENTED_LAMBDA_REFUSALS = [
  'InvalidRequestContentException',
  'RequestEntityTooLargeException',
  'RequestTooLargeException',
];

/**
 * The rules for a direct invocation's answer:
 * - never a FunctionError (a crash), never a 5xx, never throttled (the suite keeps under the concurrency);
 * - Lambda refuses only what it documents refusing (not JSON, over 6 MB), with its 4xx;
 * - a refusal in the payload (`status` ≥ 400, or an HTTP door's proxy result with `statusCode` ≥ 400) is a
 *   problem;
 * - an HTTP door's function answers anything but a job-run event with a proxy result;
 * - a job-run event for an unknown job, or of a wrong shape, is a no-op (`skipped` / `malformed-event`);
 * - a valid operation request to the direct-invoke door succeeds or is accepted.
 */
export function judgeInvoke(
  role: FunctionRole,
  payload: HostilePayload,
  answer: InvokeAnswer,
  invokeLimitBytes: number,
): Verdict & { statusClass: string; status: string } {
  const verdict = judgeInvokeAnswer(role, payload, answer, invokeLimitBytes);
  return verdict.failures.length === 0 ? verdict : { ...verdict, cause: invokeOutcomeOf(answer) };
}

/** What a direct invocation got, in short: Lambda's refusal, the function error, or the answer's status and type. */
function invokeOutcomeOf(answer: InvokeAnswer): string {
  if (answer.kind === 'refused') return `${answer.httpStatus ?? '?'} ${answer.name}`;
  const prefix = answer.functionError === undefined ? '' : `FunctionError ${answer.functionError}: `;
  const parsed = parseJson(answer.payload);
  if (parsed.ok && isObject(parsed.value)) {
    const result = parsed.value;
    if (typeof result.statusCode === 'number' && typeof result.body === 'string') {
      return `${prefix}${result.statusCode} ${outcomeOf(result.body)}`;
    }
    if (typeof result.status === 'number') return `${prefix}${result.status} ${outcomeOf(answer.payload)}`;
  }
  return `${prefix}${outcomeOf(answer.payload)}`;
}

function judgeInvokeAnswer(
  role: FunctionRole,
  payload: HostilePayload,
  answer: InvokeAnswer,
  invokeLimitBytes: number,
): Verdict & { statusClass: string; status: string } {
  const failures: string[] = [];
  const bytes = materialize(payload.payload);
  const refusable = lambdaRefuses(bytes, invokeLimitBytes);
  if (answer.kind === 'refused') {
    if (
      refusable &&
      DOCUMENTED_LAMBDA_REFUSALS.includes(answer.name) &&
      answer.httpStatus !== undefined &&
      answer.httpStatus < 500
    ) {
      return { failures, documented: answer.name, statusClass: 'refused-by-lambda', status: answer.name };
    }
    failures.push(
      answer.httpStatus !== undefined && answer.httpStatus >= 500
        ? `invoke-service-error:${answer.name}`
        : `invoke-refused:${answer.name}`,
    );
    return { failures, statusClass: 'refused-by-lambda', status: answer.name };
  }
  if (refusable) failures.push('lambda-accepted-what-it-refuses');
  if (answer.functionError !== undefined) {
    failures.push(`function-error:${answer.functionError}`);
    return { failures, statusClass: 'function-error', status: 'function-error' };
  }
  const parsed = parseJson(answer.payload);
  if (!parsed.ok) {
    failures.push('payload-not-json');
    return { failures, statusClass: 'other', status: 'not-json' };
  }
  const result = parsed.value;
  const event = parseJson(bytes.length === 0 ? '{}' : bytes.toString('utf8'));
  const jobRunShaped = event.ok && isObject(event.value) && 'baton' in event.value;

  if (role === 'worker' || (jobRunShaped && role !== 'other')) {
    const noOp =
      isObject(result) &&
      ((result.handled === false && result.reason === 'malformed-event') ||
        (result.handled === true && result.outcome === 'skipped'));
    if (!noOp) failures.push('job-run-not-a-no-op');
    return {
      failures,
      statusClass: 'no-op',
      status: noOp ? `no-op:${String(result.reason ?? result.outcome)}` : 'other',
    };
  }

  if (role === 'http-door') {
    if (!isObject(result) || typeof result.statusCode !== 'number') {
      failures.push('not-a-proxy-result');
      return { failures, statusClass: 'other', status: 'other' };
    }
    const status = result.statusCode;
    if (status >= 500) failures.push(`server-error:${status}`);
    if (status >= 400) {
      const headers = isObject(result.headers) ? result.headers : {};
      const contentType = Object.entries(headers).find(
        ([name]) => name.toLowerCase() === 'content-type',
      )?.[1];
      if (mediaType(typeof contentType === 'string' ? contentType : undefined) !== PROBLEM_CONTENT_TYPE) {
        failures.push('problem-content-type');
      } else {
        const body = typeof result.body === 'string' ? parseJson(result.body) : { ok: false as const };
        const issue = body.ok ? problemIssue(body.value, status) : 'problem-body:not-json';
        if (issue !== undefined) failures.push(issue);
      }
    }
    return { failures, statusClass: statusClass(status), status: String(status) };
  }

  // The direct-invoke door (and any other function): a refusal is a problem object.
  const status = isObject(result) && typeof result.status === 'number' ? result.status : undefined;
  if (status !== undefined && status >= 500) failures.push(`server-error:${status}`);
  if (status !== undefined && status >= 400) {
    const issue = problemIssue(result, status);
    if (issue !== undefined) failures.push(issue);
  }
  if (role === 'rpc' && payload.expect === 'success') {
    const ok = isObject(result) && (result.status === 'succeeded' || result.accepted === true);
    if (!ok) failures.push('unexpected-answer:valid-request-refused');
  }
  const klass = status === undefined ? '2xx' : statusClass(status);
  return { failures, statusClass: klass, status: status === undefined ? 'ok' : String(status) };
}

export function describePayload(payload: HostilePayload) {
  return {
    category: payload.category,
    payload: describeBody(payload.payload),
    ...(payload.clientContext !== undefined && { clientContext: payload.clientContext }),
    expect: payload.expect,
  };
}

export function describeInvokeAnswer(answer: InvokeAnswer) {
  if (answer.kind === 'refused') return answer;
  const { payload } = answer;
  return {
    functionError: answer.functionError,
    payload: payload.length <= 800 ? payload : `${payload.slice(0, 800)}… (${payload.length} chars)`,
  };
}
