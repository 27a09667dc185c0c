import type * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { doorParameter } from './door-parameter.js';

export interface FunctionUrlDoorProps {
  readonly handler: lambda.IFunction;
  /**
   * An SSM parameter by this name holds the URL, for clients to discover.
   * @default - no parameter
   */
  readonly parameterName?: string;
}

/** The `function-url` door: the function's URL, auth type AWS_IAM. */
export class FunctionUrlDoor extends Construct {
  readonly functionUrl: lambda.FunctionUrl;
  /** The URL, ending with `/`. */
  readonly url: string;
  readonly parameter: ssm.StringParameter | undefined;
  private readonly handler: lambda.IFunction;

  constructor(scope: Construct, id: string, props: FunctionUrlDoorProps) {
    super(scope, id);
    this.handler = props.handler;
    this.functionUrl = new lambda.FunctionUrl(this, 'Url', {
      function: props.handler,
      authType: lambda.FunctionUrlAuthType.AWS_IAM,
    });
    this.url = this.functionUrl.url;
    this.parameter = doorParameter(
      this,
      props.parameterName,
      this.url,
      'The function URL (the function-url door; SigV4, service lambda).',
    );
  }

  /** Lets the grantee call the URL (lambda:InvokeFunctionUrl, and lambda:InvokeFunction through the URL only). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.handler.grantInvokeUrl(grantee);
  }
}
