import type { FunctionConfiguration, InvokeOutcome } from './invoke-client.js';

/**
 * The Lambda services of this process, by the origin they serve the Invoke API at (`http://127.0.0.1:3003`).
 *
 * An emulator whose Lambda service runs in the same process (as `startService` and `baton dev` start them) calls
 * it directly instead of over HTTP: the same invoke the Invoke API server would make — same checks, same
 * limits, same concurrency, same outcome — without a loopback connection, a request and a response to write and
 * parse on each side, or a signature to compute and verify on the way. Profiling the REST door under load
 * showed that hop (both HTTP stacks, both on the one event loop) to be most of the parent's work per request;
 * see docs/decisions/0010-a-lean-local-stack.md. Anything outside this process still uses the HTTP API.
 */
export interface InProcessLambda {
  /**
   * A RequestResponse invoke as the emulators make it, or undefined when this caller must take the HTTP path
   * (the service checks signatures and `credential` is not one it accepts: the HTTP path refuses it, as before).
   */
  invoke(
    functionName: string,
    payload: string,
    options: {
      timeoutMs: number;
      traceHeader?: string;
      credential?: { accessKeyId: string; secretAccessKey: string };
    },
  ): Promise<InvokeOutcome> | undefined;
  /** GetFunction's configuration, or undefined when the service has no such function. */
  describe(functionName: string): FunctionConfiguration | undefined;
}

const services = new Map<string, InProcessLambda>();

/** Registers a Lambda service listening at `url`; returns the call that removes it (on stop). */
export function registerInProcessLambda(url: string, lambda: InProcessLambda): () => void {
  const origin = new URL(url).origin;
  services.set(origin, lambda);
  return () => {
    if (services.get(origin) === lambda) services.delete(origin);
  };
}

/** The Lambda service of this process serving at `url` (its root), if there is one. */
export function inProcessLambda(url: URL): InProcessLambda | undefined {
  if (url.pathname !== '/' && url.pathname !== '') return undefined;
  return services.get(url.origin);
}
