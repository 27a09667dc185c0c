/** A Lambda context as the Node.js runtime builds it, with a deadline `remainingMs` from now. */
export function fakeLambdaContext(
  functionName: string,
  remainingMs = 900_000,
  clientContext?: { custom: unknown },
) {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2026/11/23/[$LATEST]0123456789abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
    ...(clientContext && { clientContext: clientContext as never }),
  };
}
