import * as apigw from 'aws-cdk-lib/aws-apigateway';

/**
 * The HTTP routes every HTTP door serves, as the REST API and the HTTP API declare them: @baton/http's route
 * table itself, read from its import-free subpath (docs/decisions/0017-openapi-from-the-route-table.md), so a
 * route the door serves is a route the gateway has. Each is `{ method, path, operationId, summary }`.
 */
export { HTTP_ROUTES } from '@baton/http/routes';

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
