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
