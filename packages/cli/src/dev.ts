import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { StartServiceOptions } from '@baton/local';
import { doorsInUse, jobsTableName, servingFunction } from '@baton/service';
import { renderBanner } from './banner.js';
import { findConfig, loadDefinition } from './config.js';
import { localCredentials } from './credentials.js';
import { UserError } from './errors.js';
import { describeOperations } from './operations.js';

export interface DevOptions {
  /** The service definition file; default: baton.config.ts (or .mts/.js/.mjs) here or in a folder above. */
  readonly config?: string | undefined;
  /**
   * The first of six consecutive ports (REST API, HTTP API, Function URL, Invoke API, DynamoDB, dashboard);
   * 0 = any free.
   */
  readonly port: number;
  readonly host: string;
  /** Where DynamoDB keeps the jobs; default `<project>/.baton/dynamodb`. */
  readonly dataDir?: string | undefined;
  /** Leave the functions' logs and the doors' access logs out. */
  readonly quiet: boolean;
  /** Put before every resource name, as a deployment's prefix would. */
  readonly prefix?: string | undefined;
  /**
   * How long a function's execution environment may stay idle before it is ended (its next invocation is then a
   * cold start), as Lambda ends idle environments; default: the local service's (5 minutes).
   */
  readonly environmentTtlSeconds?: number | undefined;
}

export interface DevIo {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/** How long a stop may take before `baton dev` gives up on it and exits with 1. */
const STOP_TIMEOUT_MS = 15_000;

/**
 * `baton dev`: the whole service on this machine, from its definition — every door, the worker, the embedded
 * DynamoDB and the reconciler — until SIGINT or SIGTERM, then everything is stopped. Resolves with the exit code:
 * 0 after a clean stop. Throws a UserError for what the user can fix (no definition, a port in use, …).
 */
export async function dev(options: DevOptions, io: DevIo): Promise<number> {
  const file = findConfig(io.cwd, options.config);
  const projectDir = dirname(file);
  const batonDir = join(projectDir, '.baton');
  // The AWS SDK that @baton/local uses in this process is pinned by this package, whatever Node runs it: its
  // warning about future SDK releases needing a newer Node says nothing about this tool.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // @baton/local (the AWS SDK, esbuild, the emulators) is loaded only by the command that runs them, while the
  // definition is compiled.
  const [local, definition] = await Promise.all([import('@baton/local'), loadDefinition(file)]);
  // Checked before anything listens.
  const credentials = localCredentials(options.host, io.env.BATON_LOCAL_CREDENTIALS, local.isLoopbackHost);
  const dataDir =
    options.dataDir === undefined ? join(batonDir, 'dynamodb') : resolve(io.cwd, options.dataDir);
  await keepOutOfGit(batonDir);

  // Ctrl-C in a terminal reaches every process of the foreground group, and a package manager running this
  // passes it on again (pnpm sends SIGINT, then SIGTERM): the first signal stops, later ones are ignored.
  let signalled: ((signal: NodeJS.Signals) => void) | undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolveSignal) => {
    signalled = resolveSignal;
  });
  // The handlers stay until the process exits: a late signal must not kill a stop in progress.
  const onSignal = (signal: NodeJS.Signals) => signalled?.(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const startOptions: StartServiceOptions = {
    appDir: projectDir,
    host: options.host,
    basePort: options.port,
    dataDir,
    // Kept between runs: a restart with unchanged sources reuses the bundles instead of building them again.
    bundleDir: join(batonDir, 'bundles'),
    logs: options.quiet ? 'quiet' : 'forward',
    defaultCaller: local.LOCAL_CALLER,
    reloadOnChange: true,
    ...(options.environmentTtlSeconds !== undefined && {
      idleEnvironmentTtlMs: options.environmentTtlSeconds * 1000,
    }),
    ...(credentials && { credentials }),
    ...(options.prefix !== undefined && { prefix: options.prefix }),
  };
  let running: Awaited<ReturnType<typeof local.startService>>;
  try {
    running = await local.startService(definition, startOptions);
  } catch (error) {
    // A port in use, a missing entry, a handler that does not bundle: the message says it all.
    throw new UserError(error instanceof Error ? error.message : String(error), 1, { cause: error });
  }
  const startupMs = Math.round(performance.now());
  const endpointsFile = join(batonDir, 'endpoints.json');
  await local.writeEndpointsFile(endpointsFile, running.endpoints);

  const naming = options.prefix === undefined ? {} : { prefix: options.prefix };
  const servedBy = Object.fromEntries(
    doorsInUse(definition).map((door) => [door, servingFunction(definition, door) as string]),
  );
  const invokeKey = servingFunction(definition, 'invoke');
  const invokeFunction = invokeKey === undefined ? undefined : running.endpoints.functions[invokeKey];
  const httpBase = running.endpoints.restApi ?? running.endpoints.httpApi ?? running.endpoints.functionUrl;
  const operations = await Promise.race([
    describeOperations({
      ...(invokeFunction !== undefined && {
        invoke: { url: running.endpoints.invoke, functionName: invokeFunction },
      }),
      ...(httpBase !== undefined && { httpBase }),
      signer: credentials?.[0] ?? { accessKeyId: 'local', secretAccessKey: 'local' },
      unsignedAllowed: credentials === undefined,
    }),
    stopRequested.then(() => undefined),
  ]);
  // The dashboard's examples run the same operation as the banner's.
  running.dashboard.setOperations(operations);
  const shown = (path: string) => {
    const rel = relative(io.cwd, path);
    return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
  };
  io.stdout.write(
    `${renderBanner({
      service: definition.name,
      endpoints: running.endpoints,
      servedBy,
      jobsTable: jobsTableName(definition, naming),
      operations,
      signaturesChecked: credentials && !local.isLoopbackHost(options.host) ? credentials.length : false,
      localCaller: local.LOCAL_CALLER,
      startupMs,
      resumed: running.resumed,
      paths: { definition: shown(file), endpoints: shown(endpointsFile), data: shown(dataDir) },
      reloadOnChange: true,
    })}\n`,
  );

  const signal = await stopRequested;
  io.stdout.write(`\n${signal}: stopping…\n`);
  const stopped = await Promise.race([
    running.stop().then(() => true),
    new Promise<false>((resolveTimeout) => setTimeout(() => resolveTimeout(false), STOP_TIMEOUT_MS).unref()),
  ]);
  if (!stopped) {
    io.stderr.write(`Could not stop everything within ${STOP_TIMEOUT_MS / 1000} s; exiting anyway.\n`);
    return 1;
  }
  io.stdout.write('Stopped.\n');
  return 0;
}

/** `.baton/` holds generated files only (endpoints, data, temporary bundles): it never belongs in git. */
async function keepOutOfGit(batonDir: string): Promise<void> {
  await mkdir(batonDir, { recursive: true });
  const ignore = join(batonDir, '.gitignore');
  if (!existsSync(ignore))
    await writeFile(ignore, '# Written by baton dev: everything here is generated.\n*\n');
}
