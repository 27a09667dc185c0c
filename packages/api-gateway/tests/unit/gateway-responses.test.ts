import { describe, expect, it } from 'vitest';
import {
  type GatewayResponseContext,
  type GatewayResponseType,
  PROBLEM_GATEWAY_RESPONSES,
  renderGatewayResponse,
  renderGatewayResponseTemplate,
} from '../../src/index.js';

/**
 * API Gateway's own status for each type (its "Gateway response types" table). The fallbacks have none of
 * their own: they keep the status of whatever they cover, here a sample one.
 */
const API_GATEWAY_STATUS: Partial<Record<GatewayResponseType, number>> = {
  ACCESS_DENIED: 403,
  BAD_REQUEST_BODY: 400,
  BAD_REQUEST_PARAMETERS: 400,
  DEFAULT_4XX: 404,
  DEFAULT_5XX: 500,
  EXPIRED_TOKEN: 403,
  INTEGRATION_FAILURE: 504,
  INTEGRATION_TIMEOUT: 504,
  INVALID_SIGNATURE: 403,
  MISSING_AUTHENTICATION_TOKEN: 403,
  REQUEST_TOO_LARGE: 413,
  THROTTLED: 429,
  UNAUTHORIZED: 401,
};

const EXPECTED: Record<string, { status: number; retryAfter?: string }> = {
  DEFAULT_4XX: { status: 404 },
  DEFAULT_5XX: { status: 500 },
  INTEGRATION_FAILURE: { status: 503, retryAfter: '2' },
  INTEGRATION_TIMEOUT: { status: 504 },
  THROTTLED: { status: 429, retryAfter: '1' },
  REQUEST_TOO_LARGE: { status: 413 },
  ACCESS_DENIED: { status: 403 },
  MISSING_AUTHENTICATION_TOKEN: { status: 403 },
  INVALID_SIGNATURE: { status: 403 },
  EXPIRED_TOKEN: { status: 403 },
  UNAUTHORIZED: { status: 401 },
  BAD_REQUEST_BODY: { status: 400 },
  BAD_REQUEST_PARAMETERS: { status: 400 },
};

const contextFor = (responseType: GatewayResponseType): GatewayResponseContext => ({
  requestId: '89f9261a-2765-4d49-b72e-f76726991e44',
  path: '/prod/jobs/abc',
  resourcePath: '/jobs/{id}',
  // A message with the characters a JSON string must escape.
  error: { message: 'Something "quoted" \\ and\nnew line', responseType },
});

describe('the problem gateway responses of a REST API', () => {
  it('covers each type the service customises, once', () => {
    const types = PROBLEM_GATEWAY_RESPONSES.map((definition) => definition.type);
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(PROBLEM_GATEWAY_RESPONSES.map((definition) => [definition.type, definition] as const))(
    '%s renders as valid problem+json with the right status',
    (type, definition) => {
      const expected = EXPECTED[type];
      if (!expected) throw new Error(`no expectation for ${type}`);
      // Templates use only the variables an emulator can render.
      const variables = definition.template.match(/\$[!{]?context\.[\w.]+/g) ?? [];
      for (const variable of variables)
        expect([
          '$context.requestId',
          '$context.error.messageString',
          '$context.error.responseType',
          '$context.path',
          '$context.resourcePath',
        ]).toContain(variable);
      // Static header values are single-quoted, as API Gateway takes them.
      for (const value of Object.values(definition.responseHeaders)) expect(value).toMatch(/^'[^']*'$/);

      const response = renderGatewayResponse(definition, contextFor(type), API_GATEWAY_STATUS[type] ?? 500);
      expect(response.statusCode).toBe(expected.status);
      expect(response.headers['Content-Type']).toBe('application/problem+json');
      expect(response.headers['Retry-After']).toBe(expected.retryAfter);
      const problem = JSON.parse(response.body);
      expect(problem).toMatchObject({
        type: expect.stringMatching(/^https:\/\/baton\.dev\/problems\/[a-z]+(-[a-z]+)*$/),
        title: expect.any(String),
        detail: expect.any(String),
        instance: '/prod/jobs/abc#89f9261a-2765-4d49-b72e-f76726991e44',
        responseType: type,
      });
      // A fallback keeps API Gateway's status for whatever it covers, so its body cannot name one.
      if (definition.statusCode === undefined) expect(problem).not.toHaveProperty('status');
      else expect(problem.status).toBe(Number(definition.statusCode));
      expect(response.body).not.toContain('$context');
    },
  );

  it('carries API Gateway’s message as the detail, except where it misleads', () => {
    const throttled = PROBLEM_GATEWAY_RESPONSES.find((definition) => definition.type === 'THROTTLED');
    const missing = PROBLEM_GATEWAY_RESPONSES.find(
      (definition) => definition.type === 'MISSING_AUTHENTICATION_TOKEN',
    );
    if (!throttled || !missing) throw new Error('missing definitions');
    expect(
      JSON.parse(renderGatewayResponseTemplate(throttled.template, contextFor('THROTTLED'))).detail,
    ).toBe('Something "quoted" \\ and\nnew line');
    expect(
      JSON.parse(renderGatewayResponseTemplate(missing.template, contextFor('MISSING_AUTHENTICATION_TOKEN')))
        .detail,
    ).toMatch(/not signed.*or no route/);
  });

  it('renders the supported variables, and leaves any other reference as written', () => {
    expect(
      renderGatewayResponseTemplate(
        '$context.resourcePath|$context.path|$context.requestId|$context.error.responseType|$context.error.messageString|$context.stage',
        contextFor('THROTTLED'),
      ),
    ).toBe(
      '/jobs/{id}|/prod/jobs/abc|89f9261a-2765-4d49-b72e-f76726991e44|THROTTLED|"Something \\"quoted\\" \\\\ and\\nnew line"|$context.stage',
    );
  });
});
