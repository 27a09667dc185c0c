import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Job, JobExpectation, JobStore, ReconcileReport } from '@baton/core';

/** The CloudWatch namespace of every Baton metric; the `service` dimension tells services apart. */
export const METRICS_NAMESPACE = 'Baton';

/** The metrics a Baton function emits (EMF, one line per invocation that changed a job). */
export const JOB_METRICS = {
  /** A job record was created: an async request, a sync request handed over, a sync request with a key. */
  submitted: 'JobsSubmitted',
  succeeded: 'JobsSucceeded',
  failed: 'JobsFailed',
  cancelled: 'JobsCancelled',
  /** A sync request outgrew its door's budget and became a job for the worker. */
  handedOff: 'JobsHandedOff',
  /** Jobs the reconciler moved on (re-dispatched, requeued, failed or cancelled). */
  reconciled: 'JobsReconciled',
  /** From a job's creation to its first claim by a runner, in milliseconds. */
  queueDelay: 'QueueDelay',
  /** From a job's first claim to its end (succeeded, failed or cancelled), in milliseconds. */
  runDuration: 'RunDuration',
} as const;

/**
 * How a door tells the function's metrics that it has answered a request (the end of the invocation). The
 * doors (in @baton/http and @baton/direct-invoke) are given only the Logger by the service's handler files, so
 * the wiring hangs this on the Logger it hands them, under a global symbol: no door imports this package.
 */
export const REQUEST_OBSERVER = Symbol.for('baton.requestObserver');

export interface RequestObserver {
  /**
   * The request has been answered: flush this invocation's metrics. `isSync` is asked only when the request
   * created a queued job, to tell a hand-over (a sync request that outgrew its budget) from an async submit.
   */
  requestServed(isSync: () => boolean): void;
}

type CountName = Exclude<(typeof JOB_METRICS)[keyof typeof JOB_METRICS], 'QueueDelay' | 'RunDuration'>;

const TERMINAL: Readonly<Record<string, CountName>> = {
  succeeded: JOB_METRICS.succeeded,
  failed: JOB_METRICS.failed,
  cancelled: JOB_METRICS.cancelled,
};

const ms = (from: string, to: string) => Math.max(0, Date.parse(to) - Date.parse(from));

/**
 * One function's job metrics (Powertools Metrics, EMF), counted from what the job store's conditional writes
 * return — the one place each transition happens exactly once, whichever function wins it: a created job is
 * submitted; a write that moved a job to succeeded, failed or cancelled ends it (with its run's duration); a
 * claim that started a job gives its queue delay. Nothing is added to the core: the store the use cases get is
 * this wrapper around the real one, built in the wiring. Each invocation flushes once (`flush`), and only
 * when something was counted, so reads (polling a job) write no metric line.
 */
export class JobMetrics {
  private counts = new Map<string, Map<CountName, number>>();
  private timings: { operation: string; name: string; value: number }[] = [];
  /** Jobs created queued during this invocation: a door's async submits, or its hand-overs. */
  private createdQueued: string[] = [];
  /** Running jobs put back in the queue by this invocation's runner. */
  private requeued: string[] = [];

  constructor(readonly metrics: Metrics) {}

  /** The job store the use cases get: every call goes to `store`; what the writes return is counted. */
  observe(store: JobStore): JobStore {
    const observed: JobStore = {
      create: async (job) => {
        const result = await store.create(job);
        if (result.created) {
          this.count(JOB_METRICS.submitted, result.job.operation);
          if (result.job.status === 'queued') this.createdQueued.push(result.job.operation);
        }
        return result;
      },
      update: async (id, expected, changes) => {
        const job = await store.update(id, expected, changes);
        if (job !== undefined && changes.status !== undefined) this.statusWritten(job, expected.status);
        return job;
      },
      claim: async (id, claim) => {
        const result = await store.claim(id, claim);
        // A job's first claim sets its startedAt to the claim's `now` (later claims keep it).
        const job = result.job;
        if (
          result.claimed &&
          job?.startedAt !== undefined &&
          job.startedAt === new Date(claim.now).toISOString()
        )
          this.timing(JOB_METRICS.queueDelay, job.operation, ms(job.createdAt, job.startedAt));
        return result;
      },
    } as JobStore;
    // Everything else (reads, and whatever the port gains) goes straight to the store.
    return new Proxy(store, {
      get: (target, key, receiver) => {
        if (key === 'create' || key === 'update' || key === 'claim') return observed[key];
        const value = Reflect.get(target, key, receiver);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }

  private statusWritten(job: Job, from: JobExpectation['status']): void {
    const name = TERMINAL[job.status];
    if (name !== undefined) {
      this.count(name, job.operation);
      if (job.startedAt !== undefined)
        this.timing(
          JOB_METRICS.runDuration,
          job.operation,
          ms(job.startedAt, job.finishedAt ?? job.updatedAt),
        );
      return;
    }
    // Use cases move jobs through `transition`, which conditions the write on the one status it read.
    if (job.status === 'queued' && from === 'running') this.requeued.push(job.operation);
  }

  count(name: CountName, operation: string, n = 1): void {
    let byName = this.counts.get(operation);
    if (byName === undefined) {
      byName = new Map();
      this.counts.set(operation, byName);
    }
    byName.set(name, (byName.get(name) ?? 0) + n);
  }

  timing(name: string, operation: string, value: number): void {
    this.timings.push({ operation, name, value });
  }

  /** The reconciler's pass: the jobs it moved on (its failures and cancels are counted by the store). */
  reconciled(report: ReconcileReport): void {
    const acted = report.redispatched + report.requeued + report.failed + report.cancelled;
    if (acted > 0) this.count(JOB_METRICS.reconciled, '', acted);
  }

  /**
   * The end of a door's request: a job created queued by a sync request, or a recorded sync run put back in the
   * queue, was handed over to the worker.
   */
  requestServed(isSync: () => boolean): void {
    for (const operation of this.requeued) this.count(JOB_METRICS.handedOff, operation);
    if (this.createdQueued.length > 0 && isSync())
      for (const operation of this.createdQueued) this.count(JOB_METRICS.handedOff, operation);
    this.flush();
  }

  /**
   * Writes this invocation's metrics as one EMF line and forgets them; writes nothing when nothing was
   * counted. The dimensions: `service` and `operation`, and `service` alone (what the alarms watch). An
   * invocation that touched several operations (a reconciler's pass) is published under `service` alone.
   */
  flush(): void {
    const { counts, timings } = this;
    this.counts = new Map();
    this.timings = [];
    this.createdQueued = [];
    this.requeued = [];
    if (counts.size === 0 && timings.length === 0) return;
    const operations = new Set([...counts.keys(), ...timings.map((timing) => timing.operation)]);
    operations.delete('');
    const [only] = operations;
    if (operations.size === 1 && only !== undefined) {
      this.metrics.addDimension('operation', only);
      // A second dimension set of the service alone: per-service alarms need no metric math.
      this.metrics.addDimensions({});
    }
    const totals = new Map<CountName, number>();
    for (const byName of counts.values())
      for (const [name, n] of byName) totals.set(name, (totals.get(name) ?? 0) + n);
    for (const [name, n] of totals) this.metrics.addMetric(name, MetricUnit.Count, n);
    for (const { name, value } of timings) this.metrics.addMetric(name, MetricUnit.Milliseconds, value);
    this.metrics.publishStoredMetrics();
  }
}

/** The function's metrics, under the Baton namespace and the service's name (POWERTOOLS_SERVICE_NAME). */
export function createJobMetrics(logger?: Logger): JobMetrics {
  return new JobMetrics(
    // Powertools Metrics' own warnings (an invalid dimension, …) go through the function's Logger.
    new Metrics({ namespace: METRICS_NAMESPACE, ...(logger !== undefined && { logger }) }),
  );
}

/** Hangs a door's end-of-request hook on the Logger the wiring hands the doors (see REQUEST_OBSERVER). */
export function attachRequestObserver(logger: Logger, observer: RequestObserver): void {
  Object.defineProperty(logger, REQUEST_OBSERVER, { value: observer, configurable: true });
}
