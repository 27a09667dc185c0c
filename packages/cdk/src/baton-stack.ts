import { servingFunction } from '@baton/service';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { BatonService, type BatonServiceProps } from './baton-service.js';

export interface BatonStackProps<K extends string = string> extends StackProps, BatonServiceProps<K> {}

const pascal = (text: string) => text.replace(/(^|[-_])(\w)/g, (_, _sep, c: string) => c.toUpperCase());

/**
 * A stack holding one BatonService (`service`), with outputs under fixed keys: `RestApiUrl`, `HttpApiUrl`,
 * `FunctionUrl`, `InvokeFunctionName`, `JobsTableName`, `FailureBusName`, `FailedEventsLogGroupName`,
 * `<Key>FunctionName` per function, `ReconcilerFunctionName`, `ReconcilerLogGroupName`,
 * `FailedEventHandlerFunctionName` and `FailedEventHandlerLogGroupName`. BatonService itself makes no outputs,
 * so that several fit one stack; one per stack can have plain keys.
 */
export class BatonStack<K extends string = string> extends Stack {
  readonly service: BatonService<K>;

  constructor(scope: Construct, id: string, props: BatonStackProps<K>) {
    super(scope, id, props);
    const service = new BatonService(this, 'Service', props);
    this.service = service;
    const output = (key: string, value: string) => new CfnOutput(this, key, { value });

    if (service.doors.restApi) output('RestApiUrl', service.doors.restApi.url);
    if (service.doors.httpApi) output('HttpApiUrl', service.doors.httpApi.url);
    if (service.doors.functionUrl) output('FunctionUrl', service.doors.functionUrl.url);
    const invokeKey = servingFunction(service.definition, 'invoke');
    const invokeFunction = invokeKey === undefined ? undefined : service.functions.get(invokeKey);
    if (invokeFunction) output('InvokeFunctionName', invokeFunction.functionName);
    for (const [key, fn] of service.functions) output(`${pascal(key)}FunctionName`, fn.functionName);
    output('JobsTableName', service.table.tableName);
    output('FailureBusName', service.failureBus.eventBusName);
    output('FailedEventsLogGroupName', service.failureDestination.logGroup.logGroupName);
    output('ReconcilerFunctionName', service.reconciler.handler.functionName);
    output('ReconcilerLogGroupName', service.reconciler.handler.logGroup.logGroupName);
    output('FailedEventHandlerFunctionName', service.failureDestination.handler.functionName);
    output('FailedEventHandlerLogGroupName', service.failureDestination.handler.logGroup.logGroupName);
  }
}
