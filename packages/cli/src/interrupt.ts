import confirm from '@inquirer/confirm';
import type { CliIo } from './io.js';
import type { OutputMode } from './output.js';

/**
 * Ctrl-C while waiting: the first SIGINT aborts the wait (and only the wait — the job goes on in the service)
 * instead of killing the process, so that the command can ask what to do with the job and say how to find it.
 */
export function interruptible(): { readonly signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSignal);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSignal) };
}

/** Whether a question can be asked: a person at a terminal, not a script, a pipe or CI. */
export function canAsk(io: CliIo, mode: OutputMode): boolean {
  const ci = io.env.CI !== undefined && io.env.CI !== '' && io.env.CI !== 'false' && io.env.CI !== '0';
  return mode !== 'json' && !ci && io.stdin?.isTTY === true && io.stderr.isTTY === true;
}

/** "Cancel job …?" on the terminal (default no). Another Ctrl-C, or a closed input, answers no. */
export async function askToCancel(io: CliIo, question: string): Promise<boolean> {
  try {
    return await confirm(
      { message: question, default: false },
      { input: io.stdin as NodeJS.ReadableStream, output: io.stderr as unknown as NodeJS.WritableStream },
    );
  } catch {
    return false;
  }
}
