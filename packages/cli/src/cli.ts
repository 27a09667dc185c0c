import { Command, CommanderError, InvalidArgumentError, Option } from '@commander-js/extra-typings';
import { type DevIo, dev } from './dev.js';
import { UserError } from './errors.js';
import { cliVersion, init } from './init.js';

export type CliIo = DevIo;

const MAX_BASE_PORT = 65_535 - 4;

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port > MAX_BASE_PORT) {
    throw new InvalidArgumentError(
      `a port is 0 (any free ports) or the first of five in a row, 1 to ${MAX_BASE_PORT}.`,
    );
  }
  return port;
}

/** Seconds, as `--environment-ttl` takes them: 0 or more, fractions allowed. */
function seconds(value: string): number {
  const parsed = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(parsed)) {
    throw new InvalidArgumentError('a number of seconds, 0 or more (e.g. 300, or 0.5).');
  }
  return parsed;
}

/**
 * The `baton` command line: `baton dev` and `baton init`. Resolves with the exit code — 0 ok, 1 failed, 2 called
 * wrongly (Baton's CLI convention) — and never calls process.exit itself, so tests can run it in-process.
 * Results go to stdout; errors to stderr, as a message alone unless `--debug`.
 */
export async function runCli(argvWithDebug: readonly string[], io: CliIo): Promise<number> {
  // `--debug` is taken wherever it stands, before or after the command.
  const debug = argvWithDebug.includes('--debug');
  const argv = argvWithDebug.filter((arg) => arg !== '--debug');
  let exitCode = 0;
  const program = new Command()
    .name('baton')
    .description(
      'Serve one TypeScript domain through every AWS Lambda front door, on this machine and on AWS.',
    )
    .version(cliVersion(), '-v, --version')
    .option('--debug', 'print the stack of an unexpected error')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    });

  program
    .command('dev')
    .description(
      'Run the whole service on this machine — every door, the worker, an embedded DynamoDB, the reconciler — from its baton.config.ts. Source changes are picked up on the next invocation. Ctrl-C stops.',
    )
    .addOption(
      new Option(
        '--config <file>',
        'the service definition (default: baton.config.ts here or in a folder above)',
      ),
    )
    .addOption(
      new Option(
        '--port <n>',
        'first of five ports: REST API, HTTP API, Function URL, Invoke API, DynamoDB; 0 = any free',
      )
        .env('BATON_PORT')
        .default(3000)
        .argParser(portNumber),
    )
    .addOption(
      new Option(
        '--host <address>',
        'address to listen on; off loopback every request must be signed (BATON_LOCAL_CREDENTIALS)',
      )
        .env('BATON_HOST')
        .default('127.0.0.1'),
    )
    .option(
      '--data-dir <dir>',
      'where DynamoDB keeps the jobs (default: .baton/dynamodb beside the definition)',
    )
    .option(
      '--prefix <prefix>',
      'put before every name, as a deployment prefix would (dev → dev-<service>-…)',
    )
    .option('--quiet', "leave out the functions' logs and the doors' access logs", false)
    .addOption(
      new Option(
        '--environment-ttl <seconds>',
        "end a function's execution environment left idle this long (its next call is a cold start); 0 = as soon as it is idle",
      )
        .env('BATON_ENVIRONMENT_TTL')
        .default(300)
        .argParser(seconds),
    )
    .addHelpText(
      'after',
      '\nExamples:\n  baton dev\n  baton dev --port 4000 --quiet\n  baton dev --config services/reports/baton.config.ts --data-dir /tmp/reports',
    )
    .action(async (options) => {
      exitCode = await dev(
        {
          config: options.config,
          port: options.port,
          host: options.host,
          dataDir: options.dataDir,
          quiet: options.quiet,
          prefix: options.prefix,
          environmentTtlSeconds: options.environmentTtl,
        },
        io,
      );
    });

  program
    .command('init')
    .description(
      'Write a starting project into <dir>: a service definition, one operation, the handlers, a CDK app, a test and a README; creates or merges package.json. Never overwrites a file.',
    )
    .argument('<dir>', 'the project folder (created if missing)')
    .option('--name <name>', "the service's name: lower-case letters, digits, hyphens (default: from <dir>)")
    .addHelpText('after', '\nExamples:\n  baton init my-service\n  baton init . --name reports')
    .action(async (dir, options) => {
      const result = await init(dir, { name: options.name }, io.cwd);
      io.stdout.write(initReport(result, dir));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with 0; commander has already printed the usage error itself.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (error instanceof UserError) {
      io.stderr.write(`${prefixFor(argv)}${error.message}\n`);
      if (debug && error.cause instanceof Error) io.stderr.write(`${error.cause.stack}\n`);
      return error.exitCode;
    }
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`${prefixFor(argv)}${message}\n`);
    io.stderr.write(
      debug && error instanceof Error
        ? `${error.stack}\n`
        : 'This looks like a bug in baton: run again with --debug for the stack, and report it.\n',
    );
    return 1;
  }
}

const prefixFor = (argv: readonly string[]) =>
  argv.includes('dev') ? 'Could not start: ' : argv.includes('init') ? 'baton init: ' : '';

function initReport(result: Awaited<ReturnType<typeof init>>, dirArgument: string): string {
  const lines = [
    `Wrote a Baton service, ${result.name}, into ${result.dir}:`,
    ...result.written.map((file) => `  ${file}`),
    result.packageJson.created
      ? '  package.json'
      : `  package.json (merged: added ${result.packageJson.added.length > 0 ? result.packageJson.added.join(', ') : 'nothing'})`,
    ...result.packageJson.kept.map((kept) => `  kept as it was: ${kept}`),
    '',
    'Next:',
    ...(dirArgument === '.' ? [] : [`  cd ${dirArgument}`]),
    '  npm install',
    '  npx baton dev        # the whole service on this machine; prints every endpoint and curl examples',
    '  npm test             # the operation, tested without AWS',
    '  npx cdk synth        # the CloudFormation template, checked by cdk-nag (offline)',
    '',
  ];
  return lines.join('\n');
}
