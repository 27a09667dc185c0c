import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { EventBridgeDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ALARM_PERIOD } from './alarms.js';
import {
  BatonFunction,
  type BatonFunctionProps,
  DEFAULT_LOG_RETENTION,
  functionArnFromName,
} from './baton-function.js';
import { FAILED_EVENTS_TABLE_ACTIONS } from './permissions.js';

/** Lambda's EventBridge destination names its events so (lambda/latest/dg/invocation-async-retain-records). */
export const FAILURE_SOURCE = 'lambda';
export const FAILURE_DETAIL_TYPE = 'Lambda Function Invocation Result - Failure';

export interface FailureDestinationProps {
  /** The EventBridge bus failed async invocations go to. */
  readonly busName: string;
  /** Of the bus. @default 'Failed async invocations (the Lambda on-failure destination).' */
  readonly description?: string;
  /** @default - the bus's name */
  readonly archiveName?: string;
  /**
   * How long failed events are kept for replay.
   * @default Duration.days(30)
   */
  readonly archiveRetention?: Duration;
  /** Of the log group live failures are written to, and of the handler's logs. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** Added to every alarm made here. @default - none */
  readonly alarmActions?: readonly cloudwatch.IAlarmAction[];
  /**
   * The failed-event handler: marks the job of a job-run event Lambda gave up on failed, with the reason. Its
   * retention and alarm actions default to this construct's.
   */
  readonly failedEventHandler: BatonFunctionProps;
  /** The jobs table the handler reads and fails jobs in. */
  readonly table: dynamodb.ITable;
  /** The functions that run jobs, by name: the live failures of their events go to the handler. */
  readonly jobRunnerFunctionNames: readonly string[];
  /**
   * Publish where the failed events are, for `baton failed list|replay` (its log group's name, the archive's and
   * the bus's ARNs), as SSM parameters `<parameterPath>/log-group`, `/archive` and `/bus`. @default - none
   */
  readonly parameterPath?: string;
}

/** The SSM parameters a FailureDestination publishes under its `parameterPath`. */
export const failedEventsParameterNames = (parameterPath: string) => ({
  logGroup: `${parameterPath}/log-group`,
  archive: `${parameterPath}/archive`,
  bus: `${parameterPath}/bus`,
});

/** The rules that watch one function's failed async events. */
export interface FailureRules {
  /** Live failures (not replays) of the function, to the failed-events log group; an alarm counts them. */
  readonly failureRule: events.Rule;
  /** Replayed failures of the function: the original event goes back to it. */
  readonly replayRule: events.Rule;
  readonly alarm: cloudwatch.Alarm;
}

/**
 * Where failed async invocations go (decision 0005): an EventBridge bus whose archive keeps them replayable, a log
 * group the live ones are written to, and the failed-event handler, which marks each one's job failed. `watch(fn)`
 * adds a function's rules: its live failures to the log group (counted by an alarm), its replayed ones back to it.
 * Set `destination` as the function's on-failure destination.
 */
export class FailureDestination extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  /** Every live failure, as EventBridge delivered it. */
  readonly logGroup: logs.LogGroup;
  /** For `configureAsyncInvoke({ onFailure })`: puts the failure record on the bus. */
  readonly destination: lambda.IDestination;
  readonly handler: BatonFunction;
  /** The rule on the bus that hands live failures of the job runners to the handler. */
  readonly handlerRule: events.Rule;
  /** Where the failed events are, for `baton failed` (absent without `parameterPath`). */
  readonly parameters: readonly ssm.StringParameter[];
  private readonly alarmActions: readonly cloudwatch.IAlarmAction[];
  private readonly watched = new Map<BatonFunction, FailureRules>();

  constructor(scope: Construct, id: string, props: FailureDestinationProps) {
    super(scope, id);
    this.alarmActions = props.alarmActions ?? [];
    const retention = props.logRetention ?? DEFAULT_LOG_RETENTION;
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.busName,
      description: props.description ?? 'Failed async invocations (the Lambda on-failure destination).',
    });
    this.archive = this.bus.archive('Archive', {
      archiveName: props.archiveName ?? props.busName,
      description:
        'Every failed async invocation, kept for replay (start-replay hands them back to the function).',
      eventPattern: { source: [FAILURE_SOURCE], detailType: [FAILURE_DETAIL_TYPE] },
      retention: props.archiveRetention ?? Duration.days(30),
    });
    this.destination = new EventBridgeDestination(this.bus);
    this.logGroup = new logs.LogGroup(this, 'Logs', { retention });
    // EventBridge writes to a log group only if the group's resource policy lets it. CDK's log-group target
    // would create that policy through a custom-resource Lambda; the native resource does the same job.
    new logs.ResourcePolicy(this, 'LogsPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.logGroup.logGroupArn],
        }),
      ],
    });

    const spec = props.failedEventHandler;
    const name = spec.functionName;
    this.handler = new BatonFunction(this, 'Handler', {
      logRetention: retention,
      alarmActions: this.alarmActions,
      throttlesAlarm: false,
      errorsAlarmDescription: `${name} threw or timed out on a failed job-run event (Lambda retries it; the reconciler is the backstop).`,
      ...spec,
    });
    this.handler.grantJobsTable(props.table, FAILED_EVENTS_TABLE_ACTIONS);
    // EventBridge invokes it asynchronously: Lambda retries a record it failed on (a store error is thrown for
    // that) twice within the hour. No failure destination on purpose: its own failure record would go to the bus
    // it listens on, so a handler that cannot get through would keep feeding itself. A record it drops is still
    // in the archive and the log group, its `-errors` alarm goes off, and the reconciler ends or recovers the job
    // anyway once it has been left alone for the grace period.
    this.handler.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });
    // It listens on the bus beside the archive, the log and the replay rules, rather than being the functions'
    // on-failure destination, so none of those is lost.
    this.handlerRule = new events.Rule(this, 'HandlerRule', {
      eventBus: this.bus,
      description: `Failed job-run events of the functions that run jobs, as they happen: to ${name}.`,
      eventPattern: {
        source: [FAILURE_SOURCE],
        detailType: [FAILURE_DETAIL_TYPE],
        detail: invokedFunctionIs(props.jobRunnerFunctionNames.map((fn) => functionArnFromName(this, fn))),
      },
      // The whole event: the handler reads Lambda's record from `detail`. EventBridge retries a delivery Lambda
      // refused (the invoke itself failing, not the function) for up to an hour; no dead-letter queue, for the
      // same reasons as above.
      targets: [
        new targets.LambdaFunction(this.handler.function, {
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    replayOnly(this.handlerRule, false);

    const path = props.parameterPath;
    const names = path === undefined ? undefined : failedEventsParameterNames(path);
    this.parameters = names
      ? [
          ['LogGroupParameter', names.logGroup, this.logGroup.logGroupName, 'failed-events log group (list)'],
          ['ArchiveParameter', names.archive, this.archive.archiveArn, 'failed-events archive ARN (replay)'],
          ['BusParameter', names.bus, this.bus.eventBusArn, 'failure bus ARN (replay destination)'],
        ].map(
          ([id, parameterName, stringValue, what]) =>
            new ssm.StringParameter(this, id as string, {
              parameterName: parameterName as string,
              stringValue: stringValue as string,
              description: `Where baton failed list|replay finds the ${what}.`,
              tier: ssm.ParameterTier.STANDARD,
            }),
        )
      : [];
  }

  /**
   * Lets the grantee list and replay the failed events (`baton failed list|replay`): read the parameters, filter
   * the log group, start a replay of the archive. A replay reaches only the replay rules' functions.
   */
  grantReplay(grantee: iam.IGrantable): iam.Grant {
    const grants = [
      ...this.parameters.map((parameter) => parameter.grantRead(grantee)),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['logs:FilterLogEvents'],
        resourceArns: [this.logGroup.logGroupArn],
      }),
      iam.Grant.addToPrincipal({
        grantee,
        actions: ['events:StartReplay'],
        resourceArns: [this.archive.archiveArn],
      }),
    ];
    return grants.reduce((all, grant) => all.combine(grant));
  }

  /**
   * Watches a function's failed async events: a rule writes the live ones to the log group (an alarm on the
   * function counts them) and a rule hands replayed ones back to it. Set `destination` as its on-failure
   * destination for events to arrive.
   */
  watch(fn: BatonFunction, id: string = fn.node.id): FailureRules {
    const existing = this.watched.get(fn);
    if (existing) return existing;
    const name = fn.functionName;
    // Lambda reports the ARN it ran, usually qualified (`…:function:name:$LATEST`).
    const fromThisFunction = invokedFunctionIs([functionArnFromName(this, name)]);
    const failureRule = new events.Rule(this, `${id}FailureRule`, {
      eventBus: this.bus,
      description: `Failed async invocations of ${name}, as they happen.`,
      eventPattern: { source: [FAILURE_SOURCE], detailType: [FAILURE_DETAIL_TYPE], detail: fromThisFunction },
      targets: [new LogGroupTarget(this.logGroup)],
    });
    // A replayed event carries `replay-name` (the archive's own rule uses it to skip replays). The L2 pattern
    // has no such field, hence the override.
    replayOnly(failureRule, false);
    // The original event goes back wrapped as a replay (decision 0015): only a replay puts back in the queue a
    // job that failed because Lambda gave up delivering it.
    const replayRule = new events.Rule(this, `${id}ReplayRule`, {
      eventBus: this.bus,
      description: `Replayed failed invocations of ${name}: the original event goes back to the function, as a replay.`,
      eventPattern: { source: [FAILURE_SOURCE], detailType: [FAILURE_DETAIL_TYPE], detail: fromThisFunction },
      targets: [
        new targets.LambdaFunction(fn.function, {
          event: new ReplayEnvelope(),
          retryAttempts: 2,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });
    replayOnly(replayRule, true);
    const alarm = fn.addAlarm('FailedEventsAlarm', {
      suffix: 'failedevents',
      description: `An async event of ${name} exhausted its retries and went to the failure bus (replayable from the archive).`,
      metric: new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName: 'MatchedEvents',
        dimensionsMap: { RuleName: failureRule.ruleName },
        statistic: 'Sum',
        period: ALARM_PERIOD,
      }),
    });
    const rules = { failureRule, replayRule, alarm };
    this.watched.set(fn, rules);
    return rules;
  }

  /** The rules `watch` made for a function. */
  rulesFor(fn: BatonFunction): FailureRules | undefined {
    return this.watched.get(fn);
  }

  /** Every alarm made here: the handler's, and the failed-events alarm of each watched function. */
  get alarms(): readonly cloudwatch.Alarm[] {
    return [...this.handler.alarms, ...[...this.watched.values()].map((rules) => rules.alarm)];
  }
}

/**
 * An event pattern for failure records of these functions. Lambda reports the ARN it ran, usually qualified
 * (`…:function:name:$LATEST`), so each ARN matches bare or as a prefix.
 */
function invokedFunctionIs(arns: readonly string[]) {
  return { requestContext: { functionArn: arns.flatMap((arn) => [arn, { prefix: `${arn}:` }]) } };
}

/** Matches only replayed events (`replay-name` present) or only live ones. */
function replayOnly(rule: events.Rule, replayed: boolean): void {
  (rule.node.defaultChild as events.CfnRule).addPropertyOverride('EventPattern.replay-name', [
    { exists: replayed },
  ]);
}

/**
 * What a replay rule sends the function: the original event (`detail.requestPayload`) in a replay envelope named
 * by the replay, `{ baton: 'job.replay', v: 1, replay, event }` (JobReplayEventSchema of @baton/self-invoke). An
 * input transformer; the event is inserted as JSON whatever it holds, so no field of it can go missing.
 */
export class ReplayEnvelope extends events.RuleTargetInput {
  static readonly TEMPLATE = '{"baton":"job.replay","v":1,"replay":"<replay>","event":<event>}';
  // biome-ignore lint/complexity/noUselessConstructor: it widens the inherited protected constructor to public.
  constructor() {
    super();
  }
  bind(): events.RuleTargetInputProperties {
    return {
      inputTemplate: ReplayEnvelope.TEMPLATE,
      inputPathsMap: { replay: '$.replay-name', event: '$.detail.requestPayload' },
    };
  }
}

/** A CloudWatch Logs rule target whose resource policy is a native resource (see the constructor). */
class LogGroupTarget implements events.IRuleTarget {
  constructor(private readonly logGroup: logs.LogGroup) {}
  bind(): events.RuleTargetConfig {
    return {
      arn: Stack.of(this.logGroup).formatArn({
        service: 'logs',
        resource: 'log-group',
        resourceName: this.logGroup.logGroupName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    };
  }
}
