import { BatonTransportError } from '@baton/client';
import { UserError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import {
  awsFailedEvents,
  type FailedEventSummary,
  type FailedEventsSource,
  localFailedEvents,
} from '../failed-events.js';
import type { CliIo } from '../io.js';
import { formatDuration, outputMode } from '../output.js';
import { findEndpointsFile, localKeys, readEndpoints } from '../target.js';
import { type CommonFlags, printJson, table } from './shared.js';

export interface FailedFlags extends CommonFlags {
  /** The deployed service's name (from baton.config.ts), for its failure bus and archive. */
  readonly service?: string | undefined;
  /** The deployment's prefix, if it has one. */
  readonly prefix?: string | undefined;
}

/**
 * Where the failed events are: the local stack's failed-event store (through its Invoke API), or a deployed
 * service's failure archive. A deployment is named by `--service` (or the name in `--ssm /baton/<name>/…`).
 */
async function failedEventsSource(flags: FailedFlags, io: CliIo): Promise<FailedEventsSource> {
  const remote = flags.url ?? flags.function ?? flags.ssm;
  if (remote === undefined && flags.service === undefined) {
    if (flags.prefix !== undefined)
      throw new UserError('--prefix names a deployment: give --service too.', 2);
    const endpoints = await readEndpoints(findEndpointsFile(io.cwd));
    const { signed, ...keys } = localKeys(io.env);
    return signed ? localFailedEvents(endpoints.invoke, keys) : localFailedEvents(endpoints.invoke);
  }
  const serviceName = flags.service ?? /^\/baton\/([^/]+)\/doors\//.exec(flags.ssm ?? '')?.[1];
  if (serviceName === undefined) {
    throw new UserError(
      "Failed events are kept per deployed service: give its name with --service <name> (baton.config.ts's name).",
      2,
    );
  }
  const region = flags.region ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
  const profile = flags.profile ?? io.env.AWS_PROFILE;
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  return awsFailedEvents({
    serviceName,
    ...(flags.prefix !== undefined && { prefix: flags.prefix }),
    ...(region !== undefined && { region }),
    credentials: fromNodeProviderChain(profile === undefined ? {} : { profile }),
  });
}

/** A service that cannot be reached is a transport error (exit 6), whichever source was asked. */
async function reaching<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof TypeError && error.message === 'fetch failed') {
      const cause = error.cause instanceof Error ? error.cause.message : String(error.cause);
      throw new BatonTransportError(`The service could not be reached (${cause}).`, {
        cause: error,
        attempts: 1,
      });
    }
    throw error;
  }
}

/** `baton failed list`: the events Lambda gave up on (after its retries), oldest first. */
export async function failedListCommand(flags: FailedFlags, io: CliIo): Promise<number> {
  const source = await failedEventsSource(flags, io);
  const events = await reaching(() => source.list());
  if (outputMode(io, io.env, flags.json === true) === 'json') printJson(io, events);
  else if (events.length === 0) io.stdout.write('No failed events.\n');
  else io.stdout.write(`${failedTable(events)}\n`);
  return EXIT.ok;
}

export function failedTable(events: readonly FailedEventSummary[], now = Date.now()): string {
  return table([
    ['ID', 'FUNCTION', 'FAILED', 'ATTEMPTS', 'JOB', 'REASON'],
    ...events.map((event) => [
      event.id,
      event.functionName,
      `${formatDuration(now - Date.parse(event.failedAt))} ago`,
      String(event.attempts),
      event.jobId === undefined
        ? '-'
        : `${event.jobId}${event.hop === undefined ? '' : ` (hop ${event.hop})`}`,
      `${event.reason}${event.error ? `: ${event.error}` : ''}`,
    ]),
  ]);
}

/** `baton failed replay <id>`: sends the event to its function again, as it was first sent. */
export async function failedReplayCommand(id: string, flags: FailedFlags, io: CliIo): Promise<number> {
  const source = await failedEventsSource(flags, io);
  const event = (await reaching(() => source.list())).find((candidate) => candidate.id === id);
  const replayed = await reaching(() => source.replay(id));
  if (outputMode(io, io.env, flags.json === true) === 'json') {
    printJson(io, { ...replayed, ...(event?.jobId !== undefined && { jobId: event.jobId }) });
    return EXIT.ok;
  }
  io.stdout.write(`Replayed ${replayed.id}: ${replayed.detail}\n`);
  // The job stays failed until the worker takes the replayed event (moments later): say so, and how to follow it.
  if (event?.jobId !== undefined) {
    io.stderr.write(
      `Job ${event.jobId} goes back to the queue when its function takes the event: baton jobs watch ${event.jobId}\n`,
    );
  }
  return EXIT.ok;
}
