import { describe, expect, it } from 'vitest';
import { baton } from './support.js';

describe('baton arguments', () => {
  it('prints help and the version, exiting 0', async () => {
    const help = await baton(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: baton/);
    expect(help.stdout).toMatch(/dev \[options\]/);
    expect(help.stdout).toMatch(/init \[options\] <dir>/);
    const devHelp = await baton(['dev', '--help']);
    expect(devHelp.code).toBe(0);
    expect(devHelp.stdout).toContain('--data-dir <dir>');
    expect(devHelp.stdout.replace(/\s+/g, ' ')).toContain('env: BATON_PORT');
    expect(devHelp.stdout.replace(/\s+/g, ' ')).toContain(
      "--environment-ttl <seconds> end a function's execution environment left idle this long",
    );
    expect(devHelp.stdout.replace(/\s+/g, ' ')).toContain('(default: 300, env: BATON_ENVIRONMENT_TTL)');
    const version = await baton(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^\d+\.\d+\.\d+\n$/) });
  });

  it.each([
    [
      ['dev', '--port', 'abc'],
      /option '--port <n>' argument 'abc' is invalid\. a port is 0 \(any free ports\)/,
    ],
    [['dev', '--port', '65535'], /argument '65535' is invalid/],
    [['dev', '--port', '-1'], /argument '-1' is invalid/],
    [
      ['dev', '--environment-ttl', 'soon'],
      /option '--environment-ttl <seconds>' argument 'soon' is invalid\. a number of seconds, 0 or more/,
    ],
    [['dev', '--environment-ttl', '-1'], /argument '-1' is invalid/],
    [['dev', '--environment-ttl', '1e3'], /argument '1e3' is invalid/],
    [['dev', '--no-such-flag'], /unknown option '--no-such-flag'/],
    [['dev', 'extra'], /too many arguments for 'dev'/],
    [['deploy'], /unknown command 'deploy'/],
    [['init'], /missing required argument 'dir'/],
    [['init', 'x', '--name'], /option '--name <name>' argument missing/],
  ])('refuses `baton %s` with a clear message and exit code 2', async (args, message) => {
    const result = await baton(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('(add --help for usage)');
    expect(result.stdout).toBe('');
  });

  it('refuses a service name defineService would refuse, before writing anything (exit 2)', async () => {
    const result = await baton(['init', 'never-written', '--name', 'Not_A_Name']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^baton init: --name Not_A_Name: a service name is 42 or fewer lower-case letters/,
    );
  });

  it('says where it looked when there is no service definition (exit 1, no stack)', async () => {
    const result = await baton(['dev'], '/');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^Could not start: No service definition here: none of baton\.config\.ts, .* is in \/ or a folder above it\. Run `baton init <dir>`/,
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
