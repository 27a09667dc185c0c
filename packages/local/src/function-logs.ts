import { TAIL_LOG_BYTES } from './limits.js';

/** One piece of a function's log output, as the service hands it to a log option callback. */
export interface FunctionLogChunk {
  functionName: string;
  stream: 'stdout' | 'stderr';
  /** One or more lines, normally ending in a newline. */
  text: string;
}

/**
 * Where function logs go besides each invocation's own log: `forward` writes them to this process's
 * stdout/stderr prefixed with `[function name]` (what you want in a terminal), `quiet` drops them (tests), a
 * function receives every chunk.
 */
export type FunctionLogOption = 'forward' | 'quiet' | ((chunk: FunctionLogChunk) => void);

export type FunctionLogSink = (chunk: FunctionLogChunk) => void;

export function createFunctionLogSink(option: FunctionLogOption): FunctionLogSink {
  if (option === 'quiet') return () => {};
  if (typeof option === 'function') return option;
  // Lines are gathered and written once per turn of the event loop, per stream: under load an invocation's
  // START, its own lines and END/REPORT were each a write of their own (see docs/decisions/0010-a-lean-local-stack.md).
  const pending = { stdout: '', stderr: '' };
  let flushing = false;
  const flush = () => {
    flushing = false;
    for (const stream of ['stdout', 'stderr'] as const) {
      const text = pending[stream];
      if (text === '') continue;
      pending[stream] = '';
      process[stream].write(text);
    }
  };
  return ({ functionName, stream, text }) => {
    const prefix = `[${functionName}] `;
    const body = text.endsWith('\n') ? text.slice(0, -1) : text;
    pending[stream] += `${prefix}${body.split('\n').join(`\n${prefix}`)}\n`;
    if (!flushing) {
      flushing = true;
      setImmediate(flush);
    }
  };
}

/**
 * The log of one invocation (START … END, REPORT), kept for `X-Amz-Log-Type: Tail`. Only the end is ever
 * needed, so a chatty function cannot grow it without bound.
 */
export class InvocationLog {
  private text = '';
  private static readonly KEEP_CHARS = 64 * 1024;

  append(text: string): void {
    this.text += text;
    if (this.text.length > 2 * InvocationLog.KEEP_CHARS)
      this.text = this.text.slice(-InvocationLog.KEEP_CHARS);
  }

  toString(): string {
    return this.text;
  }

  /** The last 4 KB, base64: the `X-Amz-Log-Result` header. */
  tailBase64(): string {
    const bytes = Buffer.from(this.text, 'utf8');
    return bytes.subarray(Math.max(0, bytes.length - TAIL_LOG_BYTES)).toString('base64');
  }
}

/** A line from the service itself (not the function) in a function's log stream, on stderr. */
export function serviceLog(sink: FunctionLogSink, functionName: string, message: string): void {
  sink({ functionName, stream: 'stderr', text: `${new Date().toISOString()}\tlocal-lambda\t${message}\n` });
}
