import {
  BatonJobCancelledError,
  BatonJobFailedError,
  BatonProblemError,
  BatonTransportError,
} from '@baton/client';
import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
  type OptionValues,
} from '@commander-js/extra-typings';
import { dev } from './dev.js';
import { UserError } from './errors.js';
import { EXIT_CODES_HELP, exitCodeFor, Interrupted } from './exit-codes.js';
import { cliVersion, init } from './init.js';
import type { CliIo } from './io.js';
import { LOCAL_DOORS } from './target.js';

const JOB_STATUS_CHOICES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;

export type { CliIo } from './io.js';

const MAX_BASE_PORT = 65_535 - 5;

function portNumber(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(port) || port > MAX_BASE_PORT) {
    throw new InvalidArgumentError(
      `a port is 0 (any free ports) or the first of six in a row, 1 to ${MAX_BASE_PORT}.`,
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

/** A positive whole number, at most `max`. */
function count(max: number) {
  return (value: string): number => {
    const parsed = Number(value);
    if (!/^\d+$/.test(value) || parsed < 1 || parsed > max) {
      throw new InvalidArgumentError(`a whole number, 1 to ${max}.`);
    }
    return parsed;
  };
}

const TARGET_HELP = `
Targets (default: the local service \`baton dev\` runs, found through .baton/endpoints.json here or above):
  --door invoke|http|rest|url   which local door (default: invoke if the service has it, else http, rest, url)
  --url <url>                   an HTTP door of a deployment (SigV4-signed when the host is AWS's, or --iam)
  --function <name>             a function to invoke directly (its name or ARN)
  --ssm <parameter>             the door a deployment publishes: /baton/<service>/doors/<door>
  --profile, --region           AWS credentials (the SDK's chain) and region; AWS_PROFILE / AWS_REGION`;
/** What a leaf command's help says of its target (its options list the flags). */
const TARGET_NOTE =
  '\nTarget: the local service `baton dev` runs (.baton/endpoints.json here or above), unless --url, --function or --ssm.';

/** The flags of every command that calls a service: where it is, and how to print. */
function withTarget<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  return command
    .addOption(new Option('--door <door>', 'which door of the local service').choices(LOCAL_DOORS))
    .option(
      '--url <url>',
      "a deployed HTTP door's base URL (Function URL, HTTP API, REST API with its stage)",
    )
    .option('--iam', 'sign requests with SigV4 (default: when the URL is an AWS execute-api/lambda-url host)')
    .option('--no-iam', 'do not sign requests')
    .option('--function <name>', 'a deployed function to invoke directly (name or ARN)')
    .option(
      '--ssm <parameter>',
      'the SSM parameter a deployment publishes its door under: /baton/<name>/doors/<door>',
    )
    .option('--profile <name>', 'the AWS profile (default: AWS_PROFILE, else the SDK default chain)')
    .option('--region <region>', 'the AWS region (default: AWS_REGION)')
    .option('--json', 'print one JSON document (JSON lines for watch), for scripts');
}

/**
 * The `baton` command line: `baton dev`, `baton init`, and the commands that call a service (`ops`, `run`, `jobs`,
 * `failed`). Resolves with the exit code (exit-codes.ts: 0 ok, 1 failed, 2 called wrongly, 3 refused by the
 * service, 4 job failed, 5 job cancelled, 6 transport, 130 interrupted) and never calls process.exit itself, so
 * tests can run it in-process. Results go to stdout; progress, notes and errors to stderr (an error as a message
 * alone unless `--debug`). The commands are loaded when run, so `baton dev` loads none of the client's code.
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
        'first of six ports: REST API, HTTP API, Function URL, Invoke API, DynamoDB, dashboard; 0 = any free',
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

  program
    .command('openapi')
    .description(
      "Write the service's OpenAPI 3.1 document — the HTTP API every HTTP door serves, with each operation's schemas — from its definition and registry. --check compares instead of writing.",
    )
    .option('--config <file>', 'the service definition (default: baton.config.ts here or in a folder above)')
    .option(
      '--registry <file>',
      "the module exporting the operations' registry (default: src/operations/index.ts)",
    )
    .option('--out <file>', 'where to write it, relative to the definition (default: docs/openapi.json)')
    .option('--check', 'write nothing; exit 1 if the file is missing or differs from what would be written')
    .addHelpText(
      'after',
      '\nExamples:\n  baton openapi\n  baton openapi --check\n  baton openapi --out openapi.json',
    )
    .action(async (options) => {
      const { openApiCommand } = await import('./commands/openapi.js');
      exitCode = await openApiCommand(options, io);
    });

  withTarget(
    program
      .command('ops')
      .description(
        "List the service's operations: their descriptions, input fields and an example `baton run`.",
      ),
  )
    .addHelpText(
      'after',
      `${TARGET_NOTE}\n\nExamples:\n  baton ops\n  baton ops --json --url https://abc123.execute-api.eu-west-1.amazonaws.com/prod`,
    )
    .action(async (options) => {
      const { opsCommand } = await import('./commands/ops.js');
      exitCode = await opsCommand(options, io);
    });

  withTarget(
    program
      .command('run')
      .description(
        'Run an operation. Synchronous by default: prints the result as JSON (a run that outgrows the door is followed as a job). --async submits a job and prints it; --async --wait follows it with a progress bar — Ctrl-C then asks whether to cancel it.',
      )
      .argument('<operation>', 'the operation (baton ops lists them)')
      .argument(
        '[key=value...]',
        'input fields: values are JSON when they parse (records=5), else strings (text=hi); dotted keys nest (a.b=1)',
      )
      .option('--input <json>', 'the input as JSON (key=value pairs are set on top of it)')
      .option('--input-file <file>', 'the input as a JSON file (- reads standard input)')
      .option('--async', 'submit a job and print it (its id and how to follow it) instead of waiting')
      .option('--wait', 'with --async: follow the job to its end with a progress bar, then print its result'),
  )
    .addHelpText(
      'after',
      `${TARGET_NOTE}\n\nExamples:\n  baton run checksum text=hi\n  baton run report records=50000000 --async --wait > report.json\n  baton run report --input '{"records":1000000,"seed":7}' --async\n  baton run checksum --input-file input.json --door http`,
    )
    .action(async (operation, pairs, options) => {
      const { runCommand } = await import('./commands/run.js');
      exitCode = await runCommand(operation, pairs, options, io);
    });

  const jobs = program
    .command('jobs')
    .description("The caller's jobs: list, get, cancel, watch.")
    .addHelpText(
      'after',
      `${TARGET_HELP}\n\nExamples:\n  baton jobs list --status running --limit 5\n  baton jobs get <id> --json\n  baton jobs watch            # every queued or running job, one bar each\n  baton jobs cancel <id> --url https://abc123.execute-api.eu-west-1.amazonaws.com/prod`,
    );
  withTarget(
    jobs
      .command('list')
      .description('List your jobs, newest first.')
      .addOption(new Option('--status <status>', 'only jobs in this status').choices(JOB_STATUS_CHOICES))
      .addOption(new Option('--limit <n>', 'at most this many').default(20).argParser(count(1000))),
  ).action(async (options) => {
    const { listJobsCommand } = await import('./commands/jobs.js');
    exitCode = await listJobsCommand(options, io);
  });
  withTarget(
    jobs
      .command('get')
      .description('Print a job: its status, progress, result or error.')
      .argument('<id>', 'the job id'),
  ).action(async (id, options) => {
    const { getJobCommand } = await import('./commands/jobs.js');
    exitCode = await getJobCommand(id, options, io);
  });
  withTarget(
    jobs
      .command('cancel')
      .description('Cancel a job: a queued one at once, a running one when its operation next checks.')
      .argument('<id>', 'the job id'),
  ).action(async (id, options) => {
    const { cancelJobCommand } = await import('./commands/jobs.js');
    exitCode = await cancelJobCommand(id, options, io);
  });
  withTarget(
    jobs
      .command('watch')
      .description(
        'Follow a job live until it ends (its result at the end), or without an id every queued or running job of yours, one bar each. Ctrl-C stops watching; the jobs go on.',
      )
      .argument('[id]', 'the job id (default: all your queued and running jobs)'),
  ).action(async (id, options) => {
    const { watchJobsCommand } = await import('./commands/jobs.js');
    exitCode = await watchJobsCommand(id, options, io);
  });

  const failed = program
    .command('failed')
    .description('Events Lambda gave up on after its retries: list them, replay one.')
    .addHelpText(
      'after',
      '\nLocally the failed events of the service `baton dev` runs; with --service <name> (and --prefix, --region, --profile) those of a deployment.\n\nExamples:\n  baton failed list\n  baton failed replay <id>\n  baton failed list --service reports --region eu-west-1 --json',
    );
  const withDeployment = <A extends unknown[], O extends OptionValues, G extends OptionValues>(
    command: Command<A, O, G>,
  ) =>
    withTarget(command)
      .option(
        '--service <name>',
        "a deployed service's name (its failure archive); default: the local service",
      )
      .option('--prefix <prefix>', "the deployment's prefix, if it has one");
  withDeployment(failed.command('list').description('List the failed events, oldest first.')).action(
    async (options) => {
      const { failedListCommand } = await import('./commands/failed.js');
      exitCode = await failedListCommand(options, io);
    },
  );
  withDeployment(
    failed
      .command('replay')
      .description('Send a failed event to its function again (its job runs on).')
      .argument('<id>', 'the failed event id (baton failed list)'),
  ).action(async (id, options) => {
    const { failedReplayCommand } = await import('./commands/failed.js');
    exitCode = await failedReplayCommand(id, options, io);
  });

  program.addHelpText('after', `\n${EXIT_CODES_HELP}`);

  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    return reportError(error, io, { debug, json: argv.includes('--json'), prefix: prefixFor(argv) });
  }
}

/**
 * The one place an error is shown and turned into an exit code (exit-codes.ts maps it). A mistake the user can
 * fix, a refusal by the service or a job's end is a message alone; anything else is a bug, with a hint or its
 * stack. Under --json the error is one JSON document on stdout: `{"error":{"code","message",…}}`.
 */
function reportError(
  error: unknown,
  io: CliIo,
  options: { debug: boolean; json: boolean; prefix: string },
): number {
  const { code, name } = exitCodeFor(error);
  // Commander has printed usage errors, help and the version itself.
  if (error instanceof CommanderError) return code;
  const message = error instanceof Error ? error.message : String(error);
  if (options.json) {
    io.stdout.write(
      `${JSON.stringify(
        {
          error: {
            code: name,
            message,
            ...(error instanceof BatonProblemError && { problem: error.problem }),
            ...((error instanceof BatonJobFailedError || error instanceof BatonJobCancelledError) && {
              job: error.job,
            }),
          },
        },
        null,
        2,
      )}\n`,
    );
    if (name === 'bug' && options.debug && error instanceof Error) io.stderr.write(`${error.stack}\n`);
    return code;
  }
  const lines = [`${options.prefix}${message}`];
  if (error instanceof BatonProblemError) {
    for (const field of error.errors) lines.push(`  ${field.pointer || '(the input)'}: ${field.detail}`);
  } else if (error instanceof BatonJobFailedError) {
    lines.push(
      `  (${error.error.type}; ${error.error.retryable ? 'running it again may succeed' : 'running it again will fail the same way'})`,
    );
  } else if (
    error instanceof BatonTransportError &&
    error.cause instanceof Error &&
    !message.includes(error.cause.message)
  ) {
    lines.push(`  (${error.cause.message})`);
  }
  io.stderr.write(`${lines.join('\n')}\n`);
  if (name === 'bug' || (options.debug && !(error instanceof Interrupted))) {
    if (options.debug && error instanceof Error) {
      io.stderr.write(
        `${(error instanceof UserError && error.cause instanceof Error ? error.cause : error).stack}\n`,
      );
    } else if (name === 'bug') {
      io.stderr.write(
        'This looks like a bug in baton: run again with --debug for the stack, and report it.\n',
      );
    }
  }
  return code;
}

const prefixFor = (argv: readonly string[]) => {
  const command = argv.find((arg) => !arg.startsWith('-'));
  return command === 'dev' ? 'Could not start: ' : command === 'init' ? 'baton init: ' : '';
};

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
