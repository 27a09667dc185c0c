import { HTTP_ROUTES as TABLE } from '@baton/http/routes';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { HTTP_ROUTES, HttpApiDoor, RestApiDoor } from '../../src/index.js';

/** Both API Gateway doors on one stub function: no bundling, only the routes they declare. */
function synthesizeDoors() {
  const stack = new Stack(new App(), 'Doors');
  const handler = new lambda.Function(stack, 'Api', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
  });
  new RestApiDoor(stack, 'Rest', { handler, restApiName: 'routes-rest' });
  new HttpApiDoor(stack, 'Http', { handler, httpApiName: 'routes-http' });
  return Template.fromStack(stack);
}

describe('HTTP_ROUTES', () => {
  it("is @baton/http's route table itself, read from its import-free subpath", () => {
    expect(HTTP_ROUTES).toBe(TABLE);
    expect(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`)).toEqual([
      'POST /jobs',
      'GET /jobs',
      'GET /jobs/{id}',
      'POST /jobs/{id}/cancel',
      'GET /operations',
      'GET /openapi.json',
    ]);
  });

  it('is what both API Gateway doors declare: six routes each, GET /openapi.json among them', () => {
    const template = synthesizeDoors();
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey as string,
    );
    expect(routeKeys.sort()).toEqual(HTTP_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    template.resourceCountIs('AWS::ApiGateway::Method', 6);
    template.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'openapi.json' });
  });
});
