import {
  BatonJobAcceptedError,
  BatonJobCancelledError,
  BatonJobFailedError,
  type JobHandle,
  type JobView,
} from '@baton/client';
import { EXIT, Interrupted } from '../exit-codes.js';
import { follow } from '../follow.js';
import { readInput } from '../input.js';
import { askToCancel, canAsk, interruptible } from '../interrupt.js';
import type { CliIo } from '../io.js';
import { progressView } from '../output.js';
import type { TargetFlags } from '../target.js';
import { type CommonFlags, followHints, note, printJson, type Session, withClient } from './shared.js';

export interface RunFlags extends CommonFlags {
  readonly input?: string | undefined;
  readonly inputFile?: string | undefined;
  readonly async?: boolean | undefined;
  readonly wait?: boolean | undefined;
}

/**
 * `baton run <operation> [input]`: synchronous by default — the result as JSON on stdout; a run the door hands
 * over as a job (it outgrew the door's time) is followed to its end. `--async` submits a job and prints it;
 * `--async --wait` follows it with a live progress bar. Ctrl-C while following asks whether to cancel the job.
 */
export async function runCommand(
  operation: string,
  pairs: readonly string[],
  flags: RunFlags,
  io: CliIo,
): Promise<number> {
  const input = await readInput({ input: flags.input, inputFile: flags.inputFile, pairs }, io.cwd, () =>
    io.stdin ? readAll(io.stdin) : Promise.reject(new Error('no standard input')),
  );
  return withClient(flags, io, async (session) => {
    const { client } = session;
    if (flags.async) {
      const handle = await client.run(operation, input, { mode: 'async', wait: false });
      if (!flags.wait) {
        const job = await handle.get();
        printJson(io, job);
        note(session, `Job ${handle.id} (${operation}) is ${job.status}.\n${followHints(handle.id, flags)}`);
        return EXIT.ok;
      }
      note(session, `Job ${handle.id} (${operation}) submitted; following it. Ctrl-C stops waiting.`);
      return followToEnd(session, handle, operation, flags);
    }
    const interrupt = interruptible();
    try {
      // wait: false — a run that outgrows the door comes back as a job, followed here with a bar.
      const result = await client.run(operation, input, {
        mode: 'sync',
        wait: false,
        signal: interrupt.signal,
      });
      printJson(io, result);
      return EXIT.ok;
    } catch (error) {
      if (error instanceof BatonJobAcceptedError) {
        interrupt.dispose();
        note(
          session,
          `The run outgrew the door's time and goes on as job ${error.job.id}; following it. Ctrl-C stops waiting.`,
        );
        return followToEnd(session, error.job, operation, flags);
      }
      if (interrupt.signal.aborted) {
        throw new Interrupted(
          'Interrupted before the service answered: the run may still finish on the service (`baton jobs list` shows it).',
        );
      }
      throw error;
    } finally {
      interrupt.dispose();
    }
  });
}

/** Follows the job with a progress view; prints its result, or throws its failure (exit 4) or cancellation (5). */
async function followToEnd(
  session: Session,
  handle: JobHandle<unknown>,
  operation: string,
  flags: TargetFlags,
): Promise<number> {
  const { io, mode } = session;
  const progress = progressView({ mode, stderr: io.stderr });
  progress.track(handle.id, operation);
  const startedAt = Date.now();
  const interrupt = interruptible();
  try {
    const result = await follow(handle, {
      signal: interrupt.signal,
      startedAt,
      onProgress: (update) => progress.update(update),
    });
    progress.finish(handle.id, 'succeeded', Date.now() - startedAt);
    progress.stop();
    printJson(io, result);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof BatonJobFailedError || error instanceof BatonJobCancelledError) {
      progress.finish(handle.id, error.job.status, Date.now() - startedAt);
    }
    progress.stop();
    if (!interrupt.signal.aborted) throw error;
  } finally {
    interrupt.dispose();
  }
  return afterInterrupt(session, handle, operation, flags);
}

/**
 * Ctrl-C while following: at a terminal, ask whether to cancel the job — yes cancels it and waits for it to
 * stop (exit 5); no (or no terminal to ask at) leaves it running and says how to find it again (exit 130).
 */
async function afterInterrupt(
  session: Session,
  handle: JobHandle<unknown>,
  operation: string,
  flags: TargetFlags,
): Promise<number> {
  const { io, mode } = session;
  if (canAsk(io, mode) && (await askToCancel(io, `Cancel job ${handle.id} (${operation})?`))) {
    let job: JobView = await handle.cancel();
    if (job.status === 'queued' || job.status === 'running') {
      note(session, `Cancel requested: job ${handle.id} stops when its operation next checks…`);
      job = await untilEnded(handle);
    }
    if (job.status === 'cancelled') throw new BatonJobCancelledError(job);
    if (job.status === 'failed') {
      throw new BatonJobFailedError(
        job,
        job.error ?? { type: 'Failed', message: 'The job failed.', retryable: false },
      );
    }
    note(session, `Job ${handle.id} finished before it could be cancelled.`);
    printJson(io, job.result);
    return EXIT.ok;
  }
  throw new Interrupted(
    `Stopped waiting; job ${handle.id} (${operation}) goes on.\n${followHints(handle.id, flags)}`,
  );
}

/** The job once it has ended (a second Ctrl-C stops waiting for that). */
async function untilEnded(handle: JobHandle<unknown>): Promise<JobView> {
  const interrupt = interruptible();
  try {
    await follow(handle, { signal: interrupt.signal, onProgress: () => {} });
  } catch (error) {
    if (interrupt.signal.aborted) {
      throw new Interrupted(`Stopped waiting; the cancel of job ${handle.id} was requested and goes on.`);
    }
    if (!(error instanceof BatonJobCancelledError || error instanceof BatonJobFailedError)) throw error;
  } finally {
    interrupt.dispose();
  }
  return handle.get();
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += chunk;
  return text;
}
