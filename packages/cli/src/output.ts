import type { JobProgressUpdate, JobStatus } from '@baton/client';
import cliProgress from 'cli-progress';

/** A stream `baton` writes to: process.stdout/stderr, or a test's capture (which is no terminal). */
export interface OutStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * How a command shows itself. `tty`: a live progress bar on stderr (both streams are terminals, colour and
 * cursor control allowed). `plain`: lines only, no escape codes — a progress line per change, throttled — for
 * pipes, files, CI, NO_COLOR and TERM=dumb. `json`: one JSON document on stdout (JSON lines for `jobs watch`),
 * nothing but errors on stderr.
 */
export type OutputMode = 'tty' | 'plain' | 'json';

export function outputMode(
  streams: { readonly stdout: OutStream; readonly stderr: OutStream },
  env: NodeJS.ProcessEnv,
  json: boolean,
): OutputMode {
  if (json) return 'json';
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== '';
  // CI logs are files even when a CI runner allocates a terminal: a bar redrawn in place would be noise there.
  const ci = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  if (!streams.stdout.isTTY || !streams.stderr.isTTY || noColor || env.TERM === 'dumb' || ci) return 'plain';
  return 'tty';
}

/** 12s, 3m 04s, 1h 02m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

/** Whole percent, rounded down: 100 % only once the operation says it is all done. */
export const percent = (fraction: number) => Math.floor(Math.min(1, Math.max(0, fraction)) * 100);

/**
 * One progress line, as plain output prints it: `42% 137500000 of 500000000 records (elapsed 12s, eta 16s)`.
 * Before the operation reports a fraction the job's status stands in for it.
 */
export function progressLine(update: JobProgressUpdate): string {
  const head = update.fraction === undefined ? update.status : `${percent(update.fraction)}%`;
  const message = update.message ? ` ${update.message}` : '';
  const eta = update.etaMs === undefined ? '' : `, eta ${formatDuration(update.etaMs)}`;
  return `${head}${message} (elapsed ${formatDuration(update.elapsedMs)}${eta})`;
}

/** What a command waiting on jobs calls as they move; rendered as bars or as lines. */
export interface ProgressView {
  /** A job is followed from now on (its first line or bar). */
  track(jobId: string, label: string): void;
  update(update: JobProgressUpdate): void;
  /** The job ended (or stopped being followed): its bar completes, or its last line is printed. */
  finish(jobId: string, status: JobStatus | 'left running', elapsedMs: number): void;
  /** Stops drawing (before a prompt or the result); idempotent. */
  stop(): void;
}

export interface ProgressOptions {
  readonly mode: OutputMode;
  readonly stderr: OutStream;
  /** Plain lines: at most one per job this often, besides status changes. Default 1 s. */
  readonly throttleMs?: number;
  /** Whether lines name their job (several jobs followed at once). */
  readonly multi?: boolean;
  readonly now?: () => number;
}

export function progressView(options: ProgressOptions): ProgressView {
  if (options.mode === 'tty') return new BarView(options.stderr, options.multi ?? false);
  if (options.mode === 'json') return { track() {}, update() {}, finish() {}, stop() {} };
  return new LineView(
    options.stderr,
    options.throttleMs ?? 1000,
    options.multi ?? false,
    options.now ?? Date.now,
  );
}

interface LineState {
  label: string;
  lastLine?: string;
  lastStatus?: JobStatus;
  lastPercent?: number;
  lastMessage?: string;
  printedAt: number;
  latest?: JobProgressUpdate;
}

/** Plain lines: one when the status changes, and one per change of percent or message at most every throttleMs. */
class LineView implements ProgressView {
  readonly #jobs = new Map<string, LineState>();
  constructor(
    private readonly stderr: OutStream,
    private readonly throttleMs: number,
    private readonly multi: boolean,
    private readonly now: () => number,
  ) {}

  track(jobId: string, label: string): void {
    if (!this.#jobs.has(jobId)) this.#jobs.set(jobId, { label, printedAt: Number.NEGATIVE_INFINITY });
  }

  update(update: JobProgressUpdate): void {
    this.track(update.jobId, update.jobId);
    const state = this.#jobs.get(update.jobId) as LineState;
    state.latest = update;
    const pct = update.fraction === undefined ? undefined : percent(update.fraction);
    const statusChanged = update.status !== state.lastStatus;
    const moved = pct !== state.lastPercent || update.message !== state.lastMessage;
    if (!statusChanged && !(moved && this.now() - state.printedAt >= this.throttleMs)) return;
    this.#print(state, progressLine(update));
    state.lastStatus = update.status;
    state.lastPercent = pct;
    state.lastMessage = update.message;
  }

  finish(jobId: string, status: JobStatus | 'left running', elapsedMs: number): void {
    const state = this.#jobs.get(jobId);
    if (!state) return;
    const latest = state.latest;
    // The last change may have been throttled away: a finished job's bar ends where the job ended.
    if (latest && status === 'succeeded') {
      const done = { ...latest, status, fraction: 1, elapsedMs };
      const { etaMs: _eta, ...withoutEta } = done;
      const line = progressLine(withoutEta);
      if (percent(latest.fraction ?? 0) !== 100 || state.lastLine !== line) this.#print(state, line);
    }
    this.#print(state, `${status} (elapsed ${formatDuration(elapsedMs)})`);
    this.#jobs.delete(jobId);
  }

  stop(): void {}

  #print(state: LineState, line: string): void {
    state.lastLine = line;
    state.printedAt = this.now();
    this.stderr.write(`${this.multi ? `${state.label}: ` : ''}${line}\n`);
  }
}

interface BarPayload {
  pct: string;
  msg: string;
  jobElapsed: string;
  jobEta: string;
  label: string;
}

/** A live bar per job on a terminal (cli-progress), fed by the job's own progress, redrawn in place on stderr. */
class BarView implements ProgressView {
  readonly #multi: cliProgress.MultiBar;
  readonly #bars = new Map<string, { bar: cliProgress.SingleBar; label: string; lastMessage?: string }>();
  #stopped = false;

  constructor(stderr: OutStream, multi: boolean) {
    this.#multi = new cliProgress.MultiBar(
      {
        stream: stderr as unknown as NodeJS.WritableStream,
        // Tokens of our own: cli-progress's {eta} and {duration} are its own estimates, not the job's.
        format: `${multi ? '{label} ' : ''}{bar} {pct}% {msg} | elapsed {jobElapsed}{jobEta}`,
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        // Elapsed time moves between the job's updates too.
        etaAsynchronousUpdate: false,
        fps: 10,
        autopadding: false,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  #payload(label: string, update?: JobProgressUpdate): BarPayload {
    const fraction = update?.fraction;
    return {
      label,
      pct: fraction === undefined ? '  0' : String(percent(fraction)).padStart(3),
      msg: update?.message ?? update?.status ?? 'queued',
      jobElapsed: formatDuration(update?.elapsedMs ?? 0),
      jobEta: update?.etaMs === undefined ? '' : `, eta ${formatDuration(update.etaMs)}`,
    };
  }

  track(jobId: string, label: string): void {
    if (this.#stopped || this.#bars.has(jobId)) return;
    const bar = this.#multi.create(100, 0, this.#payload(label));
    this.#bars.set(jobId, { bar, label });
  }

  update(update: JobProgressUpdate): void {
    this.track(update.jobId, update.jobId);
    const entry = this.#bars.get(update.jobId);
    if (!entry || this.#stopped) return;
    if (update.message !== undefined) entry.lastMessage = update.message;
    entry.bar.update(
      update.fraction === undefined ? 0 : percent(update.fraction),
      this.#payload(entry.label, update),
    );
  }

  finish(jobId: string, status: JobStatus | 'left running', elapsedMs: number): void {
    const entry = this.#bars.get(jobId);
    if (!entry || this.#stopped) return;
    const payload = { label: entry.label, jobElapsed: formatDuration(elapsedMs), jobEta: '' };
    // A finished bar keeps the operation's last words (`… records`); any other end says what happened.
    if (status === 'succeeded') {
      entry.bar.update(100, { ...payload, pct: '100', msg: entry.lastMessage ?? status });
    } else entry.bar.update({ ...payload, msg: status });
    entry.bar.stop();
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#multi.stop();
  }
}
