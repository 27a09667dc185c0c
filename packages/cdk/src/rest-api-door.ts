import { type GatewayResponseDefinition, PROBLEM_GATEWAY_RESPONSES } from '@baton/api-gateway';
import { Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DEFAULT_LOG_RETENTION } from './baton-function.js';
import { doorParameter } from './door-parameter.js';
import { accessLogFormat, HTTP_ROUTES } from './http-routes.js';

export const REST_API_STAGE = 'prod';

export interface RestApiDoorProps {
  /** The function behind every route (Lambda proxy integration). */
  readonly handler: lambda.IFunction;
  readonly restApiName: string;
  /** @default 'REST API door (IAM authorization on every method).' */
  readonly description?: string;
  /**
   * An SSM parameter by this name holds the stage's URL, for clients to discover.
   * @default - no parameter
   */
  readonly parameterName?: string;
  /**
   * Deploy the regional API Gateway account setting: the role API Gateway writes REST access logs with. One per
   * account and region: turn it off where the account already has one, so this API does not replace it.
   * @default true
   */
  readonly accountRole?: boolean;
  /** Of the access log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What API Gateway answers when it refuses or fails a request itself.
   * @default PROBLEM_GATEWAY_RESPONSES of @baton/api-gateway - application/problem+json, as the functions answer
   */
  readonly gatewayResponses?: readonly GatewayResponseDefinition[];
}

/**
 * The `rest-api` door: a regional REST API with the routes of @baton/http, AWS_IAM authorization and the request
 * validator on every method, a JSON access log, X-Ray, and problem+json gateway responses.
 */
export class RestApiDoor extends Construct {
  readonly api: apigw.RestApi;
  readonly accessLogs: logs.LogGroup;
  /** The stage's URL, ending with `/`. */
  readonly url: string;
  readonly parameter: ssm.StringParameter | undefined;

  constructor(scope: Construct, id: string, props: RestApiDoorProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
    });
    const api = new apigw.RestApi(this, 'Api', {
      restApiName: props.restApiName,
      description: props.description ?? 'REST API door (IAM authorization on every method).',
      // Regional: the only kind whose 29 s integration timeout can be raised by quota request.
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // REST access logs need API Gateway's account-level CloudWatch role; see the acknowledgment below.
      cloudWatchRole: props.accountRole ?? true,
      deployOptions: {
        stageName: REST_API_STAGE,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: accessLogFormat('rest'),
        tracingEnabled: true,
      },
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
    });
    this.api = api;
    // cdk-nag (APIG2) wants a validator that checks parameters and bodies. Parameters are checked here (the
    // job id is required). Bodies have no gateway model on purpose: the domain validates them against each
    // operation's zod schema and answers problem+json with JSON pointers, locally and in the cloud alike; a
    // gateway model would be a weaker copy answering in another format.
    const validator = api.addRequestValidator('RequestValidator', {
      requestValidatorName: 'parameters-and-bodies',
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integration = new apigw.LambdaIntegration(props.handler, { proxy: true, allowTestInvoke: false });
    for (const route of HTTP_ROUTES) {
      const resource = api.root.resourceForPath(route.path);
      const pathParameters = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      resource.addMethod(route.method, integration, {
        authorizationType: apigw.AuthorizationType.IAM,
        requestValidator: validator,
        requestParameters: Object.fromEntries(
          pathParameters.map((name) => [`method.request.path.${name}`, true]),
        ),
      });
    }
    addGatewayResponses(api, props.gatewayResponses ?? PROBLEM_GATEWAY_RESPONSES);
    acknowledgeFindings(api);
    this.url = api.url;
    this.parameter = doorParameter(
      this,
      props.parameterName,
      this.url,
      `The URL of ${props.restApiName}'s stage ${REST_API_STAGE} (the rest-api door; SigV4, service execute-api).`,
    );
  }

  /** Lets the grantee call every route of the stage (execute-api:Invoke). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi('*', '/*', this.api.deploymentStage.stageName)],
    });
  }
}

const pascal = (text: string) => text.replace(/(^|[-_])(\w)/g, (_, _sep, c: string) => c.toUpperCase());

/**
 * What the REST API answers when API Gateway itself refuses or fails a request (unsigned, throttled, Lambda
 * refused the invoke, …), so every answer is application/problem+json (decision 0006). CDK folds them into the
 * deployment's logical id, so a change redeploys the stage. An HTTP API has no gateway responses: AWS offers none.
 */
function addGatewayResponses(api: apigw.RestApi, responses: readonly GatewayResponseDefinition[]): void {
  for (const response of responses) {
    api.addGatewayResponse(`GatewayResponse${pascal(response.type.toLowerCase())}`, {
      type: apigw.ResponseType.of(response.type),
      ...(response.statusCode !== undefined && { statusCode: response.statusCode }),
      responseHeaders: { ...response.responseHeaders },
      templates: { 'application/json': response.template },
    });
  }
}

/** The AwsSolutions findings the REST door answers by design, each with its reason next to the resource. */
function acknowledgeFindings(api: apigw.RestApi): void {
  Validations.of(api.deploymentStage).acknowledge(
    {
      id: 'AwsSolutions-APIG3',
      reason:
        'No WAF web ACL: every method requires IAM (SigV4) authorization, so API Gateway refuses unsigned ' +
        'requests before any integration runs, and reserved concurrency caps what signed callers can spend. ' +
        'A web ACL (≈ $6/month at rest) is worth adding for callers outside the owning organisation.',
    },
    {
      id: 'AwsSolutions-APIG6',
      reason:
        'Execution logging stays off: the JSON access log records every request (caller, status, latency, ' +
        'integration error) and the function logs every request itself; execution logs would go to a log group ' +
        'API Gateway creates outside this stack, with no retention.',
    },
  );
  for (const method of api.methods) {
    Validations.of(method).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Callers are AWS principals authorized by IAM (AWS_IAM on every method), not Cognito users: the ' +
        "job owner is the caller's IAM ARN.",
    });
  }
  const cloudWatchRole = api.node.tryFindChild('CloudWatchRole');
  if (cloudWatchRole) {
    Validations.of(cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        "API Gateway's account-level logging role is assumed only by apigateway.amazonaws.com and needs to " +
        'create and write log groups API Gateway names itself; AmazonAPIGatewayPushToCloudWatchLogs is the ' +
        'policy AWS documents for it and maintains.',
    });
  }
}
