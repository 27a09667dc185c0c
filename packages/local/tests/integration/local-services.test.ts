import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { expect, it } from 'vitest';
import { startLocalServices } from '../../src/index.js';
import { fixture, invoke, lambdaClient, waitForActiveTable } from '../support/helpers.js';

it('a handler reaches the embedded DynamoDB through its environment alone', async () => {
  const local = await startLocalServices({
    functions: [{ name: 'dynamodb-counter', entry: fixture('dynamodb-counter'), timeoutSeconds: 10 }],
    logs: 'quiet',
  });
  const dynamoDb = new DynamoDBClient({
    endpoint: local.dynamoDb?.endpoint ?? '',
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
  });
  const client = lambdaClient(local.lambda.url);
  try {
    await dynamoDb.send(
      new CreateTableCommand({
        TableName: 'counters',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await waitForActiveTable(dynamoDb, 'counters');
    const payload = JSON.stringify({ table: 'counters', key: 'visits' });
    await invoke(client, { FunctionName: 'dynamodb-counter', Payload: payload });
    const second = await invoke(client, { FunctionName: 'dynamodb-counter', Payload: payload });
    expect(second.FunctionError).toBeUndefined();
    expect(second.payload).toEqual({ calls: 2 });
  } finally {
    client.destroy();
    dynamoDb.destroy();
    await local.stop();
  }
});
