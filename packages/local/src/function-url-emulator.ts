import {
  type EmulatorCommonOptions,
  type EmulatorHandle,
  type IncomingCall,
  identifyCall,
  jsonReply,
  type Reply,
  resolveCommonOptions,
  stableId,
  startFrontDoor,
  validatePositive,
} from './front-door.js';
import { FUNCTION_URL_PAYLOAD_LIMIT_BYTES } from './limits.js';
import { parseV2ProxyResult } from './proxy-result.js';
import { v2Event, v2Reply } from './v2-events.js';

export interface FunctionUrlEmulatorOptions extends EmulatorCommonOptions {
  /**
   * The function's timeout: a Function URL waits that long. Default: read from the Lambda service (GetFunction)
   * at start. The Lambda service ends the invocation at its timeout, and the URL answers 502.
   */
  timeoutSeconds?: number;
  /** A BUFFERED response over this is answered 502. Default 6 MiB. */
  maxResponseBytes?: number;
  /** The `<url-id>` of `<url-id>.lambda-url.<region>.on.aws`. Default: derived from the function name (stable). */
  urlId?: string;
}

const TITLE = 'Function URL emulator';

/** Time for the Lambda service's own timeout answer to arrive before the URL stops waiting for it. */
const TIMEOUT_GRACE_MS = 2_000;

/**
 * A Lambda Function URL (BUFFERED invoke mode): every method and path reaches the function as a payload 2.0
 * event with routeKey and stage `$default`; the URL waits as long as the function may run.
 */
export async function startFunctionUrlEmulator(options: FunctionUrlEmulatorOptions): Promise<EmulatorHandle> {
  const {
    host,
    port,
    maxRequestBytes,
    defaultPrincipalArn,
    region,
    accountId,
    authType,
    logs,
    signatures,
    client,
  } = resolveCommonOptions(TITLE, options, FUNCTION_URL_PAYLOAD_LIMIT_BYTES);
  if (options.timeoutSeconds !== undefined) validatePositive(TITLE, 'timeoutSeconds', options.timeoutSeconds);
  const maxResponseBytes = options.maxResponseBytes ?? FUNCTION_URL_PAYLOAD_LIMIT_BYTES;
  validatePositive(TITLE, 'maxResponseBytes', maxResponseBytes);
  const configuration = await client.describeFunction();
  const timeoutSeconds = options.timeoutSeconds ?? configuration.timeoutSeconds;
  const urlId = options.urlId ?? stableId(`function-url:${options.functionName}`, 32);
  const target = {
    flavour: 'function-url' as const,
    accountId,
    apiId: urlId,
    domainName: `${urlId}.lambda-url.${region}.on.aws`,
  };

  const handle = async (call: IncomingCall): Promise<Reply> => {
    const common: Array<[string, string]> = [
      ['x-amzn-RequestId', call.requestId],
      ['X-Amzn-Trace-Id', call.traceId],
    ];
    // What a Function URL answers when the invocation fails: 502 with this plain body, whatever the cause.
    const badGateway = (detail: string): Reply => ({
      status: 502,
      headers: [['content-type', 'application/json'], ...common],
      body: Buffer.from('Internal Server Error'),
      detail,
    });
    const caller = await identifyCall(
      call,
      authType,
      { accountId, region, service: 'lambda', defaultPrincipalArn },
      signatures,
    );
    if (!caller.ok)
      return jsonReply(403, { Message: caller.message }, common, `signature refused: ${caller.problem}`);
    const identity = caller.identity;
    const outcome = await client.invoke(JSON.stringify(v2Event(call, target, identity)), {
      timeoutMs: timeoutSeconds * 1000 + TIMEOUT_GRACE_MS,
      traceHeader: call.traceId,
    });
    switch (outcome.kind) {
      case 'timeout':
        return badGateway(`no answer within the function's timeout (${timeoutSeconds} s)`);
      case 'unreachable':
        return badGateway(`Lambda service unreachable: ${outcome.message}`);
      case 'service-error':
        // A throttled function is the one refusal a Function URL passes on as such.
        if (outcome.status === 429) {
          return jsonReply(429, { Message: outcome.message }, common, `throttled: ${outcome.message}`);
        }
        if (outcome.status === 413) {
          return jsonReply(413, { Message: outcome.message }, common, 'event over the invoke payload limit');
        }
        return badGateway(`Lambda ${outcome.status} ${outcome.errorType}: ${outcome.message}`);
      case 'result': {
        if (outcome.functionError) return badGateway(`function error (${outcome.functionError})`);
        if (outcome.payload.length > maxResponseBytes) {
          return badGateway(
            `response of ${outcome.payload.length} bytes over the ${maxResponseBytes} byte limit`,
          );
        }
        const parsed = parseV2ProxyResult(outcome.payload);
        if (!parsed.ok) return badGateway(`malformed response: ${parsed.reason}`);
        return v2Reply(parsed.result, common);
      }
    }
  };

  return startFrontDoor({
    kind: 'function-url',
    functionName: options.functionName,
    host,
    port,
    maxRequestBytes,
    logs,
    tooLarge: (call) =>
      jsonReply(
        413,
        { Message: `Request must be smaller than ${maxRequestBytes} bytes for the InvokeFunction operation` },
        [['x-amzn-RequestId', call.requestId]],
        'body over the cap',
      ),
    handle,
    onStop: () => client.close(),
  });
}
