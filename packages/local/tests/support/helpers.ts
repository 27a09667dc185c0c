import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  InvokeCommand,
  type InvokeCommandInput,
  type InvokeCommandOutput,
  LambdaClient,
} from '@aws-sdk/client-lambda';

const fixturesDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

/** The path of a fixture handler module in tests/fixtures. */
export function fixture(name: string): string {
  return join(fixturesDir, `${name}.ts`);
}

const temporaryDirs: string[] = [];

/** A fresh folder under the OS temp dir; removeTemporaryDirs() deletes every one made so far. */
export function temporaryDir(prefix = 'baton-local-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

export function removeTemporaryDirs(): void {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The real SDK client, pointed at the local service; one attempt, so retries never hide behaviour. */
export function lambdaClient(url: string): LambdaClient {
  return new LambdaClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCALTEST', secretAccessKey: 'local-test-secret' },
    maxAttempts: 1,
  });
}

export interface InvokeResult extends InvokeCommandOutput {
  /** The payload as text ('' when there is none). */
  payloadText: string;
  /** The payload parsed as JSON (undefined when there is none). */
  payload: unknown;
}

/** Invoke through the real SDK, with the payload decoded. */
export async function invoke(client: LambdaClient, input: InvokeCommandInput): Promise<InvokeResult> {
  const response = await client.send(new InvokeCommand(input));
  const text = response.Payload ? Buffer.from(response.Payload).toString('utf8') : '';
  return { ...response, payloadText: text, payload: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/**
 * Polls until `check` is true (for effects that happen in another thread or on disk). A check that throws (a
 * file not written yet) counts as not yet; the last error is reported if the time runs out.
 */
export async function eventually(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (check()) return;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `condition not met within ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`,
      );
    }
    await new Promise((wake) => setTimeout(wake, 10));
  }
}

/**
 * How long a test waits for the Lambda service to go idle. Generous on purpose: with `timeScale: 0.001` the
 * work itself takes well under a second, so only a stuck service gets near it — and then `waitForIdle` fails
 * with what is still busy, before the test's own timeout (see IDLE_TEST_TIMEOUT_MS) hides it.
 */
export const IDLE_TIMEOUT_MS = 30_000;

/** A test timeout that leaves room for two IDLE_TIMEOUT_MS waits. */
export const IDLE_TEST_TIMEOUT_MS = 2 * IDLE_TIMEOUT_MS + 10_000;

/**
 * Waits until a new table is ACTIVE. As DynamoDB does, CreateTable answers CREATING; the embedded DynamoDB turns
 * it ACTIVE a moment later (no artificial delay, but not before its answer), and a write before that is refused
 * with "Requested resource not found".
 */
export async function waitForActiveTable(client: DynamoDBClient, tableName: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline)
      throw new Error(`table ${tableName} still ${Table?.TableStatus} after ${timeoutMs} ms`);
    await new Promise((wake) => setTimeout(wake, 10));
  }
}
