/**
 * Where the time goes in a V8 CPU profile (`.cpuprofile`, from `node --cpu-prof` or the inspector's Profiler):
 * self time by owner — V8's own categories ((garbage collector), (program), (idle)), node's internals, each
 * package (`@aws-sdk/*`, `@smithy/*`, `zod`, …), each workspace package (`@baton/<name>` for packages/<name>), the
 * example app's operations and handlers — and the functions that take the most.
 *
 * Frames in a bundle that has its source map beside it (`index.mjs` + `index.mjs.map`, as `baton dev` writes them
 * in `.baton/bundles/<function>/`) are mapped back to their original file through the map (node's
 * `module.SourceMap`), so a bundled `@smithy/…` or `zod` frame counts for its package, not for the bundle. A
 * native frame (a V8 builtin such as `JSON.parse`, url-less) counts for the owner of the JavaScript that called it.
 *
 * Used by the parts of `pnpm bench`; also a command, for a look at any profile:
 *
 *   node scripts/bench/profile-summary.mjs <file.cpuprofile> [more…]     merged, printed as text
 */
import { existsSync, readFileSync } from 'node:fs';
import { findSourceMap, SourceMap } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** V8's pseudo-frames: not code of anyone's. */
const CATEGORIES = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);
export const IDLE = '(idle)';
/**
 * A bundle's own code, which its source map does not map: its top level — where esbuild hoists the top-level
 * statements of every ES module, so one function whose self time no map can split by package — and esbuild's
 * helpers (`__esm`, `__commonJS`, …).
 */
export const UNMAPPED = 'bundle top level and esbuild helpers (not in the source map)';
export const KEEP_NAMES = "esbuild's __name helper (keepNames)";

/** The owner of a source file: its package, or the workspace folder it sits in. */
export function ownerOfPath(path) {
  const parts = path.split(sep).join('/').split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at >= 0) {
    const name = parts[at + 1] ?? path;
    return name.startsWith('@') ? `${name}/${parts[at + 2]}` : name;
  }
  const rel = relative(root, path).split(sep).join('/');
  if (rel.startsWith('..')) return 'other files';
  const [top, name, sub, kind, bundle] = rel.split('/');
  if (top === 'packages') return `@baton/${name}`;
  if (top === 'apps') {
    // The function runtime of the local Lambda service, bundled by it without a source map.
    if (sub === '.baton' && kind === 'bundles' && bundle === '.runtime') return '@baton/local';
    if (sub === '.baton' && kind === 'bundles') return UNMAPPED;
    return `apps/${name} ${sub === 'src' && kind ? kind : 'files'}`;
  }
  if (top === 'scripts' && name === 'bench') return 'scripts/bench (the harness, the bare handlers)';
  return [top, name].filter(Boolean).join('/');
}

/** node's own code, by what it does. */
const NODE_AREAS = [
  [/^node:internal\/(modules|bootstrap\/realm|vm)/, 'module loading'],
  [/^node:internal\/source_map/, 'source maps'],
  [
    /^node:(_http|http|https|net|stream|dgram|internal\/(http|streams|stream_base_commons|net|js_stream_socket))/,
    'http, net, streams',
  ],
  [/^node:(worker_threads|internal\/(worker|per_context\/messageport))/, 'worker threads, messages'],
  [/^node:(fs|internal\/fs)/, 'fs'],
  [/^node:(crypto|internal\/crypto)/, 'crypto'],
  [/^node:(events|internal\/event_target)/, 'events'],
  [/^node:(timers|internal\/timers)/, 'timers'],
  [/^node:internal\/process\/(task_queues|promises)/, 'promise and tick queues'],
  [/^node:(url|internal\/url|path|querystring)/, 'url, path'],
  [/^node:(buffer|internal\/buffer|internal\/encoding|string_decoder)/, 'buffers, text encoding'],
];
const isNodeOwn = (owner) => owner.startsWith('node: ');
const nodeArea = (url) => `node: ${NODE_AREAS.find(([re]) => re.test(url))?.[1] ?? 'other'}`;

/** What a frame's url names: node internals, a file (through its bundle's source map), or something else. */
class Resolver {
  constructor() {
    /** bundle path → SourceMap | null */
    this.maps = new Map();
    /** url:line:column → { owner, file, line } */
    this.frames = new Map();
  }

  mapOf(path, url) {
    let map = this.maps.get(path);
    if (map === undefined) {
      map = null;
      const mapFile = `${path}.map`;
      // A module of this very process compiled with an inline map (tsx): node keeps its map when source maps
      // are on. Its sources are file URLs.
      const loaded = findSourceMap(url);
      if (loaded) map = { sourceMap: loaded, base: dirname(path), inline: true };
      else if (existsSync(mapFile)) {
        try {
          const payload = JSON.parse(readFileSync(mapFile, 'utf8'));
          map = {
            sourceMap: new SourceMap(payload),
            base: resolve(dirname(mapFile), payload.sourceRoot ?? ''),
          };
        } catch {
          map = null;
        }
      }
      this.maps.set(path, map);
    }
    return map;
  }

  /** The owner and place of a frame with a url. */
  resolve(frame) {
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}`;
    let found = this.frames.get(key);
    if (found) return found;
    const url = frame.url;
    if (url.startsWith('node:')) {
      found = { owner: nodeArea(url), file: url, line: frame.lineNumber + 1 };
    } else if (url.startsWith('file://')) {
      let path;
      try {
        path = fileURLToPath(url.replace(/[?#].*$/, ''));
      } catch {
        path = url;
      }
      // A TypeScript file compiled by tsx in another process: its lines are those of code no one has now.
      const compiled = /\.[cm]?tsx?$/.test(path);
      found = { owner: ownerOfPath(path), file: path, line: compiled ? undefined : frame.lineNumber + 1 };
      const map = this.mapOf(path, url);
      if (map && frame.lineNumber >= 0) {
        const entry = map.sourceMap.findEntry(frame.lineNumber, Math.max(0, frame.columnNumber));
        if (entry?.originalSource && entry.originalSource !== url) {
          const original = entry.originalSource.startsWith('file://')
            ? fileURLToPath(entry.originalSource)
            : resolve(map.base, entry.originalSource);
          found = { owner: ownerOfPath(original), file: original, line: entry.originalLine + 1 };
        } else if (entry?.originalSource) {
          found.line = entry.originalLine + 1;
        } else if (!map.inline) {
          found.owner = UNMAPPED;
        }
      }
    } else if (url.startsWith('data:')) {
      found = { owner: 'module loader hooks (data: urls)', file: 'data:', line: 0 };
    } else if (url.startsWith('[eval') || url.startsWith('evalmachine')) {
      found = {
        owner: 'scripts/bench (the harness, the bare handlers)',
        file: url,
        line: frame.lineNumber + 1,
      };
    } else {
      found = { owner: url, file: url, line: frame.lineNumber + 1 };
    }
    this.frames.set(key, found);
    return found;
  }
}

/** A short place for a file: relative to its package (node_modules) or to the repository. */
function shortPlace(file, line) {
  if (file.startsWith('node:') || file.startsWith('data:') || file.startsWith('[')) return file;
  const norm = file.split(sep).join('/');
  const at = norm.lastIndexOf('/node_modules/');
  const rel = at >= 0 ? norm.slice(at + '/node_modules/'.length) : relative(root, file).split(sep).join('/');
  return line === undefined ? rel : `${rel}:${line}`;
}

/**
 * Self time of one profile, by owner and by function, in ms: each sample counts for one sampling interval
 * (`intervalUs`, as the profiler was set; absent, the profile's most common gap between samples). V8 samples a
 * thread only while it runs (a thread waiting for a core gets its pending sample when it runs again), so with
 * more busy threads than cores samples × interval stays close to the CPU time each thread used (checked against
 * process.cpuUsage with four busy threads on two cores: within 2%), where the gaps between samples add up to
 * wall time, and a long gap (the thread descheduled) would be charged to whatever ran before it. On a loaded
 * machine the sampler thread itself may miss its turns: then the shares hold and the totals run low.
 *
 * `window` ({ fromUs, toUs }, on the monotonic clock of the profile's timestamps, which process.hrtime reads too)
 * keeps only the samples taken within it.
 */
export function attribute(profile, { window, intervalUs, resolver = new Resolver() } = {}) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  /**
   * Per node: its owner and function key (a native frame takes its caller's owner). Node's own code and native
   * frames also name the nearest caller outside node (`stat (native, from node: fs) ← checkSources (…)`): who
   * asked for the work.
   */
  const where = new Map();
  const whereOf = (id) => {
    let found = where.get(id);
    if (found) return found;
    found = ownWhereOf(id);
    if (isNodeOwn(found.owner) || found.native) {
      const caller = userCallerOf(id);
      if (caller) found = { ...found, fn: `${found.fn} ← ${caller}` };
    }
    where.set(id, found);
    return found;
  };
  const own = new Map();
  /** The nearest ancestor outside node and V8: its own function key. */
  const userCallerOf = (id) => {
    for (let at = parentOf.get(id); at !== undefined; at = parentOf.get(at)) {
      const w = ownWhereOf(at);
      if (!w.native && !isNodeOwn(w.owner) && !CATEGORIES.has(w.owner)) return w.fn;
    }
    return undefined;
  };
  const ownWhereOf = (id) => {
    let found = own.get(id);
    if (found) return found;
    const node = byId.get(id);
    const frame = node.callFrame;
    const name = frame.functionName || '(anonymous)';
    if (CATEGORIES.has(name) && !frame.url) {
      found = { owner: name, fn: name };
    } else if (name === '__name' && frame.url) {
      // esbuild's `keepNames` helper (Object.defineProperty of `name`), wherever esbuild put it: a cost of
      // closures made per call, whoever makes them.
      found = {
        owner: KEEP_NAMES,
        fn: `__name (esbuild keepNames helper, in ${resolver.resolve(frame).owner})`,
      };
    } else if (!frame.url) {
      const parent = parentOf.get(id);
      const caller = parent === undefined ? undefined : ownWhereOf(parent);
      const owner = caller && !CATEGORIES.has(caller.owner) ? caller.owner : 'native (no caller)';
      found = { owner, fn: `${name} (native, from ${owner})`, native: true };
    } else {
      const place = resolver.resolve(frame);
      found = {
        owner: place.owner,
        fn: `${name} (${shortPlace(place.file, place.line)})`,
      };
    }
    own.set(id, found);
    return found;
  };

  const owners = new Map();
  const functions = new Map();
  let sampledMs = 0;
  let samples = 0;
  let t = profile.startTime;
  const deltas = profile.timeDeltas ?? [];
  const durationMs = (intervalUs ?? commonGapUs(deltas)) / 1000;
  for (let i = 0; i < profile.samples.length; i++) {
    t += deltas[i] ?? 0;
    if (window && (t < window.fromUs || t > window.toUs)) continue;
    const w = whereOf(profile.samples[i]);
    owners.set(w.owner, (owners.get(w.owner) ?? 0) + durationMs);
    const fn = functions.get(w.fn) ?? { owner: w.owner, ms: 0 };
    fn.ms += durationMs;
    functions.set(w.fn, fn);
    sampledMs += durationMs;
    samples++;
  }
  return { profiles: 1, samples, sampledMs, owners, functions };
}

/** The most common gap between samples, to 10 µs: the sampling interval as it ran. */
function commonGapUs(deltas) {
  const counts = new Map();
  for (const delta of deltas) {
    const bucket = Math.round(delta / 10) * 10;
    if (bucket > 0) counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  let best = 1000;
  let bestCount = 0;
  for (const [bucket, count] of counts) if (count > bestCount) [best, bestCount] = [bucket, count];
  return best;
}

/** Several attributions as one (the threads of one function, the runs of one bundle). */
export function merge(list) {
  const merged = {
    profiles: 0,
    samples: 0,
    sampledMs: 0,
    owners: new Map(),
    functions: new Map(),
    bundles: new Set(),
  };
  for (const one of list) {
    merged.profiles += one.profiles;
    merged.samples += one.samples;
    merged.sampledMs += one.sampledMs;
    for (const [owner, ms] of one.owners) merged.owners.set(owner, (merged.owners.get(owner) ?? 0) + ms);
    for (const [fn, { owner, ms }] of one.functions) {
      const into = merged.functions.get(fn) ?? { owner, ms: 0 };
      into.ms += ms;
      merged.functions.set(fn, into);
    }
  }
  return merged;
}

const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * The JSON summary: total sampled ms, busy ms (not idle), and the top owners and functions with their ms and
 * their share of the busy time. Every owner is kept (they are few); functions are cut to `topFunctions`.
 */
export function summarize(attribution, { topFunctions = 12 } = {}) {
  const idleMs = attribution.owners.get(IDLE) ?? 0;
  const busyMs = attribution.sampledMs - idleMs;
  const share = (ms) => (busyMs > 0 ? round((100 * ms) / busyMs, 1) : 0);
  return {
    profiles: attribution.profiles,
    samples: attribution.samples,
    sampledMs: round(attribution.sampledMs, 1),
    idleMs: round(idleMs, 1),
    busyMs: round(busyMs, 1),
    owners: [...attribution.owners]
      .filter(([owner]) => owner !== IDLE)
      .sort((a, b) => b[1] - a[1])
      .map(([owner, ms]) => ({ owner, ms: round(ms, 2), pct: share(ms) })),
    functions: [...attribution.functions]
      .filter(([, f]) => f.owner !== IDLE)
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, topFunctions)
      .map(([fn, f]) => ({ fn, owner: f.owner, ms: round(f.ms, 2), pct: share(f.ms) })),
  };
}

/** A resolver shared by many profiles of the same bundles: each source map is parsed once. */
export const newResolver = () => new Resolver();

/** Reads a `.cpuprofile` file and attributes it. */
export function attributeFile(file, options = {}) {
  return attribute(JSON.parse(readFileSync(file, 'utf8')), options);
}

/**
 * The thread a `node --cpu-prof` file was written by: node names them `CPU.<date>.<time>.<pid>.<thread>.<seq>
 * .cpuprofile`, thread 0 being the main thread.
 */
export function threadOfFile(name) {
  const match = /^CPU\.\d+\.\d+\.(\d+)\.(\d+)\.(\d+)\.cpuprofile$/.exec(name);
  return match ? { pid: Number(match[1]), threadId: Number(match[2]), seq: Number(match[3]) } : undefined;
}

// The command.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error('usage: node scripts/bench/profile-summary.mjs <file.cpuprofile> [more…]');
    process.exit(2);
  }
  const resolver = new Resolver();
  const summary = summarize(merge(files.map((file) => attributeFile(file, { resolver }))), {
    topFunctions: 25,
  });
  console.log(
    `${summary.profiles} profile(s), ${summary.samples} samples, ${summary.sampledMs} ms sampled, ${summary.busyMs} ms busy (${summary.idleMs} ms idle)\n`,
  );
  for (const o of summary.owners)
    console.log(`${String(o.pct).padStart(6)}%  ${String(o.ms).padStart(10)} ms  ${o.owner}`);
  console.log('');
  for (const f of summary.functions)
    console.log(`${String(f.pct).padStart(6)}%  ${String(f.ms).padStart(10)} ms  ${f.fn}`);
}
