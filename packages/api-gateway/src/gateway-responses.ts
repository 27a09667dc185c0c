/**
 * What a REST API answers when API Gateway itself refuses or fails a request — before or instead of the
 * function: an RFC 9457 problem, like every answer of the doors. Data only: the CDK app turns each definition
 * into an `AWS::ApiGateway::GatewayResponse`, and the local REST emulator renders the same templates with
 * `renderGatewayResponse`, so the cloud and the laptop answer alike.
 *
 * HTTP APIs and Function URLs have no gateway responses: their own errors keep AWS's bodies.
 */

/** AWS::ApiGateway::GatewayResponse ResponseType values. */
export type GatewayResponseType =
  | 'ACCESS_DENIED'
  | 'API_CONFIGURATION_ERROR'
  | 'AUTHORIZER_CONFIGURATION_ERROR'
  | 'AUTHORIZER_FAILURE'
  | 'BAD_REQUEST_BODY'
  | 'BAD_REQUEST_PARAMETERS'
  | 'DEFAULT_4XX'
  | 'DEFAULT_5XX'
  | 'EXPIRED_TOKEN'
  | 'INTEGRATION_FAILURE'
  | 'INTEGRATION_TIMEOUT'
  | 'INVALID_API_KEY'
  | 'INVALID_SIGNATURE'
  | 'MISSING_AUTHENTICATION_TOKEN'
  | 'QUOTA_EXCEEDED'
  | 'REQUEST_TOO_LARGE'
  | 'RESOURCE_NOT_FOUND'
  | 'THROTTLED'
  | 'UNAUTHORIZED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'WAF_FILTERED';

export interface GatewayResponseDefinition {
  /** AWS::ApiGateway::GatewayResponse ResponseType, e.g. 'DEFAULT_4XX', 'INTEGRATION_FAILURE', 'THROTTLED'. */
  readonly type: GatewayResponseType;
  /** The status to answer with; absent keeps API Gateway's own status for the type. */
  readonly statusCode?: string;
  /** Response header mappings as API Gateway takes them: static values single-quoted, e.g. "'application/problem+json'". */
  readonly responseHeaders: Readonly<Record<string, string>>;
  /** The application/json body mapping template: an RFC 9457 problem document using $context variables. */
  readonly template: string;
}

/** The problem `type` base every door uses (`@baton/http`'s problem.ts). */
const TYPE_BASE = 'https://baton.dev/problems/';

const PROBLEM_HEADERS = { 'Content-Type': "'application/problem+json'" } as const;

/**
 * A problem document as a mapping template. Only `$context.requestId`, `$context.error.messageString` (API
 * Gateway quotes and escapes it as a JSON string), `$context.error.responseType`, `$context.path` and
 * `$context.resourcePath` are used, so `renderGatewayResponseTemplate` can render every template. `instance`
 * has the doors' form, `<stage path>#<request id>`. `status` is omitted where the status is API Gateway's own
 * (DEFAULT_4XX / DEFAULT_5XX): no variable here says which, and RFC 9457 makes the member advisory.
 */
function problemTemplate(slug: string, title: string, status?: number, detail?: string): string {
  return [
    '{',
    `"type":"${TYPE_BASE}${slug}",`,
    `"title":${JSON.stringify(title)},`,
    status === undefined ? '' : `"status":${status},`,
    `"detail":${detail === undefined ? '$context.error.messageString' : JSON.stringify(detail)},`,
    '"instance":"$context.path#$context.requestId",',
    '"responseType":"$context.error.responseType"',
    '}',
  ].join('');
}

function definition(
  type: GatewayResponseType,
  problem: { slug: string; title: string; status?: number; detail?: string; retryAfterSeconds?: number },
): GatewayResponseDefinition {
  return {
    type,
    ...(problem.status !== undefined && { statusCode: String(problem.status) }),
    responseHeaders: {
      ...PROBLEM_HEADERS,
      ...(problem.retryAfterSeconds !== undefined && { 'Retry-After': `'${problem.retryAfterSeconds}'` }),
    },
    template: problemTemplate(problem.slug, problem.title, problem.status, problem.detail),
  };
}

/**
 * Every gateway response a Baton REST API customises. Types not listed fall back to DEFAULT_4XX / DEFAULT_5XX,
 * which keep API Gateway's status and answer a generic problem. The choices, and why, are in
 * docs/decisions/0006-owners-budgets-and-gateway-responses.md (gateway responses).
 */
export const PROBLEM_GATEWAY_RESPONSES: readonly GatewayResponseDefinition[] = [
  // The fallbacks: no statusCode, because setting one on a DEFAULT_* type changes every type it covers.
  definition('DEFAULT_4XX', { slug: 'gateway-refused', title: 'The gateway refused the request' }),
  definition('DEFAULT_5XX', { slug: 'gateway-error', title: 'The gateway could not serve the request' }),
  // Lambda refused the invoke (throttled: reserved concurrency is this service's cap; payload over 6 MB) or
  // the function failed. Throttling is the expected cause and retrying it is safe: 503 + Retry-After.
  definition('INTEGRATION_FAILURE', {
    slug: 'service-unavailable',
    title: 'The service is unavailable',
    status: 503,
    retryAfterSeconds: 2,
  }),
  // The door hands work over before the gateway's 29 s; this is the backstop if it ever did not.
  definition('INTEGRATION_TIMEOUT', {
    slug: 'integration-timeout',
    title: 'The service did not answer in time',
    status: 504,
  }),
  definition('THROTTLED', {
    slug: 'throttled',
    title: 'Too many requests',
    status: 429,
    retryAfterSeconds: 1,
  }),
  definition('REQUEST_TOO_LARGE', { slug: 'payload-too-large', title: 'Payload too large', status: 413 }),
  definition('ACCESS_DENIED', { slug: 'access-denied', title: 'Access denied', status: 403 }),
  // API Gateway answers this both for an unsigned request and for a path or method no resource serves, and
  // its message ("Missing Authentication Token") misleads in the second case: the detail says both.
  definition('MISSING_AUTHENTICATION_TOKEN', {
    slug: 'missing-authentication-token',
    title: 'Missing authentication token',
    status: 403,
    detail:
      'The request is not signed with AWS Signature Version 4, or no route serves its method and path ' +
      '(API Gateway answers both alike).',
  }),
  definition('INVALID_SIGNATURE', {
    slug: 'invalid-signature',
    title: 'The request signature is not valid',
    status: 403,
  }),
  definition('EXPIRED_TOKEN', {
    slug: 'expired-token',
    title: 'The security token has expired',
    status: 403,
  }),
  definition('UNAUTHORIZED', { slug: 'unauthenticated', title: 'No caller identity', status: 401 }),
  definition('BAD_REQUEST_BODY', {
    slug: 'validation-error',
    title: 'The request is not valid',
    status: 400,
  }),
  definition('BAD_REQUEST_PARAMETERS', {
    slug: 'validation-error',
    title: 'The request is not valid',
    status: 400,
  }),
];

/** The `$context` values a gateway response template may use. */
export interface GatewayResponseContext {
  /** `$context.requestId`. */
  readonly requestId: string;
  /** `$context.path`: the request path with the stage, e.g. `/prod/jobs/abc`. */
  readonly path: string;
  /** `$context.resourcePath`: the matched resource, e.g. `/jobs/{id}`; empty when none matched. */
  readonly resourcePath?: string;
  readonly error: {
    /** `$context.error.message`; rendered JSON-quoted as `$context.error.messageString`. */
    readonly message: string;
    /** `$context.error.responseType`. */
    readonly responseType: GatewayResponseType;
  };
}

const CONTEXT_VARIABLE =
  /\$context\.(error\.messageString|error\.responseType|requestId|resourcePath|path)\b/g;

/**
 * Renders a template as API Gateway does for the variables above: `$context.error.messageString` becomes the
 * message as a quoted JSON string, the others their plain value. Any other `$context` reference is left as
 * written (as Velocity leaves an undefined reference).
 */
export function renderGatewayResponseTemplate(template: string, context: GatewayResponseContext): string {
  return template.replace(CONTEXT_VARIABLE, (_match, name: string) => {
    switch (name) {
      case 'error.messageString':
        return JSON.stringify(context.error.message);
      case 'error.responseType':
        return context.error.responseType;
      case 'requestId':
        return context.requestId;
      case 'resourcePath':
        return context.resourcePath ?? '';
      default: // 'path'
        return context.path;
    }
  });
}

/**
 * The whole response for a definition: its status (or API Gateway's own, `defaultStatusCode`, when it sets
 * none), its headers with the single quotes of static values removed, and its rendered body.
 */
export function renderGatewayResponse(
  definition: GatewayResponseDefinition,
  context: GatewayResponseContext,
  defaultStatusCode: number,
): { statusCode: number; headers: Record<string, string>; body: string } {
  return {
    statusCode: definition.statusCode === undefined ? defaultStatusCode : Number(definition.statusCode),
    headers: Object.fromEntries(
      Object.entries(definition.responseHeaders).map(([name, value]) => [
        name,
        value.replace(/^'(.*)'$/, '$1'),
      ]),
    ),
    body: renderGatewayResponseTemplate(definition.template, context),
  };
}
