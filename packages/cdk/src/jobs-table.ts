import { jobsTable, jobsTableDefinition } from '@baton/dynamodb';
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface JobsTableProps {
  /** The table's name: the handlers find it by name (`JOBS_TABLE`), so it is fixed. */
  readonly tableName: string;
  /**
   * What deleting the stack (or the construct) does to the table.
   * @default RemovalPolicy.RETAIN - jobs are users' data
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The jobs table, built from @baton/dynamodb's own table definition (keys, the owner index, the sparse index of
 * unfinished jobs, on-demand, TTL), so the cloud table and the one `baton dev` creates cannot differ. Point-in-time
 * recovery on, encrypted with the AWS managed key.
 */
export class JobsTable extends Construct {
  readonly table: dynamodb.Table;
  readonly tableName: string;

  constructor(scope: Construct, id: string, props: JobsTableProps) {
    super(scope, id);
    const spec = jobsTableDefinition(props.tableName);
    if (spec.BillingMode !== 'PAY_PER_REQUEST')
      throw new Error('The jobs table is expected to be on-demand.');
    const attribute = (name: string | undefined): dynamodb.Attribute => {
      const type = spec.AttributeDefinitions?.find((a) => a.AttributeName === name)?.AttributeType;
      const types = { S: dynamodb.AttributeType.STRING, N: dynamodb.AttributeType.NUMBER };
      if (!name || (type !== 'S' && type !== 'N')) throw new Error(`Unsupported key attribute ${name}.`);
      return { name, type: types[type] };
    };
    const keyOf = (schema: typeof spec.KeySchema, kind: 'HASH' | 'RANGE') =>
      schema?.find((key) => key.KeyType === kind)?.AttributeName;

    this.tableName = props.tableName;
    this.table = new dynamodb.Table(this, 'Table', {
      tableName: spec.TableName,
      partitionKey: attribute(keyOf(spec.KeySchema, 'HASH')),
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: jobsTable.ttl,
      // The AWS managed key (aws/dynamodb) rather than the AWS owned default: every use of it is in CloudTrail,
      // it costs no monthly key fee, and DynamoDB caches its data key so the KMS request charges are negligible.
      // A customer managed key would add $1/month and a key policy to maintain, for control nobody needs here.
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    for (const index of spec.GlobalSecondaryIndexes ?? []) {
      const sortKey = keyOf(index.KeySchema, 'RANGE');
      const projection = index.Projection?.ProjectionType;
      if (!index.IndexName || !projection) throw new Error('An index needs a name and a projection.');
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: attribute(keyOf(index.KeySchema, 'HASH')),
        ...(sortKey && { sortKey: attribute(sortKey) }),
        projectionType: projection as dynamodb.ProjectionType,
        ...(projection === 'INCLUDE' && {
          nonKeyAttributes: [...(index.Projection?.NonKeyAttributes ?? [])],
        }),
      });
    }
  }
}
