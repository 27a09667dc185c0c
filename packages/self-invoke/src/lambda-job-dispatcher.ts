import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { DispatchMessage, JobDispatcher } from '@baton/core';
import { toJobRunEvent } from './job-run-event.js';

let sharedClient: LambdaClient | undefined;

/**
 * One Lambda client per execution environment, built on first use: connection reuse across warm invocations,
 * and no client construction on a cold start that never dispatches. Endpoint and region come from the SDK's
 * standard configuration (AWS_ENDPOINT_URL_LAMBDA, AWS_REGION), so the same code runs locally and on AWS.
 */
export function sharedLambdaClient(): LambdaClient {
  sharedClient ??= new LambdaClient({});
  return sharedClient;
}

/** The running function's own name, as Lambda sets it (the same value as `context.functionName`). */
export function ownFunctionName(): string {
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME;
  if (!name) throw new Error('AWS_LAMBDA_FUNCTION_NAME is not set: not running in a Lambda environment.');
  return name;
}

export interface LambdaJobDispatcherOptions {
  /** The function that runs jobs: a name, an ARN, or a function giving one at dispatch time. */
  readonly functionName: string | (() => string);
  readonly client?: LambdaClient;
}

/**
 * Hands a job to a Lambda function with an asynchronous (`Event`) invocation carrying only the job's id,
 * hop and correlation id. Lambda answers 202 once it has queued the event; anything else is a failed
 * dispatch, which the use case turns into a failed job rather than a job left queued with nobody coming.
 */
export class LambdaJobDispatcher implements JobDispatcher {
  private readonly client: LambdaClient;
  private readonly functionName: () => string;

  constructor(options: LambdaJobDispatcherOptions) {
    this.client = options.client ?? sharedLambdaClient();
    const { functionName } = options;
    this.functionName = typeof functionName === 'string' ? () => functionName : functionName;
  }

  async dispatch(message: DispatchMessage): Promise<void> {
    const response = await this.client.send(
      new InvokeCommand({
        FunctionName: this.functionName(),
        InvocationType: 'Event',
        Payload: new TextEncoder().encode(JSON.stringify(toJobRunEvent(message))),
      }),
    );
    if (response.StatusCode !== 202) {
      throw new Error(`Lambda answered ${response.StatusCode} to an Event invocation; expected 202.`);
    }
  }
}
