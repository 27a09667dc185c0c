import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirInUse, startEmbeddedDynamoDb } from '../../src/index.js';
import { removeTemporaryDirs, temporaryDir, waitForActiveTable } from '../support/helpers.js';

afterAll(removeTemporaryDirs);

function dynamoDbClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
  });
}

async function createJobsTable(client: DynamoDBClient): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: 'jobs',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitForActiveTable(client, 'jobs');
}

describe('startEmbeddedDynamoDb', () => {
  it('keeps data written before a stop when restarted on the same dataDir', async () => {
    const dataDir = temporaryDir('baton-dynamodb-');

    const first = await startEmbeddedDynamoDb({ dataDir });
    const writer = dynamoDbClient(first.endpoint);
    await createJobsTable(writer);
    await writer.send(
      new PutItemCommand({ TableName: 'jobs', Item: { pk: { S: 'job-1' }, status: { S: 'queued' } } }),
    );
    // Keep-alive sockets of a live client would hold the server open: destroy clients before stopping.
    writer.destroy();
    await first.stop();
    expect(readdirSync(dataDir).length).toBeGreaterThan(0); // LevelDB files, on disk

    const second = await startEmbeddedDynamoDb({ dataDir });
    const reader = dynamoDbClient(second.endpoint);
    try {
      const { Item } = await reader.send(
        new GetItemCommand({ TableName: 'jobs', Key: { pk: { S: 'job-1' } }, ConsistentRead: true }),
      );
      expect(Item).toEqual({ pk: { S: 'job-1' }, status: { S: 'queued' } });
    } finally {
      reader.destroy();
      await second.stop();
    }
  });

  it('without a dataDir keeps data in memory only', async () => {
    const first = await startEmbeddedDynamoDb();
    const client = dynamoDbClient(first.endpoint);
    await createJobsTable(client);
    await client.send(new PutItemCommand({ TableName: 'jobs', Item: { pk: { S: 'job-1' } } }));
    const { Item } = await client.send(
      new GetItemCommand({ TableName: 'jobs', Key: { pk: { S: 'job-1' } } }),
    );
    expect(Item).toEqual({ pk: { S: 'job-1' } });
    client.destroy();
    await first.stop();

    const second = await startEmbeddedDynamoDb();
    const fresh = dynamoDbClient(second.endpoint);
    try {
      await expect(
        fresh.send(new GetItemCommand({ TableName: 'jobs', Key: { pk: { S: 'job-1' } } })),
      ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    } finally {
      fresh.destroy();
      await second.stop();
    }
  });

  it('refuses a data folder another process holds, and takes over a lock its dead owner left', async () => {
    const dataDir = temporaryDir('baton-dynamodb-lock-');
    const first = await startEmbeddedDynamoDb({ dataDir });
    // Another process's lock: the test runner's parent is alive for as long as this test runs.
    writeFileSync(join(dataDir, 'baton.lock'), String(process.ppid));
    await expect(startEmbeddedDynamoDb({ dataDir })).rejects.toThrow(DataDirInUse);
    await expect(startEmbeddedDynamoDb({ dataDir })).rejects.toThrow(/in use by another process \(pid \d+\)/);
    await first.stop();

    // A pid no process has (above Linux's pid_max): a lock left by a process that was killed.
    writeFileSync(join(dataDir, 'baton.lock'), '4194305');
    const second = await startEmbeddedDynamoDb({ dataDir });
    await second.stop();
    expect(readdirSync(dataDir)).not.toContain('baton.lock');
  });
});
