import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaService, startFunctionUrlEmulator, startLambdaService } from '../../src/index.js';
import {
  eventually,
  fixture,
  invoke,
  lambdaClient,
  removeTemporaryDirs,
  temporaryDir,
} from '../support/helpers.js';

/**
 * What keeps the local stack lean (docs/decisions/0010-a-lean-local-stack.md): idle environments are reaped,
 * an emulator calls the Lambda service of its own process directly yet still reaches one elsewhere over HTTP,
 * and a kept bundle folder makes a restart with unchanged sources build nothing.
 */

let service: LambdaService;
let client: LambdaClient;

beforeAll(async () => {
  service = await startLambdaService({
    functions: [
      { name: 'counter', entry: fixture('counter') },
      { name: 'gateway', entry: fixture('gateway'), timeoutSeconds: 10 },
    ],
    idleEnvironmentTtlMs: 60_000,
    logs: 'quiet',
  });
  client = lambdaClient(service.url);
});

afterAll(async () => {
  client?.destroy();
  await service?.stop();
  removeTemporaryDirs();
});

describe('idle environments', () => {
  it('are kept while younger than the idle TTL, reaped on demand, and the next call is a cold start', async () => {
    const first = (await invoke(client, { FunctionName: 'counter', Payload: '{}' })).payload as {
      environmentId: string;
    };
    expect(service.stats().counter?.environments).toMatchObject({ idle: 1, started: 1 });
    // Younger than the 60 s TTL: kept.
    expect(await service.reapIdleEnvironments()).toBe(0);
    expect(service.stats().counter?.environments.idle).toBe(1);
    // Idle for at least 0 ms: reaped, without waiting for the timer.
    expect(await service.reapIdleEnvironments({ idleForMs: 0 })).toBe(1);
    expect(service.stats().counter?.environments).toMatchObject({ idle: 0, busy: 0 });
    const second = (await invoke(client, { FunctionName: 'counter', Payload: '{}' })).payload as {
      environmentId: string;
      invocations: number;
    };
    expect(second.environmentId).not.toBe(first.environmentId);
    expect(second.invocations).toBe(1);
    expect(service.stats().counter?.environments.started).toBe(2);
  });

  it('are reaped by the timer once the TTL passes', async () => {
    const quick = await startLambdaService({
      functions: [{ name: 'counter', entry: fixture('counter') }],
      idleEnvironmentTtlMs: 0,
      logs: 'quiet',
    });
    const quickClient = lambdaClient(quick.url);
    try {
      await invoke(quickClient, { FunctionName: 'counter', Payload: '{}' });
      await eventually(() => quick.stats().counter?.environments.idle === 0);
      expect(quick.stats().counter?.environments).toMatchObject({ busy: 0, started: 1 });
    } finally {
      quickClient.destroy();
      await quick.stop();
    }
  });

  it('refuses a negative idle TTL', async () => {
    await expect(
      startLambdaService({ functions: [], idleEnvironmentTtlMs: -1, logs: 'quiet' }),
    ).rejects.toThrow(/idleEnvironmentTtlMs/);
  });
});

describe('an emulator and its Lambda service', () => {
  let forwarder: Server;
  let forwarded = 0;

  beforeAll(async () => {
    // The service as another process would reach it: through a URL that is not this process's service.
    const target = new URL(service.url);
    forwarder = createServer((incoming, outgoing) => {
      forwarded += 1;
      const upstream = httpRequest(
        {
          hostname: target.hostname,
          port: target.port,
          method: incoming.method,
          path: incoming.url,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      incoming.pipe(upstream);
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    forwarder.closeAllConnections();
    await new Promise((resolve) => forwarder.close(resolve));
  });

  it('answers alike in the same process (no HTTP hop) and over HTTP', async () => {
    const direct = await startFunctionUrlEmulator({
      lambdaUrl: service.url,
      functionName: 'gateway',
      logs: 'quiet',
    });
    const remote = await startFunctionUrlEmulator({
      lambdaUrl: `http://127.0.0.1:${(forwarder.address() as AddressInfo).port}`,
      functionName: 'gateway',
      logs: 'quiet',
    });
    try {
      const before = forwarded;
      const viaDirect = await fetch(`${direct.url}/echo?x=1`);
      expect(forwarded).toBe(before);
      const viaHttp = await fetch(`${remote.url}/echo?x=1`);
      expect(forwarded).toBeGreaterThan(before);
      expect(viaDirect.status).toBe(200);
      expect(viaHttp.status).toBe(200);
      const [a, b] = (await Promise.all([viaDirect.json(), viaHttp.json()])) as Array<
        Record<string, unknown>
      >;
      expect(a?.rawPath).toBe('/echo');
      expect(b?.rawPath).toBe('/echo');
      expect(a?.rawQueryString).toBe(b?.rawQueryString);
      // A function error answers the same both ways.
      const [thrownDirect, thrownHttp] = await Promise.all([
        fetch(`${direct.url}/throw`),
        fetch(`${remote.url}/throw`),
      ]);
      expect(thrownDirect.status).toBe(502);
      expect(thrownHttp.status).toBe(502);
      expect(await thrownDirect.text()).toBe(await thrownHttp.text());
    } finally {
      await direct.stop();
      await remote.stop();
    }
  });

  it('refuses at start a function the service in this process does not have', async () => {
    await expect(
      startFunctionUrlEmulator({ lambdaUrl: service.url, functionName: 'missing', logs: 'quiet' }),
    ).rejects.toThrow(/no function named "missing"/);
  });
});

describe('a kept bundle folder', () => {
  it('is reused by a restart whose sources did not change, and rebuilt when one did', async () => {
    const dir = temporaryDir();
    const entry = join(dir, 'handler.ts');
    const bundleDir = join(dir, 'bundles');
    writeFileSync(entry, "export const handler = async () => 'v1';\n");
    const bundleFile = join(bundleDir, 'cached', 'index.mjs');
    const run = async () => {
      const started = await startLambdaService({
        functions: [{ name: 'cached', entry }],
        bundleDir,
        logs: 'quiet',
      });
      const startedClient = lambdaClient(started.url);
      try {
        return (await invoke(startedClient, { FunctionName: 'cached', Payload: '{}' })).payload;
      } finally {
        startedClient.destroy();
        await started.stop();
      }
    };
    expect(await run()).toBe('v1');
    const built = statSync(bundleFile).mtimeMs;
    const bundled = readFileSync(bundleFile, 'utf8');
    expect(await run()).toBe('v1');
    // Not written again: the cached bundle served.
    expect(statSync(bundleFile).mtimeMs).toBe(built);
    expect(readFileSync(bundleFile, 'utf8')).toBe(bundled);
    writeFileSync(entry, "export const handler = async () => 'version 2';\n");
    expect(await run()).toBe('version 2');
  });
});

describe('a service without a bundle folder', () => {
  it('shares one under node_modules/.cache with the services of the same functions, built once', async () => {
    const dir = temporaryDir();
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'handler.ts'), "export const handler = async () => 'shared';\n");
    const start = () =>
      startLambdaService({
        functions: [{ name: 'shared', entry: 'handler.ts' }],
        baseDir: dir,
        logs: 'quiet',
      });
    const first = await start();
    const bundleFile = join(first.bundleDir, 'shared', 'index.mjs');
    await first.stop();
    expect(first.bundleDir.startsWith(join(dir, 'node_modules', '.cache', 'baton', 'bundles'))).toBe(true);
    // Kept after the stop, for the next service of the same functions.
    const built = statSync(bundleFile).mtimeMs;
    const second = await start();
    const client = lambdaClient(second.url);
    try {
      expect(second.bundleDir).toBe(first.bundleDir);
      expect((await invoke(client, { FunctionName: 'shared', Payload: '{}' })).payload).toBe('shared');
      expect(statSync(bundleFile).mtimeMs).toBe(built);
    } finally {
      client.destroy();
      await second.stop();
    }
  });

  it('gets a temporary one of its own when it reloads changed code, removed on stop', async () => {
    const dir = temporaryDir();
    mkdirSync(join(dir, 'node_modules'));
    writeFileSync(join(dir, 'handler.ts'), "export const handler = async () => 'own';\n");
    const reloading = await startLambdaService({
      functions: [{ name: 'own', entry: 'handler.ts' }],
      baseDir: dir,
      reloadOnChange: true,
      logs: 'quiet',
    });
    expect(reloading.bundleDir.startsWith(dir)).toBe(false);
    expect(existsSync(join(reloading.bundleDir, 'own', 'index.mjs'))).toBe(true);
    await reloading.stop();
    expect(existsSync(reloading.bundleDir)).toBe(false);
  });
});

describe('the functions of one start', () => {
  /** The files of each function's folder in a bundle folder, as `<function>/<file>`, sorted. */
  const bundleFiles = (bundleDir: string): string[] =>
    readdirSync(bundleDir)
      .filter((name) => name !== '.runtime')
      .flatMap((name) => readdirSync(join(bundleDir, name)).map((file) => `${name}/${file}`))
      .sort();

  it('are built together, yet each gets a self-contained bundle and source map of its own inputs', async () => {
    const dir = temporaryDir();
    const bundleDir = join(dir, 'bundles');
    // Both use `shared.ts`; each has a module of its own; `first` also re-exports one that only holds types (it
    // leaves no code in the bundle, yet a change to it is a change to the function).
    writeFileSync(join(dir, 'shared.ts'), "export const greet = (who: string) => 'hello ' + who;\n");
    writeFileSync(join(dir, 'only-first.ts'), "export const name = 'first';\n");
    writeFileSync(join(dir, 'only-second.ts'), "export const name = 'second';\n");
    writeFileSync(join(dir, 'types.ts'), 'export interface Greeting { text: string }\n');
    writeFileSync(
      join(dir, 'first.ts'),
      "import { greet } from './shared.ts';\nimport { name } from './only-first.ts';\nexport * from './types.ts';\n" +
        "export const handler = async () => greet(name) + ' ' + ((globalThis as { marker?: string }).marker ?? '-');\n",
    );
    writeFileSync(
      join(dir, 'second.ts'),
      "import { greet } from './shared.ts';\nimport { name } from './only-second.ts';\n" +
        'export const handler = async () => greet(name);\n',
    );
    const run = async () => {
      const started = await startLambdaService({
        functions: [
          { name: 'first', entry: join(dir, 'first.ts') },
          { name: 'second', entry: join(dir, 'second.ts') },
        ],
        bundleDir,
        logs: 'quiet',
      });
      const startedClient = lambdaClient(started.url);
      try {
        return await Promise.all(
          ['first', 'second'].map(
            async (name) => (await invoke(startedClient, { FunctionName: name, Payload: '{}' })).payload,
          ),
        );
      } finally {
        startedClient.destroy();
        await started.stop();
      }
    };
    expect(await run()).toEqual(['hello first -', 'hello second']);
    // One bundle and its map per function, nothing shared between them (no chunks).
    expect(bundleFiles(bundleDir)).toEqual([
      'first/bundle-cache.json',
      'first/index.mjs',
      'first/index.mjs.map',
      'second/bundle-cache.json',
      'second/index.mjs',
      'second/index.mjs.map',
    ]);
    for (const [name, own, other] of [
      ['first', 'only-first.ts', 'only-second.ts'],
      ['second', 'only-second.ts', 'only-first.ts'],
    ] as const) {
      const code = readFileSync(join(bundleDir, name, 'index.mjs'), 'utf8');
      expect(code).not.toMatch(/^import .* from ["']\.\.?\//m);
      expect(code).toContain('"hello "');
      expect(code).toMatch(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/);
      const map = JSON.parse(readFileSync(join(bundleDir, name, 'index.mjs.map'), 'utf8')) as {
        sources: string[];
      };
      const mapped = map.sources.map((source) => source.split('/').pop());
      expect(mapped).toEqual(expect.arrayContaining([`${name}.ts`, 'shared.ts', own]));
      expect(mapped).not.toContain(other);
    }

    // Each function's inputs are its own: a change to one function's module rebuilds that function only.
    const builtAt = (name: string) => statSync(join(bundleDir, name, 'index.mjs')).mtimeMs;
    const [first, second] = [builtAt('first'), builtAt('second')];
    writeFileSync(join(dir, 'only-second.ts'), "export const name = 'second, changed';\n");
    expect(await run()).toEqual(['hello first -', 'hello second, changed']);
    expect(builtAt('first')).toBe(first);
    expect(builtAt('second')).not.toBe(second);
    // A module that left no code in the bundle is an input all the same.
    writeFileSync(
      join(dir, 'types.ts'),
      "export interface Greeting { text: string }\n(globalThis as { marker?: string }).marker = 'marked';\n",
    );
    expect(await run()).toEqual(['hello first marked', 'hello second, changed']);
  });

  it('fail the start naming a function that does not build, while the others still get their bundles', async () => {
    const dir = temporaryDir();
    const bundleDir = join(dir, 'bundles');
    writeFileSync(join(dir, 'good.ts'), "export const handler = async () => 'good';\n");
    writeFileSync(join(dir, 'broken.ts'), 'export const handler = async () => ;\n');
    const start = () =>
      startLambdaService({
        functions: [
          { name: 'good', entry: join(dir, 'good.ts') },
          { name: 'broken', entry: join(dir, 'broken.ts') },
        ],
        bundleDir,
        logs: 'quiet',
      });
    const failure = await start().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure?.name).toBe('BundleError');
    expect(failure?.message).toMatch(/^Bundling broken failed:\n\S*broken\.ts:1: Unexpected ";"/);
    // The function that builds has its bundle, and a restart once the other is fixed builds only that one.
    const goodBundle = join(bundleDir, 'good', 'index.mjs');
    expect(existsSync(goodBundle)).toBe(true);
    expect(existsSync(join(bundleDir, 'broken', 'index.mjs'))).toBe(false);
    const built = statSync(goodBundle).mtimeMs;
    writeFileSync(join(dir, 'broken.ts'), "export const handler = async () => 'fixed';\n");
    const fixed = await start();
    const client = lambdaClient(fixed.url);
    try {
      expect((await invoke(client, { FunctionName: 'broken', Payload: '{}' })).payload).toBe('fixed');
      expect((await invoke(client, { FunctionName: 'good', Payload: '{}' })).payload).toBe('good');
      expect(statSync(goodBundle).mtimeMs).toBe(built);
    } finally {
      client.destroy();
      await fixed.stop();
    }
  });
});
