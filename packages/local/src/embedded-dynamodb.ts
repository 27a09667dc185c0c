import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';

/**
 * DynamoDB on this machine without AWS or Java: dynalite (pure JavaScript, in this process). With a `dataDir` it
 * stores tables in LevelDB there, so a restart on the same folder loses nothing; without one it keeps them in
 * memory. Known gaps (dynalite 4): no transactions, no TTL expiry, no Streams, no PartiQL.
 */

export interface EmbeddedDynamoDbOptions {
  /** Keep data on disk in this folder (created if missing). Default: in memory. */
  dataDir?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface EmbeddedDynamoDb {
  /** `http://host:port`: for `DynamoDBClient({ endpoint })` or `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  readonly port: number;
  /** Stops serving and closes the store. Destroy SDK clients first: their keep-alive sockets are cut here. */
  stop(): Promise<void>;
}

type Dynalite = (options: {
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
  path?: string;
}) => Server;

// dynalite is CommonJS without types.
const dynalite = createRequire(import.meta.url)('dynalite') as Dynalite;

export async function startEmbeddedDynamoDb(
  options: EmbeddedDynamoDbOptions = {},
): Promise<EmbeddedDynamoDb> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  // Tables become ACTIVE at once: nothing waits for a CREATING state that only mimics the cloud's delay.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir === undefined ? {} : { path: dataDir }),
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://${urlHost}:${address.port}`,
    port: address.port,
    stop() {
      stopped ??= new Promise<void>((resolveStop, reject) => {
        // dynalite's close() waits for pending writes, then closes the store.
        server.close((error) => (error ? reject(error) : resolveStop()));
        server.closeIdleConnections();
      });
      return stopped;
    },
  };
}
