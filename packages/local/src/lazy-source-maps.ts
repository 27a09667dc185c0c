/**
 * Stack traces mapped to the original sources, for an execution environment (see environment-runtime.ts), with
 * the source map of a file read only when a stack trace first needs it.
 *
 * Node 20's own source map support (`process.setSourceMapsEnabled(true)`) reads and parses the whole map of
 * every module as it loads (the example's bundles have 2.3–2.7 MB maps, 1.6 MB of it the sources' text), keeps
 * it for the environment's lifetime, and on the first stack trace through the module decodes it into one array
 * per mapping (150,000 of them). Measured per environment of the example's worker: +13–15 MB of RSS and about
 * twice the init time whether or not a stack trace is ever formatted, and +15–20 MB more once one is (a 30 MB
 * heap instead of 11 MB). Here a map is read when a stack trace first has a frame in its file, and only what a
 * frame needs is kept: the mappings in one Int32Array (3 MB for that bundle), the source paths and the names.
 *
 * The frames read as Node's own mapped frames do (lib/internal/source_map/prepare_stack_trace.js in Node 20):
 * `at name (original/source.ts:line:column)`, with the name the map gives the enclosing function.
 */
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

type CallSite = NodeJS.CallSite;

type PrepareStackTrace = (error: Error, trace: CallSite[]) => unknown;

/** Fields per mapping in `CompactSourceMap.mappings`. */
const FIELDS = 5;
const GENERATED_COLUMN = 0;
const SOURCE = 1;
const ORIGINAL_LINE = 2;
const ORIGINAL_COLUMN = 3;
const NAME = 4;

/** A decoded source map, as small as a lookup allows. */
export class CompactSourceMap {
  private constructor(
    /** Each source as a frame shows it: a path for a file, the URL otherwise. */
    private readonly sources: readonly string[],
    private readonly names: readonly string[],
    /** FIELDS numbers per mapping, in generated order; -1 for "none" (source, name). */
    private readonly mappings: Int32Array,
    /** The index of the first mapping of each generated line (one more entry: the end). */
    private readonly lineStarts: Int32Array,
  ) {}

  /** Decodes a source map (version 3, without index sections) whose file is at `mapUrl`. */
  static parse(payload: SourceMapPayload, mapUrl: string): CompactSourceMap {
    const sourceRoot = payload.sourceRoot ?? '';
    const sources = payload.sources.map((source) => {
      const full = `${sourceRoot}${source ?? ''}`;
      const url = isAbsolute(full) ? pathToFileURL(full).href : new URL(full, mapUrl).href;
      return url.startsWith('file://') ? fileURLToPath(url) : url;
    });
    const text = payload.mappings;
    let upperBound = 1;
    let lines = 1;
    for (let i = 0; i < text.length; i++) {
      const char = text.charCodeAt(i);
      if (char === COMMA) upperBound += 1;
      else if (char === SEMICOLON) {
        upperBound += 1;
        lines += 1;
      }
    }
    const mappings = new Int32Array(upperBound * FIELDS);
    const lineStarts = new Int32Array(lines + 1);
    let count = 0;
    let line = 0;
    let column = 0;
    let source = 0;
    let originalLine = 0;
    let originalColumn = 0;
    let name = 0;
    const values: number[] = [];
    let position = 0;
    while (position <= text.length) {
      const char = position < text.length ? text.charCodeAt(position) : SEMICOLON;
      if (char === COMMA || char === SEMICOLON) {
        position += 1;
        if (char === SEMICOLON) {
          line += 1;
          column = 0;
          lineStarts[line] = count;
        }
        continue;
      }
      // One segment: 1, 4 or 5 VLQ values up to the next separator.
      values.length = 0;
      while (position < text.length) {
        const next = text.charCodeAt(position);
        if (next === COMMA || next === SEMICOLON) break;
        let value = 0;
        let shift = 0;
        let digit: number;
        do {
          digit = BASE64[text.charCodeAt(position++)] ?? 0;
          value += (digit & 31) * 2 ** shift;
          shift += 5;
        } while (digit & 32);
        values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      }
      column += values[0] ?? 0;
      const at = count * FIELDS;
      mappings[at + GENERATED_COLUMN] = column;
      if (values.length >= 4) {
        source += values[1] as number;
        originalLine += values[2] as number;
        originalColumn += values[3] as number;
        mappings[at + SOURCE] = source;
        mappings[at + ORIGINAL_LINE] = originalLine;
        mappings[at + ORIGINAL_COLUMN] = originalColumn;
        if (values.length >= 5) {
          name += values[4] as number;
          mappings[at + NAME] = name;
        } else mappings[at + NAME] = -1;
      } else {
        mappings[at + SOURCE] = -1;
        mappings[at + NAME] = -1;
      }
      count += 1;
    }
    for (let rest = line + 1; rest < lineStarts.length; rest++) lineStarts[rest] = count;
    return new CompactSourceMap(sources, payload.names ?? [], mappings.slice(0, count * FIELDS), lineStarts);
  }

  /**
   * The mapping at or before a 0-based generated position (as Node's SourceMap.findEntry answers it: the last
   * mapping not after the position, on any earlier line too), or undefined when none.
   */
  findEntry(
    line: number,
    column: number,
  ): { source?: string; originalLine?: number; originalColumn?: number; name?: string } | undefined {
    if (line < 0) return undefined;
    const lastLine = this.lineStarts.length - 2;
    let index: number;
    if (line > lastLine) index = (this.lineStarts[lastLine + 1] as number) - 1;
    else {
      // The last mapping of `line` at or before `column`, else the last mapping of an earlier line.
      let low = this.lineStarts[line] as number;
      let high = (this.lineStarts[line + 1] as number) - 1;
      index = low - 1;
      while (low <= high) {
        const middle = (low + high) >> 1;
        if ((this.mappings[middle * FIELDS + GENERATED_COLUMN] as number) <= column) {
          index = middle;
          low = middle + 1;
        } else high = middle - 1;
      }
    }
    if (index < 0) return undefined;
    const at = index * FIELDS;
    const source = this.mappings[at + SOURCE] as number;
    if (source < 0) return {};
    const name = this.mappings[at + NAME] as number;
    return {
      source: this.sources[source] as string,
      originalLine: this.mappings[at + ORIGINAL_LINE] as number,
      originalColumn: this.mappings[at + ORIGINAL_COLUMN] as number,
      ...(name >= 0 && this.names[name] !== undefined ? { name: this.names[name] } : {}),
    };
  }
}

export interface SourceMapPayload {
  version?: number;
  sourceRoot?: string;
  sources: (string | null)[];
  names?: string[];
  mappings: string;
}

const COMMA = 44;
const SEMICOLON = 59;
const BASE64: Record<number, number> = {};
for (const [index, char] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries())
  BASE64[char.charCodeAt(0)] = index;

/** Node's pattern for the comment that names a file's source map (the last one counts). */
const SOURCE_MAPPING_URL = /\/[*/]#\s+sourceMappingURL=(?<url>[^\s]+)/g;

/** A file's identity when it was loaded: its map is used only while the file is still the one loaded. */
interface FileStamp {
  mtimeMs: number;
  size: number;
  ino: number;
}

export interface LazySourceMaps {
  /**
   * Notes a module file as about to be loaded: if the file is rewritten afterwards (a rebuild), its map then
   * describes other code, and its frames are left unmapped rather than mapped wrong.
   */
  stamp(file: string): void;
  /** The map of a frame's file (a file: URL or an absolute path), read on first use; undefined when none. */
  mapOf(fileName: string): CompactSourceMap | undefined;
  /** Formats a stack trace as Node does with source maps enabled. */
  prepareStackTrace: PrepareStackTrace;
}

/** Keeps one map per file, read the first time a stack trace has a frame in that file. */
export function createLazySourceMaps(defaultPrepare: PrepareStackTrace): LazySourceMaps {
  const maps = new Map<string, CompactSourceMap | null>();
  const stamps = new Map<string, FileStamp>();

  const pathOf = (fileName: string): string | undefined => {
    if (fileName.startsWith('file://')) {
      try {
        return fileURLToPath(fileName);
      } catch {
        return undefined;
      }
    }
    return isAbsolute(fileName) ? fileName : undefined;
  };

  const load = (fileName: string): CompactSourceMap | null => {
    const path = pathOf(fileName);
    if (path === undefined) return null;
    try {
      const stamp = stamps.get(path);
      if (stamp !== undefined) {
        const now = statSync(path);
        if (now.mtimeMs !== stamp.mtimeMs || now.size !== stamp.size || now.ino !== stamp.ino) return null;
      }
      const url = sourceMappingUrl(path);
      if (url === undefined) return null;
      const fileUrl = pathToFileURL(path).href;
      let payload: SourceMapPayload;
      let mapUrl: string;
      if (url.startsWith('data:')) {
        const comma = url.indexOf(',');
        const header = url.slice(0, comma);
        if (!header.startsWith('data:application/json')) return null;
        const data = url.slice(comma + 1);
        payload = JSON.parse(
          header.endsWith(';base64')
            ? Buffer.from(data, 'base64').toString('utf8')
            : decodeURIComponent(data),
        ) as SourceMapPayload;
        mapUrl = fileUrl;
      } else {
        mapUrl = new URL(url, fileUrl).href;
        if (!mapUrl.startsWith('file://')) return null;
        // Only what a lookup needs is kept (not the sources' text, most of the file).
        payload = JSON.parse(readFileSync(fileURLToPath(mapUrl), 'utf8')) as SourceMapPayload;
      }
      if (typeof payload.mappings !== 'string' || !Array.isArray(payload.sources)) return null;
      return CompactSourceMap.parse(payload, mapUrl);
    } catch {
      return null;
    }
  };

  const mapOf = (fileName: string): CompactSourceMap | undefined => {
    let map = maps.get(fileName);
    if (map === undefined) {
      map = load(fileName);
      maps.set(fileName, map);
    }
    return map ?? undefined;
  };

  const prepareStackTrace: PrepareStackTrace = (error, trace) => {
    // The error's own line as Node writes it (`Name [CODE]: message` for Node's errors): its default, no frames.
    const head = String(defaultPrepare(error, []));
    if (trace.length === 0) return head;
    let text = head;
    for (let i = 0; i < trace.length; i++) {
      const callSite = trace[i] as CallSite;
      let frame: string | undefined;
      try {
        const fileName = callSite.getFileName() ?? callSite.getEvalOrigin();
        const map = typeof fileName === 'string' ? mapOf(fileName) : undefined;
        if (map) frame = mappedFrame(map, callSite, trace[i + 1]);
      } catch {
        frame = undefined;
      }
      text += `\n    at ${frame ?? String(callSite)}`;
    }
    return text;
  };

  return {
    stamp(file) {
      try {
        const { mtimeMs, size, ino } = statSync(file);
        stamps.set(file, { mtimeMs, size, ino });
      } catch {
        // no such file: its import fails anyway
      }
    },
    mapOf,
    prepareStackTrace,
  };
}

/** How many bytes at the end of a file are searched for its source map comment before the whole file is. */
const TAIL_BYTES = 4096;

/**
 * The URL in a file's last source map comment. Bundlers write it at the very end, so the end of the file is
 * read first (a bundle is megabytes); the whole file only when the end has none.
 */
function sourceMappingUrl(path: string): string | undefined {
  const last = (text: string): string | undefined => {
    let url: string | undefined;
    for (const match of text.matchAll(SOURCE_MAPPING_URL)) url = match.groups?.url;
    return url;
  };
  const fd = openSync(path, 'r');
  try {
    const { size } = fstatSync(fd);
    if (size > TAIL_BYTES) {
      const tail = Buffer.alloc(TAIL_BYTES);
      const read = readSync(fd, tail, 0, TAIL_BYTES, size - TAIL_BYTES);
      const url = last(tail.subarray(0, read).toString('utf8'));
      // A comment that starts in the tail is the last one; an inline (data:) one may start before it.
      if (url !== undefined) return url;
    }
    return last(readFileSync(fd, 'utf8'));
  } finally {
    closeSync(fd);
  }
}

/** One frame at its original position, as Node's serializeJSStackFrame writes it; undefined: leave it as is. */
function mappedFrame(
  map: CompactSourceMap,
  callSite: CallSite,
  caller: CallSite | undefined,
): string | undefined {
  const line = callSite.getLineNumber();
  const column = callSite.getColumnNumber();
  if (line === null || column === null) return undefined;
  const entry = map.findEntry(line - 1, column - 1);
  if (entry?.source === undefined || entry.originalLine === undefined || entry.originalColumn === undefined)
    return undefined;
  const name = originalSymbolName(map, callSite, caller);
  const fnName = callSite.getFunctionName() ?? callSite.getMethodName();
  const prefix = callSite.isAsync() ? 'async ' : callSite.isConstructor() ? 'new ' : '';
  const typeName = callSite.getTypeName();
  const namePrefix = typeName !== null && typeName !== 'global' ? `${typeName}.` : '';
  const originalName = `${namePrefix}${fnName || '<anonymous>'}`;
  const mappedName = name && name !== originalName ? name : originalName;
  return `${prefix}${mappedName} (${entry.source}:${entry.originalLine + 1}:${entry.originalColumn + 1})`;
}

/** The name the map gives the enclosing function, else the one at the caller's position in the same file. */
function originalSymbolName(
  map: CompactSourceMap,
  callSite: CallSite,
  caller: CallSite | undefined,
): string | undefined {
  const enclosingLine = callSite.getEnclosingLineNumber();
  const enclosingColumn = callSite.getEnclosingColumnNumber();
  if (typeof enclosingLine === 'number' && typeof enclosingColumn === 'number') {
    const enclosing = map.findEntry(enclosingLine - 1, enclosingColumn - 1);
    if (enclosing?.name) return enclosing.name;
  }
  if (caller && callSite.getFileName() === caller.getFileName()) {
    const line = caller.getLineNumber();
    const column = caller.getColumnNumber();
    if (line !== null && column !== null) return map.findEntry(line - 1, column - 1)?.name;
  }
  return undefined;
}
