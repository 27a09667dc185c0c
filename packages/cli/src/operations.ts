import type { ExampleOperation } from './banner.js';
import { clientContextFor } from './banner.js';
import { sampleValue } from './sample-input.js';

interface OperationDescription {
  readonly name: string;
  readonly inputSchema?: unknown;
}

export interface DescribeOptions {
  /** The Lambda Invoke API, and the function serving the `invoke` door (if the service has one). */
  readonly invoke?: { readonly url: string; readonly functionName: string };
  /** An HTTP door's base URL: `GET <base>/operations`. Used when there is no invoke door. */
  readonly httpBase?: string;
  /** Who signs the invoke (SigV4); on loopback any key does. */
  readonly signer: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** Whether an unsigned HTTP request gets in (loopback). */
  readonly unsignedAllowed: boolean;
  readonly timeoutMs?: number;
}

/**
 * The service's operations, each with an input it accepts, asked of the running service itself (so the printed
 * examples use real operations): a `describeOperations` direct invoke of the invoke door's function, or else
 * `GET /operations` on an HTTP door. Undefined when neither answers in time — the banner then says how to list
 * them. As a side effect the function asked is warm for the first real call.
 */
export async function describeOperations(options: DescribeOptions): Promise<ExampleOperation[] | undefined> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? 20_000);
  try {
    let described: { operations?: OperationDescription[] } | undefined;
    if (options.invoke) {
      const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda');
      const client = new LambdaClient({
        endpoint: options.invoke.url,
        region: 'us-east-1',
        credentials: { ...options.signer },
        maxAttempts: 1,
      });
      try {
        const result = await client.send(
          new InvokeCommand({
            FunctionName: options.invoke.functionName,
            ClientContext: clientContextFor('baton-dev'),
            Payload: new TextEncoder().encode(JSON.stringify({ action: 'describeOperations', v: 1 })),
          }),
          { abortSignal: signal },
        );
        if (!result.FunctionError && result.Payload) {
          described = JSON.parse(new TextDecoder().decode(result.Payload));
        }
      } finally {
        client.destroy();
      }
    } else if (options.httpBase && options.unsignedAllowed) {
      const response = await fetch(`${options.httpBase}/operations`, { signal });
      if (response.ok) described = (await response.json()) as typeof described;
    }
    if (!Array.isArray(described?.operations)) return undefined;
    return described.operations
      .filter((operation) => typeof operation?.name === 'string')
      .map((operation) => ({ name: operation.name, input: sampleValue(operation.inputSchema ?? {}) ?? {} }));
  } catch {
    return undefined;
  }
}
