import type { DevIo } from './dev.js';
import type { OutStream } from './output.js';

/** What `baton` reads and writes: the process's own streams in bin.ts, a capture in tests. */
export interface CliIo extends DevIo {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  /** For `--input-file -` and the prompt after Ctrl-C; absent: no prompt, no standard input. */
  readonly stdin?: NodeJS.ReadableStream & { readonly isTTY?: boolean };
}
