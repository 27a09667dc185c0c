import { defineOperation, defineRegistry, randomIds, systemClock } from '@baton/core';
import { InMemoryJobDispatcher, InMemoryJobStore, testRegistry } from '@baton/core/testing';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { buildOpenApiDocument, createHttpApi } from '../../src/index.js';
import { HTTP_ROUTES, routeParameters, routePattern } from '../../src/routes.js';

const ALICE = 'arn:aws:iam::111122223333:user/alice';
const INFO = { title: 'test-service', version: '1.2.3' };

// biome-ignore lint/suspicious/noExplicitAny: a parsed JSON document, read by path in assertions.
type Json = Record<string, any>;

function callApi(method: string, path: string, basePath = '/prod') {
  const api = createHttpApi({
    deps: {
      registry: testRegistry,
      store: new InMemoryJobStore(),
      dispatcher: new InMemoryJobDispatcher(),
      clock: systemClock,
      ids: randomIds,
    },
    openApi: { title: 'test-service', version: '1.2.3' },
  });
  return api({
    method,
    path,
    basePath,
    headers: {},
    query: {},
    body: method === 'POST' ? '{}' : undefined,
    owner: ALICE,
    requestId: 'req-1',
    budgetMs: 1_000,
  });
}

describe('the route table', () => {
  it('has every route once, each with a name and a summary, GET /openapi.json among them', () => {
    const keys = HTTP_ROUTES.map((route) => `${route.method} ${route.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(HTTP_ROUTES.map((route) => route.operationId)).size).toBe(HTTP_ROUTES.length);
    expect(keys).toEqual([
      'POST /jobs',
      'GET /jobs',
      'GET /jobs/{id}',
      'POST /jobs/{id}/cancel',
      'GET /operations',
      'GET /openapi.json',
    ]);
    for (const route of HTTP_ROUTES) expect(route.summary.length).toBeGreaterThan(0);
  });

  it('compiles a template into a pattern with one group per parameter, dots taken literally', () => {
    expect(routeParameters('/jobs/{id}/cancel')).toEqual(['id']);
    expect(routePattern('/jobs/{id}/cancel').exec('/jobs/a%20b/cancel')?.slice(1)).toEqual(['a%20b']);
    expect(routePattern('/jobs/{id}').test('/jobs/a/b')).toBe(false);
    expect(routePattern('/openapi.json').test('/openapi.json')).toBe(true);
    expect(routePattern('/openapi.json').test('/openapiXjson')).toBe(false);
  });

  it('is the table the door routes by: every route is answered (never 404 or 405)', async () => {
    for (const route of HTTP_ROUTES) {
      const response = await callApi(route.method, route.path.replace('{id}', 'some-job'));
      const problem = JSON.parse(response.body) as { detail?: string };
      expect(response.statusCode, `${route.method} ${route.path}`).not.toBe(405);
      expect(problem.detail ?? '', `${route.method} ${route.path}`).not.toMatch(/^No route/);
    }
  });
});

describe('GET /openapi.json', () => {
  it("serves the service's OpenAPI document, its server the API as the caller reached it", async () => {
    const response = await callApi('GET', '/openapi.json');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const document = JSON.parse(response.body) as Json;
    expect(document).toMatchObject({ openapi: '3.1.0', info: INFO, servers: [{ url: '/prod' }] });
    expect(JSON.parse((await callApi('GET', '/openapi.json', '')).body).servers).toEqual([{ url: '/' }]);
  });
});

describe('buildOpenApiDocument', () => {
  const document = buildOpenApiDocument(testRegistry, INFO) as Json;
  const schemas = document.components.schemas as Json;

  it('describes every route of the route table, each behind SigV4', () => {
    const described = Object.entries(document.paths as Json).flatMap(([path, item]) =>
      Object.entries(item as Json).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(described.map(({ method, path }) => `${method.toUpperCase()} ${path}`).sort()).toEqual(
      HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).sort(),
    );
    for (const { operation } of described) expect(operation.security).toEqual([{ sigv4: [] }]);
    expect(document.components.securitySchemes.sigv4).toMatchObject({
      type: 'apiKey',
      name: 'Authorization',
      in: 'header',
      'x-amazon-apigateway-authtype': 'awsSigv4',
    });
    expect(document.security).toEqual([{ sigv4: [] }]);
  });

  it('takes POST /jobs as a oneOf over the operations, discriminated by operation', () => {
    const names = testRegistry.names;
    const body = schemas.SubmitJobRequest;
    expect(body.oneOf).toHaveLength(names.length);
    expect(Object.keys(body.discriminator.mapping).sort()).toEqual([...names].sort());
    expect(body.discriminator.propertyName).toBe('operation');
    expect(schemas.GreetRequest.properties).toEqual({
      operation: { type: 'string', const: 'greet' },
      input: { $ref: '#/components/schemas/GreetInput' },
      meta: { $ref: '#/components/schemas/RequestMeta' },
    });
    expect(schemas.GreetInput).not.toHaveProperty('$schema');
    expect(schemas.GreetInput.properties.name).toMatchObject({ type: 'string', minLength: 1 });
    const post = document.paths['/jobs'].post;
    expect(post.parameters.map((p: Json) => p.$ref.split('/').pop())).toEqual([
      'Prefer',
      'IdempotencyKey',
      'CorrelationId',
    ]);
    expect(post.responses['200'].content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/SubmitJobCompleted',
    });
    expect(schemas.SubmitJobCompleted.oneOf).toHaveLength(names.length);
    expect(Object.keys(post.responses['202'].headers)).toEqual([
      'Location',
      'Retry-After',
      'Preference-Applied',
      'X-Correlation-Id',
    ]);
    for (const response of Object.values(document.components.responses as Json)) {
      expect(response.headers['X-Correlation-Id']).toEqual({ $ref: '#/components/headers/CorrelationId' });
    }
    expect(post.responses['400']).toEqual({ $ref: '#/components/responses/BadRequest' });
    expect(document.components.responses.BadRequest.content).toEqual({
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
    });
  });

  it('describes problems as problem.ts makes them: errors of { pointer, detail, code }', () => {
    expect(schemas.Problem.required).toEqual(['type', 'title', 'status', 'detail', 'instance']);
    expect(schemas.Problem.properties.errors.items.required).toEqual(['pointer', 'detail', 'code']);
    expect(document.components.parameters.CorrelationId).toMatchObject({
      name: 'X-Correlation-Id',
      in: 'header',
    });
  });

  it('is the same document for the same registry, whatever order the operations were registered in', () => {
    const reversed = defineRegistry([...Object.values(testRegistry.operations)].reverse());
    expect(JSON.stringify(buildOpenApiDocument(reversed, INFO))).toBe(JSON.stringify(document));
  });

  it("moves a schema's $defs to components of their own, and points its references there", () => {
    interface Node {
      value: number;
      children: Node[];
    }
    const NodeSchema: z.ZodType<Node> = z.object({
      value: z.number(),
      get children() {
        return z.array(NodeSchema);
      },
    });
    const Tree = z.object({ root: NodeSchema, label: z.string() });
    const registry = defineRegistry([
      defineOperation({
        name: 'walk-tree',
        description: 'Walks a tree.',
        input: Tree,
        output: z.object({ count: z.int() }),
        run: async () => ({ count: 0 }),
      }),
    ]);
    const built = buildOpenApiDocument(registry, INFO) as Json;
    const text = JSON.stringify(built);
    expect(text).not.toContain('#/$defs/');
    const refs = [...text.matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((match) => match[1]);
    for (const name of refs) expect(built.components.schemas).toHaveProperty([name as string]);
    expect(Object.keys(built.components.schemas)).toContain('WalkTreeInput');
  });
});
