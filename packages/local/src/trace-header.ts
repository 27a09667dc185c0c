import { createHash, randomBytes } from 'node:crypto';
import { RECURSION_LIMIT } from './limits.js';

/**
 * Recursive loop detection the way Lambda does it: an invocation chain is carried by the X-Ray trace header
 * (`X-Amzn-Trace-Id` on the wire, `_X_AMZN_TRACE_ID` inside the function). Its `Lineage` member counts, per
 * function, how many times that function has been invoked in the chain: `Lineage=<8 hex of the function>:<count>`,
 * several functions separated by `|`. The AWS SDK inside a handler copies `_X_AMZN_TRACE_ID` onto its calls, so
 * the count survives a hop through the Invoke API; a function reached more than RECURSION_LIMIT times is stopped.
 */

export interface TraceHeader {
  /** `1-<8 hex seconds>-<24 hex>`: identifies the whole chain. */
  root: string;
  parent?: string;
  sampled: string;
  /** function hash → invocations of that function in this chain so far. */
  lineage: Map<string, number>;
}

export function parseTraceHeader(value: string | undefined): TraceHeader | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const members = new Map<string, string>();
  for (const part of value.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0) members.set(part.slice(0, separator).trim(), part.slice(separator + 1).trim());
  }
  const root = members.get('Root');
  if (root === undefined || root === '') return undefined;
  const lineage = new Map<string, number>();
  for (const entry of (members.get('Lineage') ?? '').split('|')) {
    // Accept `hash:count` and a versioned `version:hash:count`: the last two fields are what matter.
    const fields = entry.split(':');
    if (fields.length < 2) continue;
    const count = Number(fields[fields.length - 1]);
    const hash = fields[fields.length - 2];
    if (hash && /^[0-9a-f]{8}$/i.test(hash) && Number.isInteger(count) && count >= 0) {
      lineage.set(hash.toLowerCase(), Math.max(count, lineage.get(hash.toLowerCase()) ?? 0));
    }
  }
  const parent = members.get('Parent');
  return { root, ...(parent ? { parent } : {}), sampled: members.get('Sampled') ?? '0', lineage };
}

export function formatTraceHeader(header: TraceHeader): string {
  const parts = [`Root=${header.root}`];
  if (header.parent) parts.push(`Parent=${header.parent}`);
  parts.push(`Sampled=${header.sampled}`);
  if (header.lineage.size > 0) {
    parts.push(`Lineage=${[...header.lineage].map(([hash, count]) => `${hash}:${count}`).join('|')}`);
  }
  return parts.join(';');
}

export function newTraceRoot(now: number = Date.now()): string {
  const seconds = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${seconds}-${randomBytes(12).toString('hex')}`;
}

/** The 8-hex identity of a function in a lineage. */
export function lineageHash(functionArn: string): string {
  return createHash('sha256').update(functionArn).digest('hex').slice(0, 8);
}

export interface ChainStep {
  /** The header the invocation runs under (set as `_X_AMZN_TRACE_ID` in its environment). */
  traceHeader: string;
  /** How many times this function has now been invoked in the chain, this invocation included. */
  position: number;
  /** True when the position is past the limit: a 'Terminate' function must not run. */
  exceedsLimit: boolean;
}

/** Continues the chain an incoming `X-Amzn-Trace-Id` belongs to (or starts one) for an invocation of a function. */
export function continueChain(incoming: string | undefined, functionArn: string): ChainStep {
  const previous = parseTraceHeader(incoming);
  const hash = lineageHash(functionArn);
  const lineage = new Map(previous?.lineage ?? []);
  const position = (lineage.get(hash) ?? 0) + 1;
  lineage.set(hash, position);
  const header: TraceHeader = {
    root: previous?.root ?? newTraceRoot(),
    parent: randomBytes(8).toString('hex'),
    sampled: previous?.sampled ?? '0',
    lineage,
  };
  return { traceHeader: formatTraceHeader(header), position, exceedsLimit: position > RECURSION_LIMIT };
}
