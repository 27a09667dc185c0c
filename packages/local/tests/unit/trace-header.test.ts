import { describe, expect, it } from 'vitest';
import { RECURSION_LIMIT } from '../../src/limits.js';
import { continueChain, formatTraceHeader, lineageHash, parseTraceHeader } from '../../src/trace-header.js';

const fnA = 'arn:aws:lambda:us-east-1:000000000000:function:a';
const fnB = 'arn:aws:lambda:us-east-1:000000000000:function:b';

describe('trace header', () => {
  it('parses the X-Ray members and a multi-function lineage', () => {
    const header = parseTraceHeader(
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1|68fd508a:5',
    );
    expect(header).toEqual({
      root: '1-5759e988-bd862e3fe1be46a994272793',
      parent: '53995c3f42cd8ad8',
      sampled: '1',
      lineage: new Map([
        ['a87bd80c', 1],
        ['68fd508a', 5],
      ]),
    });
    expect(formatTraceHeader(header ?? { root: '', sampled: '0', lineage: new Map() })).toBe(
      'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1;Lineage=a87bd80c:1|68fd508a:5',
    );
  });

  it('accepts a versioned lineage entry and ignores malformed ones', () => {
    expect(parseTraceHeader('Root=1-1-1;Lineage=2:a87bd80c:3|junk|zz:1')?.lineage).toEqual(
      new Map([['a87bd80c', 3]]),
    );
  });

  it('treats a missing or root-less header as no chain', () => {
    expect(parseTraceHeader(undefined)).toBeUndefined();
    expect(parseTraceHeader('')).toBeUndefined();
    expect(parseTraceHeader('Parent=53995c3f42cd8ad8')).toBeUndefined();
  });
});

describe('continueChain', () => {
  it('starts a chain at position 1 with a fresh root', () => {
    const step = continueChain(undefined, fnA);
    expect(step.position).toBe(1);
    expect(step.exceedsLimit).toBe(false);
    expect(step.traceHeader).toMatch(
      new RegExp(
        `^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=${lineageHash(fnA)}:1$`,
      ),
    );
  });

  it('counts each function separately and keeps the root', () => {
    const a1 = continueChain(undefined, fnA);
    const b1 = continueChain(a1.traceHeader, fnB);
    const a2 = continueChain(b1.traceHeader, fnA);
    expect([a1.position, b1.position, a2.position]).toEqual([1, 1, 2]);
    expect(parseTraceHeader(a2.traceHeader)?.root).toBe(parseTraceHeader(a1.traceHeader)?.root);
    expect(parseTraceHeader(a2.traceHeader)?.lineage).toEqual(
      new Map([
        [lineageHash(fnA), 2],
        [lineageHash(fnB), 1],
      ]),
    );
  });

  it(`marks the invocation after the ${RECURSION_LIMIT}th of one function as past the limit`, () => {
    let header: string | undefined;
    const positions: [number, boolean][] = [];
    for (let i = 0; i < RECURSION_LIMIT + 1; i++) {
      const step = continueChain(header, fnA);
      positions.push([step.position, step.exceedsLimit]);
      header = step.traceHeader;
    }
    expect(positions.at(RECURSION_LIMIT - 1)).toEqual([RECURSION_LIMIT, false]);
    expect(positions.at(RECURSION_LIMIT)).toEqual([RECURSION_LIMIT + 1, true]);
  });
});
