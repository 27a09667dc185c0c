import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { doorParameter } from './door-parameter.js';

export interface InvokeDoorProps {
  readonly handler: lambda.IFunction;
  /**
   * An SSM parameter by this name holds the function's name, for clients to discover.
   * @default - no parameter
   */
  readonly parameterName?: string;
}

/**
 * The `invoke` door (direct Lambda Invoke, RPC). It needs no resource of its own: lambda:InvokeFunction on the
 * function is the authorization. Only the parameter naming the function is made here.
 */
export class InvokeDoor extends Construct {
  readonly functionName: string;
  readonly parameter: ssm.StringParameter | undefined;
  private readonly handler: lambda.IFunction;

  constructor(scope: Construct, id: string, props: InvokeDoorProps) {
    super(scope, id);
    this.handler = props.handler;
    this.functionName = props.handler.functionName;
    this.parameter = doorParameter(
      this,
      props.parameterName,
      this.functionName,
      'The name of the function to invoke (the invoke door; lambda:InvokeFunction). The caller is asserted ' +
        'in the client context: grant it to trusted services only.',
    );
  }

  /** Lets the grantee invoke the function (lambda:InvokeFunction). */
  grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.handler.grantInvoke(grantee);
  }
}
