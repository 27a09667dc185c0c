import { describe, expect, it } from 'vitest';
import { type BannerInput, clientContextFor, renderBanner, shellQuote } from '../../src/banner.js';

const base: BannerInput = {
  service: 'reports',
  endpoints: {
    invoke: 'http://127.0.0.1:3003',
    restApi: 'http://127.0.0.1:3000/local',
    httpApi: 'http://127.0.0.1:3001',
    functionUrl: 'http://127.0.0.1:3002',
    dynamodb: 'http://127.0.0.1:3004',
    functions: { api: 'reports-api', rpc: 'reports-rpc', url: 'reports-url', worker: 'reports-worker' },
  },
  servedBy: { 'rest-api': 'api', 'http-api': 'api', 'function-url': 'url', invoke: 'rpc' },
  jobsTable: 'reports-jobs',
  operations: [{ name: 'count-primes', input: { upTo: 100000 } }],
  signaturesChecked: false,
  localCaller: 'arn:aws:iam::000000000000:user/local-developer',
  startupMs: 1234,
  resumed: 0,
  paths: { definition: 'baton.config.ts', endpoints: '.baton/endpoints.json', data: '.baton/dynamodb' },
  reloadOnChange: true,
};

const commands = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.startsWith('curl ') || line.startsWith('AWS_ACCESS_KEY_ID='));

describe('the banner of baton dev', () => {
  it('lists every door the service has, with an example per door built from a real operation', () => {
    const text = renderBanner(base);
    expect(text.split('\n')[0]).toBe('reports is up in 1.2 s, from baton.config.ts.');
    for (const row of ['REST API', 'HTTP API', 'Function URL', 'Lambda Invoke API', 'DynamoDB']) {
      expect(text).toMatch(new RegExp(`^ {2}${row}`, 'm'));
    }
    const payload = `'{"operation":"count-primes","input":{"upTo":100000}}'`;
    expect(commands(text)).toEqual([
      `curl -s http://127.0.0.1:3000/local/jobs -H 'content-type: application/json' -d ${payload}`,
      `curl -s -i http://127.0.0.1:3001/jobs -H 'content-type: application/json' -H 'prefer: respond-async' -d ${payload}`,
      `curl -s -i http://127.0.0.1:3002/jobs -H 'content-type: application/json' -H 'prefer: wait=2' -d ${payload}`,
      'curl -s http://127.0.0.1:3000/local/operations',
      `curl -s http://127.0.0.1:3000/local/jobs --aws-sigv4 'aws:amz:us-east-1:execute-api' --user 'KEY2:secret'`,
      `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local AWS_DEFAULT_REGION=us-east-1 aws lambda invoke --endpoint-url http://127.0.0.1:3003 --function-name reports-rpc --cli-binary-format raw-in-base64-out --client-context ${clientContextFor('alice')} --payload ${payload} /dev/stdout`,
    ]);
    expect(text).toContain(
      'Endpoints are in .baton/endpoints.json; jobs are kept in .baton/dynamodb. Ctrl-C stops.',
    );
    expect(text).toContain('Source changes are picked up on the next invocation');
  });

  it('says who the caller is locally', () => {
    const text = renderBanner(base);
    expect(text).toContain('its access key names the owner');
    expect(text).toContain(
      'an unsigned request acts as one default principal, arn:aws:iam::000000000000:user/local-developer (LOCAL_CALLER)',
    );
    expect(text).toContain('secrets are not checked on loopback');
    expect(text).toContain('a direct invoke names its caller in the client context');
    const checked = renderBanner({ ...base, signaturesChecked: 2 });
    expect(checked).toContain(
      'only requests signed with one of the 2 key(s) in BATON_LOCAL_CREDENTIALS get in',
    );
    expect(checked).not.toContain('not checked on loopback');
  });

  it('shows only the doors a service has', () => {
    const text = renderBanner({
      ...base,
      endpoints: {
        invoke: 'http://127.0.0.1:3003',
        functionUrl: 'http://127.0.0.1:3002',
        dynamodb: 'http://127.0.0.1:3004',
        functions: { url: 'reports-url' },
      },
      servedBy: { 'function-url': 'url' },
      resumed: 3,
    });
    expect(text).not.toMatch(/REST API|HTTP API|aws lambda invoke|client context/);
    expect(text).toContain('Resumed 3 unfinished job(s) from the last run.');
    // One HTTP door: it gets the synchronous and the asynchronous example, and signatures scoped to `lambda`.
    expect(commands(text)).toEqual([
      expect.stringMatching(/^curl -s http:\/\/127\.0\.0\.1:3002\/jobs /),
      expect.stringMatching(/^curl -s -i http:\/\/127\.0\.0\.1:3002\/jobs .*respond-async/),
      'curl -s http://127.0.0.1:3002/operations',
      expect.stringContaining("--aws-sigv4 'aws:amz:us-east-1:lambda'"),
    ]);
  });

  it('says how to list the operations when they could not be asked for', () => {
    const text = renderBanner({ ...base, operations: undefined });
    expect(text).toContain('Operations: could not be listed; GET /operations on any HTTP door lists them.');
  });

  it('quotes payloads for a POSIX shell', () => {
    expect(shellQuote(`{"text":"it's"}`)).toBe(`'{"text":"it'\\''s"}'`);
  });
});
