import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';

/** The period every Baton alarm sums its metric over. */
export const ALARM_PERIOD = Duration.minutes(5);

export interface BatonAlarmProps {
  readonly alarmName: string;
  readonly description: string;
  readonly metric: cloudwatch.IMetric;
  /** Added to the alarm (its ALARM state). @default - none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
}

/**
 * An alarm as Baton sets every one: any occurrence in five minutes (a sum of at least 1) goes off, no data is
 * fine. Each construct makes its own alarms with this and exposes them as `alarms`.
 */
export function batonAlarm(scope: Construct, id: string, props: BatonAlarmProps): cloudwatch.Alarm {
  const alarm = new cloudwatch.Alarm(scope, id, {
    alarmName: props.alarmName,
    alarmDescription: props.description,
    metric: props.metric,
    threshold: 1,
    evaluationPeriods: 1,
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
  });
  if (props.alarmActions && props.alarmActions.length > 0) alarm.addAlarmAction(...props.alarmActions);
  return alarm;
}

/** The CloudWatch namespace of the job metrics every Baton function writes (EMF, via Powertools Metrics). */
export const JOB_METRICS_NAMESPACE = 'Baton';

/**
 * A job metric of one service, summed over the alarm period: the EMF metrics carry the dimension set `service`
 * alone (beside `service` + `operation`), so a per-service alarm needs no metric math. `service` is the service
 * definition's name (`POWERTOOLS_SERVICE_NAME`), which stages of one service share.
 */
export function jobMetric(serviceName: string, metricName: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: JOB_METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: serviceName },
    statistic: 'Sum',
    period: ALARM_PERIOD,
  });
}

/** The alarm on a service's failed jobs (`JobsFailed`): any job that ended failed, by whichever function. */
export function jobsFailedAlarm(
  scope: Construct,
  id: string,
  props: { readonly serviceName: string; readonly alarmName: string } & Pick<BatonAlarmProps, 'alarmActions'>,
): cloudwatch.Alarm {
  return batonAlarm(scope, id, {
    alarmName: props.alarmName,
    description: `A job of ${props.serviceName} ended failed (the JobsFailed metric its functions write).`,
    metric: jobMetric(props.serviceName, 'JobsFailed'),
    ...(props.alarmActions && { alarmActions: props.alarmActions }),
  });
}
