import { isValidCorrelationId } from '@baton/core';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import type { HttpRequest, HttpResponse } from './http-api.js';

/**
 * The doors check the event fields they read — and only those — exactly as the Powertools parser's own event
 * schemas (`APIGatewayProxyEventSchema`, `APIGatewayProxyEventV2Schema`, `LambdaFunctionUrlSchema`) picked down
 * with zod's `.pick` to those fields would: the same types, the same seven methods, the same nullable and
 * optional members, an authorizer that names its caller. The checks are written out here instead of run through
 * zod because the parser's schemas cost the API handler's bundle ~375 KB (they import zod as `{ z }`, which
 * carries the whole namespace, every locale included, and the schemas' index carries every other event source)
 * and a REST event's check 1.6–2.6 µs of CPU, more than this whole translation, header copy included
 * (docs/decisions/0012-a-fast-door-and-a-small-bundle.md). The tests hold them to the parser's picked schemas,
 * event for event (tests/support/parser-event-fields.ts). Two fields keep their own rule, as before: a v2 `body`
 * may be `null` (Function URLs send it so; the parser says optional only), and `version` must be `'2.0'`.
 */

const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

type Fields = Record<string, unknown>;

/** zod's `z.object` input check. */
const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** zod's `z.record` input check (`util.isPlainObject`). */
function isPlainObject(value: unknown): value is Fields {
  if (!isObject(value)) return false;
  const ctor = value.constructor;
  if (ctor === undefined || typeof ctor !== 'function') return true;
  const prototype: unknown = ctor.prototype;
  return isObject(prototype) && Object.hasOwn(prototype, 'isPrototypeOf');
}

/** `z.record(z.string(), z.string())`. */
function isStringRecord(value: unknown): value is Record<string, string> {
  if (!isPlainObject(value)) return false;
  for (const key in value) if (typeof value[key] !== 'string') return false;
  return true;
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isNullish = (value: unknown): value is null | undefined => value === null || value === undefined;

/** Collects what is wrong with an event, by path, as the doors report it in a `bad-event` problem. */
class Check {
  readonly issues: string[] = [];

  field(path: string, ok: boolean, expected: string): boolean {
    if (!ok) this.issues.push(`${path}: expected ${expected}`);
    return ok;
  }

  done(): void {
    if (this.issues.length > 0) throw new NotAnHttpEvent(this.issues);
  }
}

/** The REST `requestContext.authorizer`: a Lambda authorizer's (`principalId`) or a Cognito user pool's (`claims`). */
function restAuthorizerOwner(check: Check, authorizer: unknown): string | undefined {
  if (isNullish(authorizer)) return undefined;
  if (isObject(authorizer)) {
    if (isString(authorizer.principalId)) return stringClaim(authorizer.principalId);
    if (isPlainObject(authorizer.claims)) return stringClaim(authorizer.claims.sub);
  }
  check.field('requestContext.authorizer', false, '{ principalId: string } or { claims: object }, or none');
  return undefined;
}

/** The v2 `requestContext.authorizer`: IAM, else a Lambda authorizer's principalId, else a JWT's sub claim. */
function v2AuthorizerOwner(check: Check, authorizer: unknown): string | undefined {
  if (authorizer === undefined) return undefined;
  if (!check.field('requestContext.authorizer', isObject(authorizer), 'an object or none')) return undefined;
  const { iam, lambda, jwt } = authorizer as Fields;
  const iamOk = check.field(
    'requestContext.authorizer.iam',
    iam === undefined || (isObject(iam) && (iam.userArn === undefined || isString(iam.userArn))),
    '{ userArn?: string } or none',
  );
  const lambdaOk = check.field(
    'requestContext.authorizer.lambda',
    isNullish(lambda) || isPlainObject(lambda),
    'an object, null or none',
  );
  const jwtOk = check.field(
    'requestContext.authorizer.jwt',
    jwt === undefined || (isObject(jwt) && isPlainObject(jwt.claims)),
    '{ claims: object } or none',
  );
  if (!(iamOk && lambdaOk && jwtOk)) return undefined;
  return (
    iamOwner((iam as Fields | undefined)?.userArn as string | undefined) ??
    stringClaim((lambda as Fields | null | undefined)?.principalId) ??
    stringClaim((jwt as { claims: Fields } | undefined)?.claims.sub)
  );
}

export class NotAnHttpEvent extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`The event is not an API Gateway / Function URL proxy event: ${issues.join('; ')}`);
    this.name = 'NotAnHttpEvent';
  }
}

/**
 * Header names as `toLowerCase` makes them, remembered: the same few dozen names come in every request, and
 * lower-casing a dozen of them anew each time cost more than the rest of the event's translation. Bounded, so
 * that clients sending ever new names cannot grow it without end.
 */
const lowerNames = new Map<string, string>();
const LOWER_NAMES_MAX = 1_000;

function lowerCaseName(name: string): string {
  let lower = lowerNames.get(name);
  if (lower === undefined) {
    lower = name.toLowerCase();
    if (lowerNames.size < LOWER_NAMES_MAX) lowerNames.set(name, lower);
  }
  return lower;
}

/**
 * `z.record(z.string(), z.string())`'s check of the headers and the headers by lower-cased name, in one pass:
 * undefined when they are not an object of strings. Headers already named in lower case — every HTTP API and
 * Function URL event's, as the service lower-cases them — are used as they are, not copied.
 */
function lowerCaseHeaders(headers: unknown): Record<string, string> | undefined {
  if (!isPlainObject(headers)) return undefined;
  let lowerCaseAlready = true;
  for (const name in headers) {
    if (typeof headers[name] !== 'string') return undefined;
    if (lowerCaseAlready && lowerCaseName(name) !== name) lowerCaseAlready = false;
  }
  if (lowerCaseAlready) return headers as Record<string, string>;
  const lower: Record<string, string> = {};
  for (const name in headers) lower[lowerCaseName(name)] = headers[name] as string;
  return lower;
}

const decodeBody = (body: string | null | undefined, base64: boolean | null | undefined) =>
  body == null ? undefined : base64 ? Buffer.from(body, 'base64').toString('utf8') : body;

const stringClaim = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * An STS assumed-role ARN names the role and then a session name that whoever assumes the role chooses
 * (`arn:aws:sts::123456789012:assumed-role/RoleName/SessionName`); any partition (`aws`, `aws-cn`,
 * `aws-us-gov`, …). Role names cannot contain `/`, and assumed-role ARNs carry no role path.
 */
const ASSUMED_ROLE_SESSION = /^(arn:[a-z][a-z0-9-]*:sts::\d{12}:assumed-role\/[^/]+)\/[^/]+$/;

/**
 * The job owner for an IAM caller ARN. An assumed-role session is owned by its role: anyone allowed to assume
 * the role may pick any session name, so the session isolates nothing and a caller could read another
 * session's jobs just by naming it. Every other ARN (IAM users, roles, federated users) is the owner verbatim.
 * See docs/decisions/0006-owners-budgets-and-gateway-responses.md.
 */
export const ownerOfIamArn = (arn: string): string => ASSUMED_ROLE_SESSION.exec(arn)?.[1] ?? arn;

const iamOwner = (userArn: string | null | undefined) => {
  const arn = stringClaim(userArn);
  return arn === undefined ? undefined : ownerOfIamArn(arn);
};

/**
 * The correlation id of a request: a valid `X-Correlation-Id`, else the gateway's request id. An invalid header
 * is refused by the HTTP API (400); it is not carried here, so no log line or job ever holds it.
 */
const correlationIdOf = (headers: Record<string, string | undefined>, requestId: string) => {
  const header = headers['x-correlation-id'];
  return header !== undefined && isValidCorrelationId(header) ? header : requestId;
};

/**
 * When the gateway received the request, in epoch milliseconds: REST `requestContext.requestTimeEpoch`, HTTP
 * API / Function URL (`version: '2.0'`) `requestContext.timeEpoch`. Undefined when the event does not say so
 * plausibly — the field is absent, not a finite positive number, or later than `now` — so that a door counts
 * its budget from its own start instead.
 */
export function gatewayReceivedAt(event: unknown, now: number): number | undefined {
  if (typeof event !== 'object' || event === null) return undefined;
  const { version, requestContext } = event as { version?: unknown; requestContext?: unknown };
  if (typeof requestContext !== 'object' || requestContext === null) return undefined;
  const field = version === '2.0' ? 'timeEpoch' : 'requestTimeEpoch';
  const receivedAt = (requestContext as Record<string, unknown>)[field];
  return typeof receivedAt === 'number' && Number.isFinite(receivedAt) && receivedAt > 0 && receivedAt <= now
    ? receivedAt
    : undefined;
}

/**
 * A REST API (v1) proxy event. The caller is the IAM identity (an assumed role's session stripped, see
 * `ownerOfIamArn`), or a Lambda/Cognito authorizer's principal.
 */
export function fromRestEvent(event: APIGatewayProxyEvent, budgetMs: number): HttpRequest {
  const check = new Check();
  if (!check.field('(event)', isObject(event), 'an object')) check.done();
  const { httpMethod, path, headers, queryStringParameters, body, isBase64Encoded, requestContext } =
    event as unknown as Fields;
  check.field('httpMethod', isString(httpMethod) && METHODS.has(httpMethod), 'an HTTP method (GET, POST, …)');
  check.field('path', isString(path), 'a string');
  const lower = isNullish(headers) ? {} : lowerCaseHeaders(headers);
  check.field('headers', lower !== undefined, 'an object of strings, or null');
  check.field(
    'queryStringParameters',
    queryStringParameters === null || isStringRecord(queryStringParameters),
    'an object of strings, or null',
  );
  check.field('body', body === null || isString(body), 'a string or null');
  check.field('isBase64Encoded', typeof isBase64Encoded === 'boolean', 'a boolean');
  let owner: string | undefined;
  if (check.field('requestContext', isObject(requestContext), 'an object')) {
    const context = requestContext as Fields;
    check.field('requestContext.stage', isString(context.stage), 'a string');
    check.field('requestContext.requestId', isString(context.requestId), 'a string');
    const identity = context.identity;
    if (
      check.field(
        'requestContext.identity',
        isObject(identity) && (isNullish(identity.userArn) || isString(identity.userArn)),
        '{ userArn?: string | null }',
      )
    ) {
      owner = iamOwner((identity as Fields).userArn as string | null | undefined);
    }
    const authorizerOwner = restAuthorizerOwner(check, context.authorizer);
    owner ??= authorizerOwner;
  }
  check.done();
  // Checked: an object of strings.
  const headersByName = lower as Record<string, string>;
  const context = requestContext as { stage: string; requestId: string };
  return {
    method: httpMethod as string,
    path: path as string,
    basePath: context.stage === '$default' ? '' : `/${context.stage}`,
    headers: headersByName,
    query: (queryStringParameters as Record<string, string> | null) ?? {},
    body: decodeBody(body as string | null, isBase64Encoded as boolean),
    owner,
    requestId: context.requestId,
    correlationId: correlationIdOf(headersByName, context.requestId),
    budgetMs,
  };
}

/** An HTTP API (v2) or Function URL event: the same payload format. */
export function fromV2Event(event: APIGatewayProxyEventV2, budgetMs: number): HttpRequest {
  const check = new Check();
  if (!check.field('(event)', isObject(event), 'an object')) check.done();
  const { version, rawPath, rawQueryString, headers, body, isBase64Encoded, requestContext } =
    event as unknown as Fields;
  check.field('version', version === '2.0', "'2.0'");
  check.field('rawPath', isString(rawPath), 'a string');
  check.field('rawQueryString', isString(rawQueryString), 'a string');
  const lower = lowerCaseHeaders(headers);
  check.field('headers', lower !== undefined, 'an object of strings');
  check.field('body', isNullish(body) || isString(body), 'a string, null or none');
  check.field('isBase64Encoded', typeof isBase64Encoded === 'boolean', 'a boolean');
  let owner: string | undefined;
  if (check.field('requestContext', isObject(requestContext), 'an object')) {
    const context = requestContext as Fields;
    check.field('requestContext.stage', isString(context.stage), 'a string');
    check.field('requestContext.requestId', isString(context.requestId), 'a string');
    const http = context.http;
    check.field(
      'requestContext.http',
      isObject(http) && isString(http.method) && METHODS.has(http.method),
      '{ method: an HTTP method (GET, POST, …) }',
    );
    owner = v2AuthorizerOwner(check, context.authorizer);
  }
  check.done();
  // Checked: an object of strings.
  const headersByName = lower as Record<string, string>;
  const context = requestContext as { stage: string; requestId: string; http: { method: string } };
  const basePath = context.stage === '$default' ? '' : `/${context.stage}`;
  const fullPath = rawPath as string;
  // An HTTP API stage other than $default is part of rawPath; routes are matched without it.
  const path = basePath && fullPath.startsWith(`${basePath}/`) ? fullPath.slice(basePath.length) : fullPath;
  return {
    method: context.http.method,
    path,
    basePath,
    headers: headersByName,
    query: rawQueryString === '' ? {} : Object.fromEntries(new URLSearchParams(rawQueryString as string)),
    body: decodeBody(body as string | null | undefined, isBase64Encoded as boolean),
    owner,
    requestId: context.requestId,
    correlationId: correlationIdOf(headersByName, context.requestId),
    budgetMs,
  };
}

/** The proxy response; the same shape serves REST, HTTP API and Function URL. */
export const toProxyResult = (response: HttpResponse): APIGatewayProxyResult => ({
  statusCode: response.statusCode,
  headers: response.headers,
  body: response.body,
  isBase64Encoded: false,
});
