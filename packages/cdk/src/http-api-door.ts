import * as apigwv2 from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { DEFAULT_LOG_RETENTION } from './baton-function.js';
import { doorParameter } from './door-parameter.js';
import { accessLogFormat, HTTP_ROUTES } from './http-routes.js';

export interface HttpApiDoorProps {
  /** The function behind every route (payload format 2.0). */
  readonly handler: lambda.IFunction;
  readonly httpApiName: string;
  /** @default 'HTTP API door (IAM authorization on every route).' */
  readonly description?: string;
  /**
   * An SSM parameter by this name holds the default stage's URL, for clients to discover.
   * @default - no parameter
   */
  readonly parameterName?: string;
  /** Of the access log group. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The `http-api` door: an HTTP API with the routes of @baton/http, each behind the IAM authorizer, and a
 * `$default` stage with a JSON access log.
 */
export class HttpApiDoor extends Construct {
  readonly api: apigwv2.HttpApi;
  readonly stage: apigwv2.HttpStage;
  readonly accessLogs: logs.LogGroup;
  /** The stage's URL, ending with `/`. */
  readonly url: string;
  readonly parameter: ssm.StringParameter | undefined;

  constructor(scope: Construct, id: string, props: HttpApiDoorProps) {
    super(scope, id);
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: props.logRetention ?? DEFAULT_LOG_RETENTION,
    });
    this.api = new apigwv2.HttpApi(this, 'Api', {
      apiName: props.httpApiName,
      description: props.description ?? 'HTTP API door (IAM authorization on every route).',
      defaultAuthorizer: new HttpIamAuthorizer(),
      // The default stage is added below, with access logs (the default one cannot have them).
      createDefaultStage: false,
    });
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      accessLogSettings: {
        destination: new apigwv2.LogGroupLogDestination(this.accessLogs),
        format: accessLogFormat('http'),
      },
    });
    const integration = new HttpLambdaIntegration('HttpApiIntegration', props.handler);
    for (const route of HTTP_ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [route.method as apigwv2.HttpMethod], integration });
    }
    this.url = this.stage.url;
    this.parameter = doorParameter(
      this,
      props.parameterName,
      this.url,
      `The URL of ${props.httpApiName} (the http-api door; SigV4, service execute-api).`,
    );
  }

  /** Lets the grantee call every route (execute-api:Invoke). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['execute-api:Invoke'],
      resourceArns: [this.api.arnForExecuteApi('*', '/*', '*')],
    });
  }
}
