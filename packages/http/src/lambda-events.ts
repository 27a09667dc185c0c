import {
  APIGatewayEventRequestContextSchema,
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
  APIGatewayRequestAuthorizerV2Schema,
  APIGatewayRequestContextV2Schema,
} from '@aws-lambda-powertools/parser/schemas';
import { isValidCorrelationId } from '@baton/core';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2, APIGatewayProxyResult } from 'aws-lambda';
import * as z from 'zod';
import type { HttpRequest, HttpResponse } from './http-api.js';

/**
 * The doors check the event fields they read — and only those — with the Powertools parser's own event schemas
 * (`@aws-lambda-powertools/parser/schemas`), picked down with zod's `.pick` to those fields, nested objects too.
 * A whole parser schema checks every field (IP formats, certificates, WebSocket rules) and costs up to ~3× as
 * much (a REST event); picked down, it costs what the hand-written shapes it replaced did
 * (docs/decisions/0004-http-doors-without-a-router-framework.md, `pnpm bench`). It is stricter than they were
 * only about what API Gateway always sends: one of the seven methods, `isBase64Encoded`, REST `body`,
 * `queryStringParameters` and `identity`, v2 `headers`, `rawQueryString` and `stage`, an authorizer that names
 * its caller. Where AWS sends what a parser schema refuses, the field is overridden here and says why.
 */

/** REST `requestContext`: zod 4 refuses `.pick` on a refined object; its one refine is about WebSocket fields. */
const restContext = z.object(APIGatewayEventRequestContextSchema.shape);
const [lambdaAuthorizer, cognitoAuthorizer] = restContext.shape.authorizer.unwrap().unwrap().options;

/** The REST API (v1) proxy event fields the door reads (exported for the bench, not from the package). */
export const RestEventFields = APIGatewayProxyEventSchema.pick({
  httpMethod: true,
  path: true,
  headers: true,
  queryStringParameters: true,
  body: true,
  isBase64Encoded: true,
}).extend({
  requestContext: restContext.pick({ stage: true, requestId: true }).extend({
    identity: restContext.shape.identity.pick({ userArn: true }),
    // Either kind of authorizer, each picked down to the member that names the caller.
    authorizer: z
      .union([lambdaAuthorizer.pick({ principalId: true }), cognitoAuthorizer.pick({ claims: true })])
      .nullish(),
  }),
});

const v2Authorizer = APIGatewayRequestAuthorizerV2Schema.shape;

/**
 * The HTTP API (v2) / Function URL event fields the door reads (exported for the bench, not from the package).
 * One schema serves both: the parser's `LambdaFunctionUrlSchema` is `APIGatewayProxyEventV2Schema.extend({})`.
 */
export const V2EventFields = APIGatewayProxyEventV2Schema.pick({
  rawPath: true,
  rawQueryString: true,
  headers: true,
  isBase64Encoded: true,
}).extend({
  // Stricter than the parser's (any string): these doors serve payload format 2.0 only, and refuse the rest.
  version: z.literal('2.0'),
  // The parser's is optional but not nullable: a Function URL sends a request without a body as `body: null`.
  body: z.string().nullish(),
  requestContext: APIGatewayRequestContextV2Schema.pick({ stage: true, requestId: true }).extend({
    http: APIGatewayRequestContextV2Schema.shape.http.pick({ method: true }),
    // The Lambda authorizer's context as the parser has it; IAM and JWT picked down to what names the caller.
    authorizer: APIGatewayRequestAuthorizerV2Schema.pick({ lambda: true })
      .extend({
        iam: v2Authorizer.iam.unwrap().pick({ userArn: true }).optional(),
        jwt: v2Authorizer.jwt.unwrap().pick({ claims: true }).optional(),
      })
      .optional(),
  }),
});

export class NotAnHttpEvent extends Error {
  constructor(readonly issues: readonly string[]) {
    super(`The event is not an API Gateway / Function URL proxy event: ${issues.join('; ')}`);
    this.name = 'NotAnHttpEvent';
  }
}

const lowerCaseKeys = (headers: Record<string, string | undefined> | null | undefined) =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([name, value]) => [name.toLowerCase(), value]));

const decodeBody = (body: string | null | undefined, base64: boolean | null | undefined) =>
  body == null ? undefined : base64 ? Buffer.from(body, 'base64').toString('utf8') : body;

const stringClaim = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);

const describeIssues = (error: z.ZodError) =>
  error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

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
  const parsed = RestEventFields.safeParse(event);
  if (!parsed.success) throw new NotAnHttpEvent(describeIssues(parsed.error));
  const { requestContext: context, ...fields } = parsed.data;
  const headers = lowerCaseKeys(fields.headers);
  const authorizer = context.authorizer;
  const owner =
    iamOwner(context.identity.userArn) ??
    (authorizer && 'principalId' in authorizer
      ? stringClaim(authorizer.principalId)
      : stringClaim(authorizer?.claims.sub));
  return {
    method: fields.httpMethod,
    path: fields.path,
    basePath: context.stage === '$default' ? '' : `/${context.stage}`,
    headers,
    query: fields.queryStringParameters ?? {},
    body: decodeBody(fields.body, fields.isBase64Encoded),
    owner,
    requestId: context.requestId,
    correlationId: correlationIdOf(headers, context.requestId),
    budgetMs,
  };
}

/** An HTTP API (v2) or Function URL event: the same payload format. */
export function fromV2Event(event: APIGatewayProxyEventV2, budgetMs: number): HttpRequest {
  const parsed = V2EventFields.safeParse(event);
  if (!parsed.success) throw new NotAnHttpEvent(describeIssues(parsed.error));
  const { requestContext: context, ...fields } = parsed.data;
  const headers = lowerCaseKeys(fields.headers);
  const basePath = context.stage === '$default' ? '' : `/${context.stage}`;
  // An HTTP API stage other than $default is part of rawPath; routes are matched without it.
  const path =
    basePath && fields.rawPath.startsWith(`${basePath}/`)
      ? fields.rawPath.slice(basePath.length)
      : fields.rawPath;
  const authorizer = context.authorizer ?? {};
  const owner =
    iamOwner(authorizer.iam?.userArn) ??
    stringClaim(authorizer.lambda?.principalId) ??
    stringClaim(authorizer.jwt?.claims.sub);
  return {
    method: context.http.method,
    path,
    basePath,
    headers,
    query: Object.fromEntries(new URLSearchParams(fields.rawQueryString)),
    body: decodeBody(fields.body, fields.isBase64Encoded),
    owner,
    requestId: context.requestId,
    correlationId: correlationIdOf(headers, context.requestId),
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
