/**
 * X-Ray tracing of the AWS SDK clients a function's wiring creates (Powertools Tracer's `captureAWSv3Client`),
 * so that a job's trace shows its DynamoDB writes and its hand-overs to the next hop (the Lambda client copies
 * the trace header onto the Invoke call, and the next invocation continues that trace).
 *
 * The Tracer and the X-Ray SDK under it add ~130 KB to a bundle and 20–70 ms to a cold start's imports
 * (docs/decisions/0019-metrics-traces-and-correlation.md), so they are imported only where a trace can be
 * recorded: in Lambda, which always tells a function where its X-Ray daemon is (`AWS_XRAY_DAEMON_ADDRESS`),
 * unless `POWERTOOLS_TRACE_ENABLED=false`. `baton dev` sets no daemon address: there the Tracer is never loaded,
 * and nothing tries to reach a daemon.
 */

/** Whether this environment can record traces (see above). */
export function tracingWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  const enabled = env.POWERTOOLS_TRACE_ENABLED?.trim().toLowerCase();
  return Boolean(env.AWS_XRAY_DAEMON_ADDRESS) && enabled !== 'false' && enabled !== '0';
}

type Capture = (client: object) => void;
let capture: Promise<Capture> | undefined;
const captured = new WeakSet<object>();

/**
 * Traces the calls of these SDK clients, once each; where tracing is not wanted, does nothing and loads nothing.
 * Starts at once (the wiring runs at module scope, so the import resolves during the cold start) and never
 * fails: a Tracer that cannot load leaves the clients as they were, with a warning.
 */
export function traceClients(clients: readonly object[], warn: (message: string) => void): Promise<void> {
  if (!tracingWanted()) return Promise.resolve();
  capture ??= import('@aws-lambda-powertools/tracer').then(({ Tracer }) => {
    const tracer = new Tracer();
    return (client: object) => {
      tracer.captureAWSv3Client(client as Parameters<typeof tracer.captureAWSv3Client>[0]);
    };
  });
  return capture.then(
    (traced) => {
      for (const client of clients) {
        if (captured.has(client)) continue;
        captured.add(client);
        traced(client);
      }
    },
    (error: unknown) => warn(`X-Ray tracing is off: the Tracer did not load (${String(error)}).`),
  );
}
