import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import dynalite from 'dynalite';

/** DynamoDB for the tests, in this process (dynalite: pure JavaScript, in memory). */
export interface TestDynamoDb {
  /** `http://127.0.0.1:port`, for `DynamoDBClient({ endpoint })` or `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  /** Destroy SDK clients first: their keep-alive sockets are cut here. */
  stop(): Promise<void>;
}

export async function startDynamoDb(): Promise<TestDynamoDb> {
  // Tables become ACTIVE at once: nothing waits for a CREATING state that only mimics the cloud's delay.
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
