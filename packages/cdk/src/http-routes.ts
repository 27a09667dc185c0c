import * as apigw from 'aws-cdk-lib/aws-apigateway';

/** The HTTP routes of @baton/http (packages/http/src/http-api.ts), as the REST API and the HTTP API declare them. */
export const HTTP_ROUTES = [
  { path: '/jobs', method: 'POST' },
  { path: '/jobs', method: 'GET' },
  { path: '/jobs/{id}', method: 'GET' },
  { path: '/jobs/{id}/cancel', method: 'POST' },
  { path: '/operations', method: 'GET' },
] as const;

/**
 * One JSON line per request, with the caller's IAM ARN (the job owner) and where time went. The REST and HTTP
 * APIs know different variables: only the HTTP API has a route key, only the REST API a resource path.
 */
export function accessLogFormat(kind: 'rest' | 'http'): apigw.AccessLogFormat {
  return apigw.AccessLogFormat.custom(
    JSON.stringify({
      requestId: '$context.requestId',
      requestTime: '$context.requestTime',
      caller: '$context.identity.userArn',
      sourceIp: '$context.identity.sourceIp',
      method: '$context.httpMethod',
      ...(kind === 'rest' ? { resource: '$context.resourcePath' } : { route: '$context.routeKey' }),
      path: '$context.path',
      status: '$context.status',
      protocol: '$context.protocol',
      responseLength: '$context.responseLength',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      integrationStatus: '$context.integrationStatus',
      integrationError: '$context.integrationErrorMessage',
      error: '$context.error.message',
    }),
  );
}
