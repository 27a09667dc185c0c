import * as ssm from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';

/**
 * The SSM parameter that publishes where a door is (its URL, or for `invoke` the function's name), so a client
 * finds a service by a friendly, stable name (`doorParameterName` of @baton/service) rather than a generated URL.
 */
export function doorParameter(
  scope: Construct,
  parameterName: string | undefined,
  value: string,
  description: string,
): ssm.StringParameter | undefined {
  if (parameterName === undefined) return undefined;
  return new ssm.StringParameter(scope, 'Parameter', {
    parameterName,
    stringValue: value,
    description,
    tier: ssm.ParameterTier.STANDARD,
  });
}
