import {
  CloudWatchLogsClient,
  type CloudWatchLogsClientConfig,
  type FilteredLogEvent,
  FilterLogEventsCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { EventBridgeClient, StartReplayCommand } from '@aws-sdk/client-eventbridge';
import { GetParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { signRequest } from '@baton/local';

/**
 * The failure destination's events, for `baton failed list|replay`: locally the running `baton dev`'s (its Invoke
 * API's `/_baton/failed-events` routes), in AWS the failure bus's log group (to list) and archive (to replay).
 * A replayed job-run event puts back in the queue, and runs, a job that failed only because Lambda gave up
 * delivering it (docs/decisions/0015-replaying-failed-deliveries.md); for any other job it is a no-op.
 */

/** One async event Lambda gave up on. */
export interface FailedEventSummary {
  /** What `replay` takes: the local failed event's id, or in AWS the EventBridge event's id. */
  id: string;
  functionName: string;
  /** ISO-8601. */
  failedAt: string;
  /** Lambda's condition: RetriesExhausted, EventAgeExceeded, RecursiveInvocationException… */
  reason: string;
  /** How many times Lambda ran the event. */
  attempts: number;
  /** The job of a job-run event (a replayed one included). */
  jobId?: string;
  hop?: number;
  /** The last attempt's error, `Type: message`, when it ran. */
  error?: string;
}

export interface FailedEventsSource {
  /** Oldest first. */
  list(): Promise<FailedEventSummary[]>;
  /** Sends the event back to its function as a replay. `detail` says what was started, for a person. */
  replay(id: string): Promise<{ id: string; detail: string }>;
}

/** No failed event has this id (locally: replayed already, or never failed there). */
export class FailedEventNotFound extends Error {
  override readonly name = 'FailedEventNotFound';
}

/** The failure destination answered with an error, or is missing something it needs. */
export class FailedEventsError extends Error {
  override readonly name = 'FailedEventsError';
}

export interface LocalCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Default us-east-1, the local service's. */
  readonly region?: string;
}

/**
 * The failed events of a service running on this machine, through its Lambda Invoke API (`endpoints.invoke` of
 * `.baton/endpoints.json`). Requests are signed with `credentials` when given (a service bound off loopback
 * checks signatures, as its Invoke API does); on loopback unsigned requests are let in.
 */
export function localFailedEvents(invokeUrl: string, credentials?: LocalCredentials): FailedEventsSource {
  const base = new URL(invokeUrl);
  const call = async (method: 'GET' | 'POST', path: string): Promise<{ status: number; body: unknown }> => {
    const url = new URL(path, base);
    const headers: Record<string, string> = {};
    if (credentials) {
      Object.assign(
        headers,
        await signRequest(
          { method, host: url.host, path: `${url.pathname}${url.search}`, headers: {} },
          {
            credential: credentials,
            region: credentials.region ?? 'us-east-1',
            service: 'lambda',
          },
        ),
      );
    }
    let response: Response;
    try {
      response = await fetch(url, { method, headers });
    } catch (error) {
      throw new FailedEventsError(
        `Could not reach the local service at ${base.origin} (is \`baton dev\` running?): ${String((error as Error).cause ?? error)}`,
      );
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text.length === 0 ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    if (response.status === 404 && path.endsWith('/replay'))
      throw new FailedEventNotFound(messageOf(body) ?? `No failed event at ${url.pathname}`);
    if (response.status >= 300)
      throw new FailedEventsError(
        `The local service answered ${response.status}${messageOf(body) ? `: ${messageOf(body)}` : ''}`,
      );
    return { status: response.status, body };
  };

  return {
    async list() {
      const { body } = await call('GET', '/_baton/failed-events');
      const events = (body as { failedEvents?: LocalFailedEvent[] } | undefined)?.failedEvents ?? [];
      return events.map((event) => ({
        id: event.id,
        functionName: event.functionName,
        failedAt: event.failedAt,
        reason: event.reason,
        attempts: event.attempts,
        ...jobOf(event.payload),
        ...errorOf(event.error),
      }));
    },
    async replay(id) {
      const { body } = await call('POST', `/_baton/failed-events/${encodeURIComponent(id)}/replay`);
      const { requestId } = body as { requestId: string };
      return { id, detail: `sent back to its function as async invocation ${requestId}` };
    },
  };
}

/** What the local route lists (FailedEvent of @baton/local, as JSON). */
interface LocalFailedEvent {
  id: string;
  functionName: string;
  failedAt: string;
  reason: string;
  attempts: number;
  payload: unknown;
  error?: unknown;
}

/** Where the failure bus of a deployed service is: SSM parameters beside its door parameters (BatonService). */
export const failedEventsParameterNames = (serviceName: string, prefix?: string) => {
  // The deployed base name, as @baton/service's baseName makes it.
  const base = prefix ? `${prefix}-${serviceName}` : serviceName;
  return {
    logGroup: `/baton/${base}/failed-events/log-group`,
    archive: `/baton/${base}/failed-events/archive`,
    bus: `/baton/${base}/failed-events/bus`,
  };
};

export interface AwsFailedEventsOptions {
  /** The service's name (`defineService({ name })`). */
  serviceName: string;
  /** The stage prefix it was deployed with, if any. */
  prefix?: string;
  region?: string;
  credentials?: CloudWatchLogsClientConfig['credentials'];
  /** How far back `list` looks. Default 30 days, the archive's retention. */
  sinceMs?: number;
  /** How much before and after a failed event's time a replay covers. Default 60 s each way. */
  replayWindowMs?: number;
  /** Endpoints of the three services (tests, or a VPC endpoint). */
  endpoints?: { logs?: string; events?: string; ssm?: string };
  /** The clock (epoch ms). */
  now?: () => number;
}

const DAY_MS = 86_400_000;
/** FilterLogEvents pages at most this many events per list: the newest ones if there are more. */
const MAX_LISTED = 10_000;

/**
 * The failed events of a deployed service: listed from the failure bus's log group (one line per live failure,
 * the EventBridge event Lambda's destination put on the bus), replayed from its archive by EventBridge's
 * StartReplay over a short window around the event's time. The replay rule of the function hands each replayed
 * event back to it, wrapped as a replay; other events of the window are replayed too, which is harmless (a replay
 * of a job that ended, or that runs, is a no-op).
 */
export function awsFailedEvents(options: AwsFailedEventsOptions): FailedEventsSource {
  const common = {
    ...(options.region !== undefined && { region: options.region }),
    ...(options.credentials !== undefined && { credentials: options.credentials }),
  };
  const now = options.now ?? Date.now;
  const names = failedEventsParameterNames(options.serviceName, options.prefix);
  const windowMs = options.replayWindowMs ?? 60_000;
  let located: Promise<{ logGroup: string; archive: string; bus: string }> | undefined;

  const withClient = async <C extends { destroy(): void }, T>(client: C, use: (c: C) => Promise<T>) => {
    try {
      return await use(client);
    } finally {
      client.destroy();
    }
  };
  const locate = () => {
    located ??= withClient(
      new SSMClient({ ...common, ...(options.endpoints?.ssm && { endpoint: options.endpoints.ssm }) }),
      async (ssm) => {
        const answer = await ssm.send(
          new GetParametersCommand({ Names: [names.logGroup, names.archive, names.bus] }),
        );
        const value = (name: string) => answer.Parameters?.find((p) => p.Name === name)?.Value;
        const found = {
          logGroup: value(names.logGroup),
          archive: value(names.archive),
          bus: value(names.bus),
        };
        const missing = Object.entries(names)
          .filter(([key]) => found[key as keyof typeof found] === undefined)
          .map(([, name]) => name);
        if (missing.length > 0)
          throw new FailedEventsError(
            `The failure destination of '${options.serviceName}'${options.prefix ? ` (prefix '${options.prefix}')` : ''} is not published: SSM parameter(s) ${missing.join(', ')} not found. Is it deployed with this name and prefix, by a BatonService that publishes them, in this region?`,
          );
        return found as { logGroup: string; archive: string; bus: string };
      },
    );
    return located;
  };
  const logsClient = () =>
    new CloudWatchLogsClient({
      ...common,
      ...(options.endpoints?.logs && { endpoint: options.endpoints.logs }),
    });

  /** The failure records in the log group, oldest first, optionally only those mentioning `term`. */
  const records = async (term?: string): Promise<FailureRecord[]> => {
    const { logGroup } = await locate();
    return withClient(logsClient(), async (logs) => {
      const found: FailureRecord[] = [];
      let nextToken: string | undefined;
      do {
        const page = await logs.send(
          new FilterLogEventsCommand({
            logGroupName: logGroup,
            startTime: now() - (options.sinceMs ?? 30 * DAY_MS),
            ...(term !== undefined && { filterPattern: JSON.stringify(term) }),
            ...(nextToken !== undefined && { nextToken }),
          }),
        );
        for (const event of page.events ?? []) {
          const record = parseRecord(event);
          if (record) found.push(record);
        }
        nextToken = page.nextToken;
      } while (nextToken !== undefined && found.length < MAX_LISTED);
      return found.sort((a, b) => a.failedAt.localeCompare(b.failedAt));
    });
  };

  return {
    async list() {
      return (await records()).map(({ eventTime: _time, ...summary }) => summary);
    },
    async replay(id) {
      const record = (await records(id)).find((candidate) => candidate.id === id);
      if (!record)
        throw new FailedEventNotFound(
          `No failed event with id ${id} in the failed-events log of '${options.serviceName}' (\`baton failed list\` shows them).`,
        );
      const { archive, bus } = await locate();
      const at = Date.parse(record.eventTime);
      const start = new Date(at - windowMs);
      const end = new Date(Math.min(at + windowMs, now()));
      const replayName = `baton-${id.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}-${now()}`;
      const started = await withClient(
        new EventBridgeClient({
          ...common,
          ...(options.endpoints?.events && { endpoint: options.endpoints.events }),
        }),
        (events) =>
          events.send(
            new StartReplayCommand({
              ReplayName: replayName,
              Description: `baton failed replay ${id}`.slice(0, 512),
              EventSourceArn: archive,
              EventStartTime: start,
              EventEndTime: end,
              Destination: { Arn: bus },
            }),
          ),
      );
      return {
        id,
        detail: `EventBridge replay ${replayName} (${started.State ?? 'STARTING'}) of the archive from ${start.toISOString()} to ${end.toISOString()}`,
      };
    },
  };
}

interface FailureRecord extends FailedEventSummary {
  /** The EventBridge event's time: what the archive's replay window is matched against. */
  eventTime: string;
}

/** A line of the failed-events log group: the EventBridge event of a Lambda failure record. */
function parseRecord(event: FilteredLogEvent): FailureRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.message ?? '');
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { id, time, detail } = parsed as { id?: unknown; time?: unknown; detail?: unknown };
  if (typeof id !== 'string' || typeof detail !== 'object' || detail === null) return undefined;
  const record = detail as {
    timestamp?: unknown;
    requestContext?: { functionArn?: unknown; condition?: unknown; approximateInvokeCount?: unknown };
    requestPayload?: unknown;
    responsePayload?: unknown;
  };
  const eventTime = typeof time === 'string' ? time : new Date(event.timestamp ?? Date.now()).toISOString();
  const arn = typeof record.requestContext?.functionArn === 'string' ? record.requestContext.functionArn : '';
  return {
    id,
    // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
    functionName: arn.split(':')[6] ?? arn,
    failedAt: typeof record.timestamp === 'string' ? record.timestamp : eventTime,
    reason:
      typeof record.requestContext?.condition === 'string' ? record.requestContext.condition : 'unknown',
    attempts:
      typeof record.requestContext?.approximateInvokeCount === 'number'
        ? record.requestContext.approximateInvokeCount
        : 0,
    ...jobOf(record.requestPayload),
    ...errorOf(record.responsePayload),
    eventTime,
  };
}

/** The job a (possibly replayed) job-run event points to. */
function jobOf(payload: unknown): { jobId?: string; hop?: number } {
  let event = payload;
  for (let depth = 0; depth < 8; depth++) {
    if (typeof event !== 'object' || event === null) return {};
    const { baton, jobId, hop, event: inner } = event as Record<string, unknown>;
    if (baton === 'job.replay') {
      event = inner;
      continue;
    }
    if (baton !== 'job.run' || typeof jobId !== 'string') return {};
    return { jobId, ...(typeof hop === 'number' && { hop }) };
  }
  return {};
}

/** Lambda's function error (`{ errorType, errorMessage }`) as one line. */
function errorOf(payload: unknown): { error?: string } {
  if (typeof payload === 'string') return { error: payload };
  if (typeof payload !== 'object' || payload === null) return {};
  const { errorType, errorMessage } = payload as { errorType?: unknown; errorMessage?: unknown };
  const parts = [errorType, errorMessage].filter((part): part is string => typeof part === 'string');
  return parts.length > 0 ? { error: parts.join(': ') } : {};
}

function messageOf(body: unknown): string | undefined {
  if (typeof body === 'string') return body || undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const { Message, message } = body as { Message?: unknown; message?: unknown };
  return typeof Message === 'string' ? Message : typeof message === 'string' ? message : undefined;
}
