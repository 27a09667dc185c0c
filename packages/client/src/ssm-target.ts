import { GetParameterCommand, type GetParameterCommandOutput, SSMClient } from '@aws-sdk/client-ssm';
import { BatonClientError, BatonTransportError } from './errors.js';
import type { HttpTarget, InvokeTarget, SsmTarget } from './types.js';

export type ResolvedTarget = { readonly invoke: InvokeTarget } | { readonly http: HttpTarget };

/**
 * What a door parameter (`/baton/<name>/doors/<door>`, published by the CDK constructs) names: a URL is an
 * HTTP door, anything else a function name or ARN to invoke.
 */
export function targetFromParameterValue(
  value: string,
  ssm: SsmTarget,
  parameterRegion?: string,
): ResolvedTarget {
  const trimmed = value.trim();
  if (/^https?:\/\//i.test(trimmed)) {
    return {
      http: {
        url: trimmed,
        ...(ssm.iam !== undefined && { iam: ssm.iam }),
        ...(ssm.credentials !== undefined && { credentials: ssm.credentials }),
      },
    };
  }
  // A function ARN names its region; otherwise the parameter's region is the function's.
  const arnRegion = /^arn:aws[a-z-]*:lambda:([a-z0-9-]+):/.exec(trimmed)?.[1];
  const region = arnRegion ?? ssm.region ?? parameterRegion;
  return {
    invoke: {
      functionName: trimmed,
      ...(region !== undefined && { region }),
      ...(ssm.credentials !== undefined && { credentials: ssm.credentials }),
    },
  };
}

/** Reads the parameter once. A client made here is destroyed right after; one passed in is left alone. */
export async function resolveSsmTarget(ssm: SsmTarget, signal?: AbortSignal): Promise<ResolvedTarget> {
  const client =
    ssm.ssm ??
    new SSMClient({
      ...(ssm.region !== undefined && { region: ssm.region }),
      ...(ssm.credentials !== undefined && { credentials: ssm.credentials }),
    });
  try {
    let answer: GetParameterCommandOutput;
    try {
      answer = await client.send(
        new GetParameterCommand({ Name: ssm.name }),
        signal ? { abortSignal: signal } : {},
      );
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      throw new BatonTransportError(
        `Could not read the SSM parameter ${ssm.name}: ${(error as Error)?.message ?? String(error)}`,
        { cause: error, attempts: 1, ...(status !== undefined && { status }) },
      );
    }
    const value = answer.Parameter?.Value;
    if (value === undefined || value.trim() === '')
      throw new BatonClientError(`The SSM parameter ${ssm.name} has no value.`);
    let region: string | undefined;
    try {
      region = await client.config.region();
    } catch {
      // No region configured: the Lambda client will look for one itself.
    }
    return targetFromParameterValue(value, ssm, region);
  } finally {
    if (ssm.ssm === undefined) client.destroy();
  }
}
