import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type RunningService, startService } from '../../src/index.js';
import { FIXTURE_SERVICE_DIR, functionUrlService } from '../fixtures/service/service.js';

/**
 * startService runs any definition: here a service whose only door is its Function URL and whose function runs
 * its own jobs by invoking itself. Only that door's emulator is started; plain HTTP reaches it.
 */
const running: RunningService[] = [];
const tempDirs: string[] = [];

afterAll(async () => {
  for (const service of running.splice(0)) await service.stop();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(options: Omit<Parameters<typeof startService>[1], 'appDir'> = {}) {
  const service = await startService(functionUrlService, {
    appDir: FIXTURE_SERVICE_DIR,
    logs: 'quiet',
    ...options,
  });
  running.push(service);
  return service;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(`${url}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

describe('startService with a Function-URL-only, self-invoking service', () => {
  let service: RunningService;

  beforeAll(async () => {
    service = await start();
  }, 120_000);

  it('starts the Function URL emulator only, and names every function in use', () => {
    const { endpoints } = service;
    expect(endpoints.functionUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints).not.toHaveProperty('restApi');
    expect(endpoints).not.toHaveProperty('httpApi');
    expect(endpoints.invoke).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.dynamodb).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(endpoints.functions).toEqual({ url: 'fixture-url-url' });
    expect(service.lambda.functionNames().sort()).toEqual([
      'fixture-url-failed-events',
      'fixture-url-reconciler',
      'fixture-url-url',
    ]);
    expect(service.resumed).toBe(0);
  });

  it('answers a quick operation synchronously over plain HTTP', async () => {
    const answer = await post(service.endpoints.functionUrl as string, {
      operation: 'greet',
      input: { name: 'baton' },
    });
    expect(answer).toMatchObject({
      status: 200,
      json: { status: 'succeeded', result: { greeting: 'hello, baton' } },
    });
  });

  it('runs an async job by invoking itself: 202 + Location, progress, then the result', async () => {
    const url = service.endpoints.functionUrl as string;
    const accepted = await post(
      url,
      { operation: 'count', input: { to: 30, stepMs: 100 } },
      { prefer: 'respond-async' },
    );
    expect(accepted.status).toBe(202);
    const location = accepted.headers.get('location') as string;
    expect(location).toBe(`/jobs/${accepted.json.jobId}`);

    const fractions: number[] = [];
    let job: { status: string; progress?: { fraction: number }; result?: unknown } = { status: 'queued' };
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(100)) {
      job = await fetch(`${new URL(url).origin}${location}`).then((response) => response.json() as never);
      if (job.progress) fractions.push(job.progress.fraction);
      if (['succeeded', 'failed', 'cancelled'].includes(job.status)) break;
    }
    expect(job).toMatchObject({ status: 'succeeded', result: { counted: 30 } });
    // Progress is written at most once a second: a 3-second job shows some on the way.
    expect(fractions.some((fraction) => fraction > 0 && fraction < 1)).toBe(true);
    // The job ran as async invocations of the door's own function. An invocation is listed once it has ended,
    // which is after the job's last write (the finished event is put after it): wait for it.
    await vi.waitFor(() => {
      const asyncRuns = service.lambda
        .invocations('fixture-url-url')
        .filter((run) => run.invocationType === 'Event');
      expect(asyncRuns.length).toBeGreaterThanOrEqual(1);
    });
  }, 60_000);

  it('runs the reconciler when asked', async () => {
    await service.reconcileNow();
    await service.lambda.waitForIdle({ timeoutMs: 20_000 });
    const runs = service.lambda.invocations('fixture-url-reconciler');
    expect(runs.length).toBeGreaterThanOrEqual(1);
    expect(runs.at(-1)).toMatchObject({ ok: true });
  }, 30_000);
});

describe('startService with a prefix', () => {
  it('puts the prefix before every name: functions, maintenance functions and the jobs table', async () => {
    const service = await start({ prefix: 'dev' });
    expect(service.endpoints.functions).toEqual({ url: 'dev-fixture-url-url' });
    expect(service.lambda.functionNames().sort()).toEqual([
      'dev-fixture-url-failed-events',
      'dev-fixture-url-reconciler',
      'dev-fixture-url-url',
    ]);
    const dynamo = new DynamoDBClient({
      endpoint: service.endpoints.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      expect((await dynamo.send(new ListTablesCommand({}))).TableNames).toEqual(['dev-fixture-url-jobs']);
    } finally {
      dynamo.destroy();
    }
    // The function finds its table by the prefixed name.
    const answer = await post(service.endpoints.functionUrl as string, {
      operation: 'greet',
      input: { name: 'dev' },
    });
    expect(answer).toMatchObject({ status: 200, json: { status: 'succeeded' } });
  }, 120_000);
});

describe('startService refuses bad options before anything listens', () => {
  const dataDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'baton-start-service-'));
    tempDirs.push(dir);
    return join(dir, 'dynamodb');
  };

  it.each([-1, 1.5, 65_531, 70_000, Number.NaN])('basePort %s', async (basePort) => {
    const dir = dataDir();
    await expect(start({ basePort, dataDir: dir })).rejects.toThrow(/basePort must be 0/);
    // The embedded DynamoDB would have made its data folder.
    expect(existsSync(dir)).toBe(false);
  });

  it('a port another process holds, named before any function is bundled', async () => {
    const holder = createServer();
    await new Promise<void>((listening) => holder.listen(0, '127.0.0.1', listening));
    const held = (holder.address() as AddressInfo).port;
    try {
      const dir = dataDir();
      // The held port is the first of the six (the REST API's), the first one looked at.
      await expect(start({ basePort: held, dataDir: dir })).rejects.toThrow(
        new RegExp(`Port ${held} on 127.0.0.1 is in use`),
      );
      expect(existsSync(dir)).toBe(false);
    } finally {
      holder.close();
    }
  });

  it('a host off loopback without credentials', async () => {
    const dir = dataDir();
    await expect(start({ host: '0.0.0.0', dataDir: dir })).rejects.toThrow(
      /0\.0\.0\.0 is not a loopback address.*no credentials/,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('an appDir that is not a folder', async () => {
    const dir = dataDir();
    await expect(
      startService(functionUrlService, { appDir: join(FIXTURE_SERVICE_DIR, 'missing'), dataDir: dir }),
    ).rejects.toThrow(/is not a folder/);
    expect(existsSync(dir)).toBe(false);
  });
});
