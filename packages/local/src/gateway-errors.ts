import {
  type GatewayResponseDefinition,
  type GatewayResponseType,
  renderGatewayResponse,
} from '@baton/api-gateway';
import type { IncomingCall, Reply } from './front-door.js';
import { headerValue, queryPairs } from './front-door.js';

/**
 * The one way the REST API emulator answers an error of its own — one API Gateway produces, not the function:
 * as the API's gateway responses (`AWS::ApiGateway::GatewayResponse`) say, or, for a type the API does not
 * customise, as API Gateway does by default.
 *
 * API Gateway's rules, as documented for gateway response types:
 * - a definition for the error's own type wins; without a `statusCode` it answers the type's documented status;
 * - else DEFAULT_4XX or DEFAULT_5XX, by the status class of the error, supplies headers and body; its
 *   `statusCode`, when set, replaces the status of every type it covers;
 * - else API Gateway's own answer: `{"message": …}` with its status and `x-amzn-ErrorType`.
 *
 * One quirk is kept: a throttled or refused invoke (INTEGRATION_FAILURE) answers 500 while the API customises
 * nothing, but the type's documented status, 504, once an INTEGRATION_FAILURE response is defined without a
 * `statusCode` — as observed on AWS.
 */

/** The documented default status of each gateway response type (DEFAULT_4XX/5XX have none). */
const TYPE_STATUS: Record<GatewayResponseType, number | undefined> = {
  ACCESS_DENIED: 403,
  API_CONFIGURATION_ERROR: 500,
  AUTHORIZER_CONFIGURATION_ERROR: 500,
  AUTHORIZER_FAILURE: 500,
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  DEFAULT_4XX: undefined,
  DEFAULT_5XX: undefined,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_API_KEY: 403,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  QUOTA_EXCEEDED: 429,
  REQUEST_TOO_LARGE: 413,
  RESOURCE_NOT_FOUND: 404,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
  UNSUPPORTED_MEDIA_TYPE: 415,
  WAF_FILTERED: 403,
};

/** An error the gateway answers itself. */
export interface GatewayError {
  /**
   * The gateway response type; `DEFAULT_5XX` for an error no specific type covers (a function error or a
   * malformed proxy result, answered 502); `undefined` where no gateway response can apply (a path outside the
   * stage: no deployment is reached).
   */
  type: GatewayResponseType | undefined;
  /** What API Gateway answers when the API customises nothing. */
  status: number;
  /** `$context.error.message`; the default body is `{"message": <it>}`. */
  message: string;
  /** `x-amzn-ErrorType`, when API Gateway sends one. */
  errorType?: string;
  /** Why, for the access log. */
  detail: string;
}

/** Where the error happened, for the templates' `$context` variables. */
export interface GatewayErrorContext {
  call: IncomingCall;
  /** `$context.resourcePath`: `/` or `/{proxy+}`; empty when no resource was matched. */
  resourcePath: string;
  /** `{proxy}` when the `/{proxy+}` resource matched (for `method.request.path.proxy`). */
  proxy?: string;
  /** Headers every answer carries (request ids, the trace header), after the response's own. */
  headers: Array<[string, string]>;
}

/** Checks definitions before the emulator starts, so a typo fails the start rather than the first error. */
export function validateGatewayResponses(
  title: string,
  definitions: readonly GatewayResponseDefinition[],
): void {
  if (!Array.isArray(definitions)) {
    throw new Error(
      `${title}: gatewayResponses must be an array of { type, statusCode?, responseHeaders, template }`,
    );
  }
  const seen = new Set<string>();
  definitions.forEach((definition, index) => {
    const where = `${title}: gatewayResponses[${index}]`;
    if (!(definition?.type in TYPE_STATUS)) {
      throw new Error(
        `${where}.type must be a gateway response type such as DEFAULT_4XX or INTEGRATION_FAILURE, got ${JSON.stringify(definition?.type)}`,
      );
    }
    if (seen.has(definition.type)) throw new Error(`${where}: ${definition.type} is defined twice`);
    seen.add(definition.type);
    if (definition.statusCode !== undefined && !/^[1-5]\d\d$/.test(definition.statusCode)) {
      throw new Error(
        `${where}.statusCode must be a status code as a string, such as '503', got ${JSON.stringify(definition.statusCode)}`,
      );
    }
    const headers = definition.responseHeaders;
    if (
      typeof headers !== 'object' ||
      headers === null ||
      !Object.values(headers).every((value) => typeof value === 'string')
    ) {
      throw new Error(
        `${where}.responseHeaders must map header names to strings ("'static'" or method.request.header.Name)`,
      );
    }
    if (typeof definition.template !== 'string') throw new Error(`${where}.template must be a string`);
  });
}

/** The reply for a gateway error under the API's gateway responses (see the module comment). */
export function gatewayErrorReply(
  definitions: readonly GatewayResponseDefinition[],
  error: GatewayError,
  context: GatewayErrorContext,
): Reply {
  const errorTypeHeader: Array<[string, string]> = error.errorType
    ? [['x-amzn-ErrorType', error.errorType]]
    : [];
  const chosen = error.type === undefined ? undefined : choose(definitions, error.type, error.status);
  if (chosen === undefined) {
    return {
      status: error.status,
      headers: [['content-type', 'application/json'], ...context.headers, ...errorTypeHeader],
      body: Buffer.from(JSON.stringify({ message: error.message })),
      detail: error.detail,
    };
  }
  const rendered = renderGatewayResponse(
    chosen.definition,
    {
      requestId: context.call.requestId,
      path: context.call.rawPath,
      resourcePath: context.resourcePath,
      error: { message: error.message, responseType: error.type as GatewayResponseType },
    },
    chosen.status,
  );
  const own: Array<[string, string]> = [];
  for (const [name, raw] of Object.entries(chosen.definition.responseHeaders)) {
    const header = name.replace(/^gatewayresponse\.header\./i, '');
    // Static values come from the renderer (quotes removed); mappings are looked up in the request.
    const value = /^'.*'$/s.test(raw) ? rendered.headers[name] : mappedValue(raw, context);
    if (value !== undefined) own.push([header, value]);
  }
  if (!own.some(([name]) => name.toLowerCase() === 'content-type')) {
    own.unshift(['content-type', 'application/json']);
  }
  const overridden = new Set(own.map(([name]) => name.toLowerCase()));
  return {
    status: rendered.statusCode,
    headers: [
      ...own,
      ...[...context.headers, ...errorTypeHeader].filter(([name]) => !overridden.has(name.toLowerCase())),
    ],
    body: Buffer.from(rendered.body),
    detail: `${error.detail} (gateway response ${chosen.definition.type})`,
  };
}

/** The definition that answers an error of this type, and the status it answers with; undefined for AWS's own. */
function choose(
  definitions: readonly GatewayResponseDefinition[],
  type: GatewayResponseType,
  defaultStatus: number,
): { definition: GatewayResponseDefinition; status: number } | undefined {
  const own = definitions.find((definition) => definition.type === type);
  if (own !== undefined) return { definition: own, status: TYPE_STATUS[type] ?? defaultStatus };
  const fallback = definitions.find(
    (definition) => definition.type === (defaultStatus < 500 ? 'DEFAULT_4XX' : 'DEFAULT_5XX'),
  );
  if (fallback === undefined) return undefined;
  return {
    definition: fallback,
    status: fallback.statusCode === undefined ? defaultStatus : Number(fallback.statusCode),
  };
}

/**
 * A gateway response header mapped from the request (`method.request.header.Origin`,
 * `method.request.querystring.x`, `method.request.path.proxy`) or the context (`context.requestId`);
 * undefined when the request has no such value (API Gateway then leaves the header out).
 */
function mappedValue(expression: string, context: GatewayErrorContext): string | undefined {
  const [source, kind, ...rest] = expression.split('.');
  const name = rest.join('.');
  if (source === 'context') {
    const key = [kind, ...rest].join('.');
    if (key === 'requestId') return context.call.requestId;
    if (key === 'path') return context.call.rawPath;
    if (key === 'resourcePath') return context.resourcePath;
    if (key === 'httpMethod') return context.call.method;
    return undefined;
  }
  if (source !== 'method' || kind !== 'request') return undefined;
  const [where, ...nameParts] = name.split('.');
  const key = nameParts.join('.');
  switch (where) {
    case 'header':
    case 'multivalueheader':
      return headerValue(context.call.request, key.toLowerCase());
    case 'querystring':
    case 'multivaluequerystring':
      return queryPairs(context.call.rawQuery).findLast(([param]) => param === key)?.[1];
    case 'path':
      return key === 'proxy' ? context.proxy : undefined;
    default:
      return undefined;
  }
}
