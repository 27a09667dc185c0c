import { Agent, request as httpRequest, type IncomingMessage } from 'node:http';
import { inProcessLambda } from './in-process.js';
import { signRequest } from './sigv4.js';

/**
 * The emulators' side of the Lambda Invoke API: a synchronous invoke over plain HTTP, as API Gateway and
 * Function URLs call Lambda. Plain `node:http` rather than the SDK because the emulators need what the SDK
 * hides or retries: the raw status, `X-Amz-Function-Error`, and an abort that does not retry.
 */

export type InvokeOutcome =
  /** The function ran; `functionError` is set when it failed (threw, timed out, crashed, answered too much). */
  | { kind: 'result'; payload: Buffer; functionError?: string; lambdaRequestId?: string }
  /** The caller's deadline passed first. The invocation itself keeps running in the Lambda service. */
  | { kind: 'timeout' }
  /** The Invoke API refused the call (throttled, payload too large, function not found…). */
  | { kind: 'service-error'; status: number; errorType: string; message: string }
  /** The Lambda service could not be reached, or the connection broke. */
  | { kind: 'unreachable'; message: string };

export interface FunctionConfiguration {
  timeoutSeconds: number;
  functionArn: string;
}

/** How the client signs its calls (SigV4, service `lambda`), for a Lambda service that verifies signatures. */
export interface InvokeSigning {
  credential: { accessKeyId: string; secretAccessKey: string };
  region: string;
}

export class InvokeClient {
  // Keep-alive: every gateway request is an invoke; a new connection each time would only add latency.
  private readonly agent = new Agent({ keepAlive: true });
  private readonly base: URL;

  constructor(
    lambdaUrl: string,
    private readonly functionName: string,
    private readonly signing?: InvokeSigning,
  ) {
    this.base = parseLambdaUrl(lambdaUrl);
  }

  private path(suffix = ''): string {
    const prefix = this.base.pathname.replace(/\/$/, '');
    return `${prefix}/2015-03-31/functions/${encodeURIComponent(this.functionName)}${suffix}`;
  }

  /** GetFunction: checks at start that the service is up and has the function, so a typo fails early. */
  async describeFunction(): Promise<FunctionConfiguration> {
    const local = inProcessLambda(this.base);
    if (local !== undefined) {
      const configuration = local.describe(this.functionName);
      if (configuration === undefined) {
        throw new Error(
          `The Lambda service at ${this.base.origin} has no function named "${this.functionName}"`,
        );
      }
      return configuration;
    }
    let response: { status: number; body: Buffer };
    try {
      response = await this.send('GET', this.path(), undefined, {}, 10_000);
    } catch (error) {
      throw new Error(
        `Cannot reach the Lambda service at ${this.base.origin}: ${describeNetworkError(error)}. Start it (startLambdaService) before the emulator.`,
      );
    }
    const text = response.body.toString('utf8');
    if (response.status === 404) {
      throw new Error(
        `The Lambda service at ${this.base.origin} has no function named "${this.functionName}"`,
      );
    }
    if (response.status !== 200) {
      throw new Error(`GetFunction ${this.functionName} answered ${response.status}: ${text}`);
    }
    const configuration = (JSON.parse(text) as { Configuration?: { Timeout?: number; FunctionArn?: string } })
      .Configuration;
    return {
      timeoutSeconds: configuration?.Timeout ?? 3,
      functionArn: configuration?.FunctionArn ?? this.functionName,
    };
  }

  /** A RequestResponse invoke that gives up after `timeoutMs` without waiting for the function. */
  async invoke(
    payload: string,
    options: { timeoutMs: number; traceHeader?: string },
  ): Promise<InvokeOutcome> {
    // The service in this process, when there is one: no HTTP hop (see in-process.ts). Looked up per call, so a
    // service stopped meanwhile is unreachable here exactly as over HTTP.
    const direct = inProcessLambda(this.base)?.invoke(this.functionName, payload, {
      ...options,
      ...(this.signing && { credential: this.signing.credential }),
    });
    if (direct !== undefined) return this.track(direct);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amz-invocation-type': 'RequestResponse',
    };
    if (options.traceHeader) headers['x-amzn-trace-id'] = options.traceHeader;
    let response: { status: number; headers: IncomingMessage['headers']; body: Buffer };
    try {
      response = await this.send('POST', this.path('/invocations'), payload, headers, options.timeoutMs);
    } catch (error) {
      if (error instanceof DeadlineExceeded) return { kind: 'timeout' };
      return { kind: 'unreachable', message: describeNetworkError(error) };
    }
    const lambdaRequestId = single(response.headers['x-amzn-requestid']);
    if (response.status === 200) {
      const functionError = single(response.headers['x-amz-function-error']);
      return {
        kind: 'result',
        payload: response.body,
        ...(functionError ? { functionError } : {}),
        ...(lambdaRequestId ? { lambdaRequestId } : {}),
      };
    }
    let message = response.body.toString('utf8');
    try {
      message = (JSON.parse(message) as { Message?: string }).Message ?? message;
    } catch {
      // not JSON: keep the text
    }
    return {
      kind: 'service-error',
      status: response.status,
      errorType: single(response.headers['x-amzn-errortype']) ?? 'Unknown',
      message,
    };
  }

  /** In-process invokes still waiting, so close() can cut them as it cuts connections. */
  private readonly waiting = new Set<(outcome: InvokeOutcome) => void>();

  private track(invoke: Promise<InvokeOutcome>): Promise<InvokeOutcome> {
    return new Promise((resolve) => {
      const settle = (outcome: InvokeOutcome) => {
        if (this.waiting.delete(settle)) resolve(outcome);
      };
      this.waiting.add(settle);
      void invoke.then(settle);
    });
  }

  /** Drops pooled connections and cuts invokes still waiting: the emulator is going away. */
  close(): void {
    this.agent.destroy();
    for (const settle of [...this.waiting]) settle({ kind: 'unreachable', message: 'socket hang up' });
  }

  private async send(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    const signed = this.signing
      ? {
          ...headers,
          ...(await signRequest(
            { method, host: this.base.host, path, headers, ...(body === undefined ? {} : { body }) },
            { ...this.signing, service: 'lambda' },
          )),
        }
      : headers;
    return this.exchange(method, path, body, signed, timeoutMs);
  }

  private exchange(
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
    timeoutMs: number,
  ): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
    return new Promise((resolve, reject) => {
      const request = httpRequest(
        {
          protocol: this.base.protocol,
          hostname: this.base.hostname,
          port: this.base.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('error', reject);
          response.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: Buffer.concat(chunks),
            });
          });
        },
      );
      // A deadline for the whole exchange, not a socket idle timeout: the function may legitimately stay silent.
      const timer = setTimeout(() => {
        const exceeded = new DeadlineExceeded();
        reject(exceeded);
        request.destroy(exceeded);
      }, timeoutMs);
      request.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      request.end(body);
    });
  }
}

class DeadlineExceeded extends Error {
  constructor() {
    super('deadline exceeded');
  }
}

function parseLambdaUrl(lambdaUrl: string): URL {
  let url: URL;
  try {
    url = new URL(lambdaUrl);
  } catch {
    throw new Error(
      `lambdaUrl must be the Lambda service's URL (e.g. http://127.0.0.1:3001), got "${lambdaUrl}"`,
    );
  }
  if (url.protocol !== 'http:') {
    throw new Error(`lambdaUrl must be an http:// URL (the local Lambda service), got "${lambdaUrl}"`);
  }
  return url;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function describeNetworkError(error: unknown): string {
  const { code, message } = error as { code?: string; message?: string };
  return code
    ? `${code}${message && !message.includes(code) ? ` (${message})` : ''}`
    : String(message ?? error);
}
