import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { describeJobStoreConformance } from '@baton/core/testing/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobsTable, jobsTable } from '../../src/index.js';
import { describeDynamoDbAdapter } from './adapter-suite.js';
import {
  type Backend,
  conformanceFactory,
  dynamoDbLocalUnavailable,
  newTableName,
  startDynamoDbLocal,
} from './servers.js';

const unavailable = dynamoDbLocalUnavailable();
if (unavailable)
  console.warn(`Skipping the DynamoDB Local suite: ${unavailable}. Install Java 17+ to run it.`);

describe.skipIf(unavailable !== undefined)('on DynamoDB Local (AWS, Java)', () => {
  let backend: Backend;
  beforeAll(async () => {
    backend = await startDynamoDbLocal();
  });
  afterAll(async () => {
    await backend?.stop();
  });

  describeJobStoreConformance(
    'DynamoDbJobStore on DynamoDB Local',
    conformanceFactory(() => backend),
  );
  describeDynamoDbAdapter(() => backend);

  it('turns on TTL deletion on the ttl attribute', async () => {
    const tableName = newTableName();
    await createJobsTable(backend.client, tableName);
    await createJobsTable(backend.client, tableName);
    const { TimeToLiveDescription } = await backend.client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    expect(TimeToLiveDescription).toMatchObject({ AttributeName: jobsTable.ttl });
    expect(['ENABLED', 'ENABLING']).toContain(TimeToLiveDescription?.TimeToLiveStatus);
  });
});
