import {
  APIGatewayEventRequestContextSchema,
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
  APIGatewayRequestAuthorizerV2Schema,
  APIGatewayRequestContextV2Schema,
} from '@aws-lambda-powertools/parser/schemas';
import * as z from 'zod';

/**
 * The Powertools parser's own event schemas, picked down with zod's `.pick` to exactly the fields the doors read:
 * what the doors' hand-written event checks (src/lambda-events.ts) must accept and refuse, event for event. The
 * doors checked events with these until docs/decisions/0012-a-fast-door-and-a-small-bundle.md; the tests hold the
 * checks to them, and the bench compares the two.
 */

/** REST `requestContext`: zod 4 refuses `.pick` on a refined object; its one refine is about WebSocket fields. */
const restContext = z.object(APIGatewayEventRequestContextSchema.shape);
const [lambdaAuthorizer, cognitoAuthorizer] = restContext.shape.authorizer.unwrap().unwrap().options;

/** The REST API (v1) proxy event fields the door reads (what `fromRestEvent` must agree with). */
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
 * The HTTP API (v2) / Function URL event fields the door reads (what `fromRestEvent` must agree with).
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
