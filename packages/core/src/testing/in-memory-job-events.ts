import { type JobFinishedDetail, jobFinishedDetail } from '../events.js';
import type { Job } from '../job.js';
import type { JobEvents } from '../ports.js';

/** The reference JobEvents: keeps every announced job, and the detail an event of it would carry. */
export class InMemoryJobEvents implements JobEvents {
  readonly finishedJobs: Job[] = [];

  async finished(job: Job): Promise<void> {
    this.finishedJobs.push(structuredClone(job));
  }

  /** The `Baton Job Finished` details announced so far, oldest first. */
  get details(): JobFinishedDetail[] {
    return this.finishedJobs.map(jobFinishedDetail);
  }
}
