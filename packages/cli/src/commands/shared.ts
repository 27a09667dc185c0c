import { type BatonClient, createClient } from '@baton/client';
import { shellQuote } from '../banner.js';
import type { CliIo } from '../io.js';
import { type OutputMode, outputMode } from '../output.js';
import { type ResolvedTarget, resolveTarget, type TargetFlags } from '../target.js';

export interface CommonFlags extends TargetFlags {
  readonly json?: boolean | undefined;
}

export interface Session {
  readonly client: BatonClient;
  readonly resolved: ResolvedTarget;
  readonly mode: OutputMode;
  readonly io: CliIo;
}

/** Resolves the target, makes a client for it, runs `body`, and always releases the client. */
export async function withClient<T>(
  flags: CommonFlags,
  io: CliIo,
  body: (session: Session) => Promise<T>,
): Promise<T> {
  const resolved = await resolveTarget(flags, io);
  const client = createClient({ target: resolved.target });
  try {
    return await body({ client, resolved, mode: outputMode(io, io.env, flags.json === true), io });
  } finally {
    client.destroy();
  }
}

/** A result on stdout: JSON, indented for people (a script's JSON parser does not mind). */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Notes for people (how to follow a job, what happened) go to stderr, and never under --json. */
export function note(session: Pick<Session, 'io' | 'mode'>, text: string): void {
  if (session.mode !== 'json') session.io.stderr.write(`${text}\n`);
}

/** Left-aligned columns, for the human tables of `jobs list`, `failed list`. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries()) widths[i] = Math.max(widths[i] ?? 0, cell.length);
  }
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** The target flags again, for a command to copy and paste: ` --url https://…`, or '' for the local stack. */
export function targetArgs(flags: TargetFlags): string {
  const quoted = (value: string) => (/^[\w./:@=+-]+$/.test(value) ? value : shellQuote(value));
  const parts: string[] = [];
  for (const flag of ['url', 'function', 'ssm', 'profile', 'region', 'door'] as const) {
    const value = flags[flag];
    if (value !== undefined) parts.push(`--${flag} ${quoted(value)}`);
  }
  if (flags.iam !== undefined) parts.push(flags.iam ? '--iam' : '--no-iam');
  return parts.map((part) => ` ${part}`).join('');
}

/** The commands to follow a job, as notes print them. */
export const followHints = (jobId: string, flags: TargetFlags) =>
  [
    `  watch it:   baton jobs watch ${jobId}${targetArgs(flags)}`,
    `  its state:  baton jobs get ${jobId}${targetArgs(flags)}`,
    `  cancel it:  baton jobs cancel ${jobId}${targetArgs(flags)}`,
  ].join('\n');
