import { jobsTable } from '@baton/dynamodb';
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ALARM_PERIOD } from './alarms.js';
import { BatonFunction, type BatonFunctionProps } from './baton-function.js';
import { RECONCILER_TABLE_ACTIONS } from './permissions.js';

/** The metric the reconciler's `errors` count (jobs it could not move on in a pass) is published as. */
export const RECONCILER_ERRORS_METRIC = 'ReconcilerJobErrors';

export interface ReconcilerProps extends BatonFunctionProps {
  /** The jobs table it searches (the unfinished index) and moves jobs on in. */
  readonly table: dynamodb.ITable;
  /** The function recovered jobs go to, by its fixed name (the one in its `BATON_JOBS_FUNCTION`). */
  readonly jobRunnerFunctionName: string;
  /**
   * How often a pass runs, in whole minutes (EventBridge's finest schedule).
   * @default 1
   */
  readonly everyMinutes?: number;
  /**
   * The CloudWatch namespace of its job-errors metric.
   * @default 'Baton/<functionName>'
   */
  readonly metricNamespace?: string;
  /**
   * One pass at a time is enough; a second one at once would only find the same jobs.
   * @default 1
   */
  readonly reservedConcurrentExecutions?: number;
}

/**
 * The reconciler: every `everyMinutes` an EventBridge schedule runs one bounded pass of reconcileJobs, which
 * moves on the jobs nobody is looking after and sends recovered ones to the job runner. Reserved concurrency 1:
 * a second pass at once would be safe (every change is a conditional write on the state read, so of two passes
 * exactly one acts on a job) but useless. Alarms on its errors and on the jobs a pass could not move on.
 */
export class Reconciler extends Construct {
  readonly handler: BatonFunction;
  readonly schedule: events.Rule;
  /** Turns the pass's log line into the job-errors metric. */
  readonly jobErrorsFilter: logs.MetricFilter;
  readonly jobErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: ReconcilerProps) {
    super(scope, id);
    const everyMinutes = props.everyMinutes ?? 1;
    if (!Number.isInteger(everyMinutes) || everyMinutes < 1) {
      throw new Error(
        `${props.functionName}: the reconciler runs every ${everyMinutes} minutes, but an EventBridge ` +
          'schedule takes whole minutes, at least one.',
      );
    }
    const { table, jobRunnerFunctionName, everyMinutes: _every, metricNamespace, ...functionProps } = props;
    const name = props.functionName;
    this.handler = new BatonFunction(this, 'Handler', {
      throttlesAlarm: false,
      errorsAlarmDescription: `${name} threw or timed out: a reconciliation pass did not finish (the next one retries).`,
      ...functionProps,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions ?? 1,
    });
    const handler = this.handler.function;
    // findStale queries the unfinished index and reads the jobs in one BatchGetItem; every change is an
    // UpdateItem (GetItem only to size an update DynamoDB refuses). Nothing is created, deleted or scanned.
    this.handler.grantJobsTable(table, RECONCILER_TABLE_ACTIONS, {
      name: jobsTable.unfinishedIndex,
      sid: 'JobsUnfinishedIndex',
    });
    // Recovered jobs go to the function that runs jobs, by its fixed name.
    this.handler.grantDispatch([jobRunnerFunctionName]);
    // A pass that failed or waited is not worth running late: the next one comes within minutes and looks at
    // the same jobs. So no retries, the shortest event age Lambda allows, and no failure destination — a
    // schedule's event carries nothing to replay, and the `-errors` alarm reports the failure.
    handler.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(1) });
    this.schedule = new events.Rule(this, 'Schedule', {
      description: `Runs ${name} every ${everyMinutes === 1 ? 'minute' : `${everyMinutes} minutes`}: one reconciliation pass of the jobs.`,
      schedule: events.Schedule.rate(Duration.minutes(everyMinutes)),
      targets: [new targets.LambdaFunction(handler, { retryAttempts: 0, maxEventAge: Duration.minutes(1) })],
    });

    // The pass logs its counts; `errors` counts jobs it could not move on (store or dispatch failures). The
    // metric exists only while such lines are written, so it costs nothing idle.
    this.jobErrorsFilter = new logs.MetricFilter(this, 'JobErrorsFilter', {
      logGroup: this.handler.logGroup,
      filterPattern: logs.FilterPattern.all(
        logs.FilterPattern.stringValue('$.message', '=', 'Reconciled jobs*'),
        logs.FilterPattern.numberValue('$.errors', '>', 0),
      ),
      metricNamespace: metricNamespace ?? `Baton/${name}`,
      metricName: RECONCILER_ERRORS_METRIC,
      metricValue: '$.errors',
      unit: cloudwatch.Unit.COUNT,
    });
    this.jobErrorsAlarm = this.handler.addAlarm('JobErrorsAlarm', {
      suffix: 'joberrors',
      description: `${name} could not move some jobs on (DynamoDB or Invoke failed for them); it tries again next pass.`,
      metric: this.jobErrorsFilter.metric({ period: ALARM_PERIOD, statistic: 'Sum' }),
    });
  }

  get alarms(): readonly cloudwatch.Alarm[] {
    return this.handler.alarms;
  }
}
