// The routes every HTTP door serves, as data. This module imports nothing, so that the CDK constructs (which
// declare each route on API Gateway) and the OpenAPI document read the very list the door routes by, without
// loading the door's code: one list, three readers, nothing to drift (docs/decisions/0017).

/** One route of the HTTP API every HTTP door serves. */
export interface HttpRoute {
  readonly method: 'GET' | 'POST';
  /** A path template, as API Gateway and OpenAPI write them: `/jobs/{id}`. */
  readonly path: string;
  /** The route's name: the OpenAPI operationId, and the key the door finds its handler by. */
  readonly operationId: string;
  readonly summary: string;
}

/**
 * The routes, in the order the door tries them. A route added here is declared on API Gateway by the CDK
 * constructs, described in the OpenAPI document and — since the door's handlers are keyed by operationId and
 * checked by the compiler — must be handled by the door.
 */
export const HTTP_ROUTES = [
  {
    method: 'POST',
    path: '/jobs',
    operationId: 'submitJob',
    summary: 'Run an operation: its result within the budget, or a job to poll',
  },
  { method: 'GET', path: '/jobs', operationId: 'listJobs', summary: "The caller's jobs, newest first" },
  {
    method: 'GET',
    path: '/jobs/{id}',
    operationId: 'getJob',
    summary: 'One job: status, progress, result or error',
  },
  {
    method: 'POST',
    path: '/jobs/{id}/cancel',
    operationId: 'cancelJob',
    summary: 'Cancel a job: a queued one at once, a running one when its operation stops',
  },
  {
    method: 'GET',
    path: '/operations',
    operationId: 'listOperations',
    summary: 'The operations, with the JSON Schemas of their inputs and outputs',
  },
  {
    method: 'GET',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: "This service's OpenAPI 3.1 document",
  },
] as const satisfies readonly HttpRoute[];

/** The name of a route of HTTP_ROUTES. */
export type HttpRouteId = (typeof HTTP_ROUTES)[number]['operationId'];

/** The names of a route template's parameters, in order: `/jobs/{id}/cancel` → `['id']`. */
export function routeParameters(path: string): string[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1] as string);
}

/**
 * A route template as a regular expression matching a path without a trailing slash, one capture group per
 * parameter (a single path segment, still percent-encoded): `/jobs/{id}` → `^\/jobs\/([^/]+)$`.
 */
export function routePattern(path: string): RegExp {
  const source = path
    .split(/(\{\w+\})/)
    .map((part) => (/^\{\w+\}$/.test(part) ? '([^/]+)' : part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}
