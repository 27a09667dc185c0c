// `pnpm start`: the example service on this machine, every door on loopback. Ctrl-C stops it.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isLoopbackHost, type LocalCredential } from '@baton/local';
import { type Endpoints, LOCAL_CALLER, startLocalStack, writeEndpointsFile } from './local-stack.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.BATON_PORT ?? '3000' },
    host: { type: 'string', default: process.env.BATON_HOST ?? '127.0.0.1' },
    'data-dir': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const CREDENTIALS_EXAMPLE =
  '[{"accessKeyId":"AKIDALICE","secretAccessKey":"<a long random secret>","principalArn":"arn:aws:iam::000000000000:user/alice"}]';

/**
 * `BATON_LOCAL_CREDENTIALS`: the callers allowed in, as JSON. Needed when the host is not loopback: every door
 * and the Invoke API then check SigV4 signatures against these secrets.
 */
function localCredentials(host: string): LocalCredential[] | undefined {
  const text = process.env.BATON_LOCAL_CREDENTIALS;
  if (text === undefined || text.trim() === '') {
    if (isLoopbackHost(host)) return undefined;
    throw new Error(
      `${host} is not a loopback address, so every request must be signed (SigV4) and checked. Set BATON_LOCAL_CREDENTIALS to the callers allowed in, as JSON, e.g. BATON_LOCAL_CREDENTIALS='${CREDENTIALS_EXAMPLE}' — or use BATON_HOST=127.0.0.1.`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `BATON_LOCAL_CREDENTIALS is not JSON (${(error as Error).message}); expected ${CREDENTIALS_EXAMPLE}`,
    );
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new Error(`BATON_LOCAL_CREDENTIALS must be a non-empty JSON array such as ${CREDENTIALS_EXAMPLE}`);
  }
  // Each entry's fields are checked, with their index, by the local stack.
  return parsed as LocalCredential[];
}

/** The workspace root: where `.baton/` lives, whichever folder `pnpm start` was run from. */
function workspaceRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (dirname(dir) === dir) return resolve(from);
  }
}

function examples(endpoints: Endpoints): string {
  const json = `-H 'content-type: application/json'`;
  const rpc = endpoints.functions.rpc ?? Object.values(endpoints.functions)[0];
  return [
    'Quick operation, answered synchronously (REST API):',
    `  curl -s ${endpoints.restApi}/jobs ${json} -d '{"operation":"checksum","input":{"text":"hello"}}'`,
    'Long job, asked for asynchronously: 202 + Location (HTTP API):',
    `  curl -s -i ${endpoints.httpApi}/jobs ${json} -H 'prefer: respond-async' -d '{"operation":"report","input":{"records":2000000}}'`,
    '  then poll it: curl -s <base>/jobs/<jobId>',
    'Sync request that outgrows API Gateway’s 29 s: answered 202 at ~26 s, never 504 (REST API):',
    `  curl -s -i ${endpoints.restApi}/jobs ${json} -d '{"operation":"wait","input":{"seconds":35}}'`,
    'Function URL, waiting at most 2 s for the answer:',
    `  curl -s -i ${endpoints.functionUrl}/jobs ${json} -H 'prefer: wait=2' -d '{"operation":"wait","input":{"seconds":5}}'`,
    'Another caller (SigV4: the access key names the owner):',
    `  curl -s ${endpoints.httpApi}/jobs --aws-sigv4 'aws:amz:us-east-1:execute-api' --user 'KEY2:secret'`,
    'Direct invoke (AWS CLI v2):',
    `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws lambda invoke --endpoint-url ${endpoints.invoke} --function-name ${rpc} --cli-binary-format raw-in-base64-out --payload '{"operation":"checksum","input":{"text":"hello"}}' /dev/stdout`,
  ].join('\n');
}

async function main() {
  const root = workspaceRoot(process.cwd());
  const basePort = Number(values.port);
  if (!Number.isInteger(basePort) || basePort < 0 || basePort > 65_530) {
    throw new Error(`--port must be a port number (the first of five); got '${values.port}'.`);
  }
  const credentials = localCredentials(values.host);
  const started = Date.now();
  const stack = await startLocalStack({
    ...(credentials && { credentials }),
    host: values.host,
    basePort,
    dataDir: values['data-dir'] ?? join(root, '.baton', 'dynamodb'),
    logs: values.quiet ? 'quiet' : 'forward',
    defaultCaller: LOCAL_CALLER,
  });
  const endpointsFile = join(root, '.baton', 'endpoints.json');
  await writeEndpointsFile(endpointsFile, stack.endpoints);

  const { endpoints } = stack;
  console.log(
    [
      `Baton example service is up (${Date.now() - started} ms).${
        stack.resumed > 0 ? ` Resumed ${stack.resumed} unfinished job(s) from the last run.` : ''
      }`,
      '',
      `  REST API (API Gateway v1, stage 'local')  ${endpoints.restApi}`,
      `  HTTP API (API Gateway v2)                 ${endpoints.httpApi}`,
      `  Function URL                              ${endpoints.functionUrl}`,
      `  Lambda Invoke API                         ${endpoints.invoke}  (${Object.values(endpoints.functions).join(', ')})`,
      `  DynamoDB                                  ${endpoints.dynamodb}`,
      '',
      examples(endpoints),
      '',
      ...(credentials && !isLoopbackHost(values.host)
        ? [
            `Signatures are checked: only requests signed (SigV4) with one of the ${credentials.length} key(s) in BATON_LOCAL_CREDENTIALS get in.`,
            '',
          ]
        : []),
      `Endpoints are in ${endpointsFile}. Jobs are kept in ${join(root, '.baton', 'dynamodb')}. Ctrl-C stops.`,
    ].join('\n'),
  );

  let stopping = false;
  const shutDown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await stack.stop();
    console.log('Stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutDown('SIGINT'));
  process.on('SIGTERM', () => void shutDown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`Could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
