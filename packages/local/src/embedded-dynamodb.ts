import { mkdir, open, readFile, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';

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
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as Dynalite;

export class DataDirInUse extends Error {
  override readonly name = 'DataDirInUse';
}

/**
 * LevelDB allows one process per folder, and a second one fails later with an uncaught "Database is closed". A
 * lock file naming the owning process turns that into a clear refusal at start; a lock left by a process that
 * no longer runs (killed, machine restarted) is taken over.
 */
async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const lockFile = join(dataDir, 'baton.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      return () => rm(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number((await readFile(lockFile, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isRunning(owner)) {
        throw new DataDirInUse(
          `${dataDir} is in use by another process (pid ${owner}), probably another \`baton dev\`: stop it, or give this one another data folder (--data-dir).`,
        );
      }
      await rm(lockFile, { force: true });
    }
  }
  throw new DataDirInUse(`Could not lock ${dataDir}.`);
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function startEmbeddedDynamoDb(
  options: EmbeddedDynamoDbOptions = {},
): Promise<EmbeddedDynamoDb> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) await mkdir(dataDir, { recursive: true });
  const unlock = dataDir === undefined ? async () => {} : await lockDataDir(dataDir);
  // Tables become ACTIVE at once: nothing waits for a CREATING state that only mimics the cloud's delay.
  const server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dataDir === undefined ? {} : { path: dataDir }),
  });
  const host = options.host ?? '127.0.0.1';
  try {
    await new Promise<void>((resolveListen, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolveListen();
      });
    });
  } catch (error) {
    await new Promise((closed) => server.close(closed));
    await unlock();
    throw error;
  }
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
      }).finally(unlock);
      return stopped;
    },
  };
}
