import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  JOB_FINISHED_DETAIL_TYPE,
  JOB_FINISHED_SOURCE,
  type Job,
  type JobEvents,
  jobFinishedDetail,
} from '@baton/core';

/** Where a failed announcement is reported: Powertools' Logger fits, and so does `console`. */
export interface JobEventsLogger {
  error(message: string, ...extra: unknown[]): void;
}

export interface EventBridgeJobEventsOptions {
  /** The bus's name or ARN. */
  readonly eventBusName: string;
  /** Default: one client per execution environment from the SDK's standard configuration. */
  readonly client?: EventBridgeClient;
  readonly logger?: JobEventsLogger;
}

let sharedClient: EventBridgeClient | undefined;

/** One client per execution environment, made on first use: its connections are kept alive across invocations. */
function sharedEventBridgeClient(): EventBridgeClient {
  sharedClient ??= new EventBridgeClient({});
  return sharedClient;
}

/**
 * JobEvents on EventBridge: one `PutEvents` entry per finished job — `Source: 'baton'`, `DetailType: 'Baton Job
 * Finished'`, the detail of `jobFinishedDetail`. Best effort by design: the job has ended (its write landed)
 * before this is called, so a refused or failed put is logged and never fails the job or the request.
 */
export class EventBridgeJobEvents implements JobEvents {
  constructor(private readonly options: EventBridgeJobEventsOptions) {}

  /** Made on the first announcement, not at cold start: a door that ends no job never pays for the client. */
  private get client(): EventBridgeClient {
    return this.options.client ?? sharedEventBridgeClient();
  }

  async finished(job: Job): Promise<void> {
    const detail = jobFinishedDetail(job);
    try {
      const answer = await this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              EventBusName: this.options.eventBusName,
              Source: JOB_FINISHED_SOURCE,
              DetailType: JOB_FINISHED_DETAIL_TYPE,
              Detail: JSON.stringify(detail),
              Time: new Date(job.finishedAt ?? job.updatedAt),
            },
          ],
        }),
      );
      // PutEvents answers 200 with per-entry failures (throttling, a missing bus): those are failures too.
      const refused = answer.Entries?.find((entry) => entry.ErrorCode);
      if ((answer.FailedEntryCount ?? 0) > 0 || refused)
        this.report(job, `${refused?.ErrorCode ?? 'Failed'}: ${refused?.ErrorMessage ?? 'entry refused'}`);
    } catch (error) {
      this.report(job, error instanceof Error ? `${error.name}: ${error.message}` : String(error));
    }
  }

  private report(job: Job, reason: string): void {
    const logger = this.options.logger ?? console;
    logger.error('Could not announce a finished job on EventBridge; the job is not affected.', {
      jobId: job.id,
      status: job.status,
      eventBusName: this.options.eventBusName,
      reason,
    });
  }
}
