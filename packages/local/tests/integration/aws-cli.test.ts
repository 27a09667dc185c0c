import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LambdaService, startLambdaService } from '../../src/index.js';
import { eventually, fixture, removeTemporaryDirs, temporaryDir } from '../support/helpers.js';

// Debian's AWS CLI (apt-get install awscli). Another, older `aws` may come first on PATH, so the path is fixed.
const AWS_CLI = '/usr/bin/aws';
const cliAvailable = existsSync(AWS_CLI);
if (!cliAvailable) {
  console.warn(
    `Skipping the AWS CLI tests: ${AWS_CLI} is missing (install it with: apt-get install -y awscli)`,
  );
}

const run = promisify(execFile);
let service: LambdaService;
const workDir = temporaryDir();

describe.skipIf(!cliAvailable)(`the AWS CLI (${AWS_CLI}) against the service`, () => {
  beforeAll(async () => {
    service = await startLambdaService({
      functions: [
        { name: 'echo', entry: fixture('echo') },
        { name: 'write-file', entry: fixture('write-file') },
      ],
      logs: 'quiet',
    });
  });
  afterAll(async () => {
    await service?.stop();
    removeTemporaryDirs();
  });

  /** `aws lambda invoke … out.json` with dummy credentials; answers the CLI's JSON and the payload file. */
  async function awsLambdaInvoke(functionName: string, payload: unknown, extraArgs: string[] = []) {
    const outFile = join(workDir, `${functionName}-${Date.now()}.json`);
    const { stdout } = await run(
      AWS_CLI,
      [
        'lambda',
        'invoke',
        '--endpoint-url',
        service.url,
        '--function-name',
        functionName,
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        JSON.stringify(payload),
        ...extraArgs,
        outFile,
      ],
      {
        env: {
          PATH: process.env.PATH,
          HOME: workDir,
          AWS_ACCESS_KEY_ID: 'AKIDLOCALCLI',
          AWS_SECRET_ACCESS_KEY: 'local-cli-secret',
          AWS_DEFAULT_REGION: 'us-east-1',
          AWS_PAGER: '',
        },
      },
    );
    return { result: JSON.parse(stdout) as Record<string, unknown>, outFile };
  }

  it('aws lambda invoke (RequestResponse) writes the payload and reports StatusCode 200', async () => {
    const { result, outFile } = await awsLambdaInvoke('echo', { from: 'cli' });
    expect(result).toMatchObject({ StatusCode: 200, ExecutedVersion: '$LATEST' });
    expect(JSON.parse(readFileSync(outFile, 'utf8'))).toEqual({ echo: { from: 'cli' } });
  });

  it('aws lambda invoke --invocation-type Event reports StatusCode 202 and the handler runs', async () => {
    const file = join(workDir, 'from-cli.txt');
    const { result } = await awsLambdaInvoke('write-file', { file, content: 'cli event' }, [
      '--invocation-type',
      'Event',
    ]);
    expect(result).toMatchObject({ StatusCode: 202 });
    await eventually(() => existsSync(file));
    expect(readFileSync(file, 'utf8')).toBe('cli event from write-file');
  });
});
