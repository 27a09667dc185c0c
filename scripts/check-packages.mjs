// Checks that every toolkit package (packages/*) is packable, on the tarballs `pnpm pack` makes:
//
//   node scripts/check-packages.mjs [--fix] [--build]
//
// Expects the packages built (`pnpm test` runs `turbo run build` before it; --build runs it here). Per package:
// - package.json: not private; a version; ESM; `files` ships dist and README.md, never src or tests;
//   `engines.node`; every `exports` subpath maps `types` and `default` into dist, and `publishConfig.exports`
//   is `exports` without the workspace-only `@baton/source` condition (pnpm swaps it in when packing).
//   --fix writes these fields (and only these); dependencies are never changed by a script.
// - the tarball (packed with pnpm, as it would be published): its package.json has no `@baton/source`, no
//   `workspace:` range and no `private`; a README.md with a usage example (a code block that imports the
//   package); for every module of src/ (tests and .d.ts aside) a dist/*.js and dist/*.d.ts, for every other
//   file of src/ (an asset read at run time) a copy in dist, and nothing in dist that src/ no longer has;
//   no src/, tests or source maps (they would point at src/, which is not shipped).
// - publint, strict and at its lowest level (suggestions count), on that tarball.
// - knip (knip.jsonc; production mode, strict: each package on its own, only `dependencies` and
//   `peerDependencies` count). The rule:
//     * every bare import in src/ (tests are outside src/) must be a dependency or a peer dependency: a value
//       import because the built JS loads it, a type-only import when it shows in the emitted .d.ts (knip reads
//       the published declarations: `import type { Context } from 'aws-lambda'` in a public signature needs
//       `@types/aws-lambda` in `dependencies`, since a consumer's compiler reads that .d.ts); a type-only
//       import that the .d.ts does not show stays a devDependency;
//     * a package imported only by an entry meant for users who have it (core's conformance suite and vitest)
//       may be an optional peer dependency;
//     * nothing in `dependencies` or `peerDependencies` is unused (knip.jsonc names the one exception knip
//       cannot see: a package loaded through `createRequire(...)(name)`).
// Exits 1 with the list of findings, 0 when there are none.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { buildPackages, listPackages, packPackages, ROOT, readTarball, TOOL_ENV } from './pack-packages.mjs';

const SOURCE_CONDITION = '@baton/source';
const ENGINES_NODE = '>=20.11';
const FILES = ['dist', 'README.md'];

const args = new Set(process.argv.slice(2));
const unknownArgs = [...args].filter((arg) => arg !== '--fix' && arg !== '--build');
if (unknownArgs.length > 0) {
  console.error('usage: node scripts/check-packages.mjs [--fix] [--build]');
  process.exit(2);
}

const started = performance.now();
/** @type {Map<string, string[]>} package name → findings */
const findings = new Map();
const report = (pkgName, message) => {
  if (!findings.has(pkgName)) findings.set(pkgName, []);
  findings.get(pkgName).push(message);
};

if (args.has('--fix')) for (const pkg of listPackages()) fixManifest(pkg.dir);
if (args.has('--build')) orExit(buildPackages);

const packages = listPackages();
for (const pkg of packages) checkManifest(pkg);

const packDir = mkdtempSync(join(tmpdir(), 'baton-check-packages-'));
try {
  const packed = orExit(
    () => packPackages(packDir),
    () => rmSync(packDir, { recursive: true, force: true }),
  );
  for (const pkg of packages) {
    const tarball = packed.find((entry) => entry.name === pkg.name);
    if (!tarball) {
      report(pkg.name, 'pnpm pack made no tarball');
      continue;
    }
    await checkTarball(pkg, tarball.tarball);
  }
} finally {
  rmSync(packDir, { recursive: true, force: true });
}
checkDependencies(packages);

const seconds = ((performance.now() - started) / 1000).toFixed(1);
const count = [...findings.values()].reduce((sum, list) => sum + list.length, 0);
if (count === 0) {
  console.log(`check-packages: ${packages.length} packages packable, no findings (${seconds} s)`);
} else {
  console.error(`check-packages: ${count} finding(s) in ${findings.size} package(s):`);
  for (const [name, list] of findings) {
    console.error(`\n${name}`);
    for (const message of list) console.error(`  - ${message}`);
  }
  console.error(
    '\nManifest fields: `node scripts/check-packages.mjs --fix`. Dependencies: edit package.json, then `pnpm install`.',
  );
  process.exit(1);
}

/** Runs a step the check cannot go on without; its failure ends the check with its message. */
function orExit(step, cleanUp = () => {}) {
  try {
    return step();
  } catch (error) {
    cleanUp();
    console.error(`check-packages: ${error.message}`);
    process.exit(1);
  }
}

// --- package.json ---------------------------------------------------------------------------------------------

/** `exports` as published: the same subpaths and conditions, without the workspace-only source condition. */
function publishedExports(exports) {
  if (typeof exports === 'string' || exports === null || typeof exports !== 'object') return exports;
  if (Array.isArray(exports)) return exports.map(publishedExports);
  return Object.fromEntries(
    Object.entries(exports)
      .filter(([key]) => key !== SOURCE_CONDITION)
      .map(([key, value]) => [key, publishedExports(value)]),
  );
}

function sameJson(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function checkManifest({ name, folder, manifest }) {
  const where = `packages/${folder}/package.json`;
  if (name !== `@baton/${folder}`) report(name ?? folder, `${where}: name should be @baton/${folder}`);
  if (manifest.private) report(name, `${where}: "private": true keeps it from being published`);
  if (typeof manifest.version !== 'string' || !/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(manifest.version))
    report(name, `${where}: "version" is missing or not semver`);
  if (manifest.type !== 'module') report(name, `${where}: "type" should be "module" (the build emits ESM)`);
  if (manifest.engines?.node !== ENGINES_NODE)
    report(name, `${where}: "engines.node" should be "${ENGINES_NODE}"`);
  const files = manifest.files;
  if (!Array.isArray(files) || FILES.some((entry) => !files.includes(entry)))
    report(name, `${where}: "files" should list ${FILES.join(', ')}`);
  else {
    for (const entry of files)
      if (/^(\.\/)?(src|tests?)(\/|$)|\.test\./.test(entry))
        report(name, `${where}: "files" ships "${entry}"`);
  }
  const exports = manifest.exports;
  if (!exports || typeof exports !== 'object') {
    report(name, `${where}: no "exports" map`);
    return;
  }
  for (const [subpath, target] of Object.entries(exports)) {
    if (typeof target === 'string' && !/^\.\/(src|tests?)\//.test(target)) continue; // e.g. "./package.json"
    if (typeof target !== 'object' || target === null) {
      report(name, `${where}: exports["${subpath}"] should be { "${SOURCE_CONDITION}", types, default }`);
      continue;
    }
    const keys = Object.keys(target);
    if (keys.includes(SOURCE_CONDITION) && keys[0] !== SOURCE_CONDITION)
      report(name, `${where}: exports["${subpath}"]: "${SOURCE_CONDITION}" must come first`);
    if (!/^\.\/dist\/.+\.d\.ts$/.test(target.types ?? ''))
      report(name, `${where}: exports["${subpath}"].types should point into ./dist/ (.d.ts)`);
    if (!/^\.\/dist\/.+\.js$/.test(target.default ?? ''))
      report(name, `${where}: exports["${subpath}"].default should point into ./dist/ (.js)`);
  }
  if (!sameJson(manifest.publishConfig?.exports, publishedExports(exports)))
    report(name, `${where}: "publishConfig.exports" should be "exports" without "${SOURCE_CONDITION}"`);
}

/** Rewrites only the fields this check owns, on a fresh read of the file; keeps every other key and its order. */
function fixManifest(dir) {
  const path = join(dir, 'package.json');
  const before = readFileSync(path, 'utf8');
  const manifest = JSON.parse(before);
  const entries = Object.entries(manifest).filter(([key]) => key !== 'private');
  const set = (key, value, after) => {
    const at = entries.findIndex(([k]) => k === key);
    if (at >= 0) entries[at] = [key, value];
    else {
      const anchor = entries.findIndex(([k]) => k === after);
      entries.splice(anchor >= 0 ? anchor + 1 : entries.length, 0, [key, value]);
    }
  };
  const files = Array.isArray(manifest.files) ? manifest.files : [];
  set('files', [...FILES, ...files.filter((entry) => !FILES.includes(entry))], 'exports');
  if (manifest.exports && typeof manifest.exports === 'object')
    set('publishConfig', { ...manifest.publishConfig, exports: publishedExports(manifest.exports) }, 'files');
  set('engines', { ...manifest.engines, node: ENGINES_NODE }, 'scripts');
  const after = `${JSON.stringify(Object.fromEntries(entries), null, 2)}\n`;
  if (after !== before) {
    writeFileSync(path, after);
    console.log(`fixed ${relative(ROOT, path)}`);
  }
}

// --- the tarball ----------------------------------------------------------------------------------------------

function walk(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? walk(path, base) : [relative(base, path).split('\\').join('/')];
  });
}

function isTest(path) {
  return /(^|\/)(__tests__|tests?)\/|\.(test|spec|bench)\.[cm]?ts$/.test(path);
}

async function checkTarball(pkg, tarballPath) {
  const { name } = pkg;
  const files = readTarball(tarballPath);
  const inTarball = `${name} tarball`;
  const pkgJsonText = files.get('package.json');
  if (!pkgJsonText) {
    report(name, `${inTarball}: no package.json`);
    return;
  }
  const published = JSON.parse(pkgJsonText.toString('utf8'));

  if (published.private) report(name, `${inTarball}: package.json is private`);
  if (JSON.stringify(published.exports ?? null).includes(SOURCE_CONDITION))
    report(
      name,
      `${inTarball}: exports still name "${SOURCE_CONDITION}" (publishConfig.exports not applied)`,
    );
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const [dep, range] of Object.entries(published[field] ?? {}))
      if (/^(workspace|link|file|catalog):/.test(range))
        report(name, `${inTarball}: ${field}.${dep} is "${range}"`);
  }

  const readme = files.get('README.md')?.toString('utf8');
  if (!readme) report(name, `${inTarball}: no README.md`);
  else {
    const blocks = [...readme.matchAll(/```(?:ts|typescript|js|javascript|mjs)\n([\s\S]*?)```/g)].map(
      (m) => m[1],
    );
    const importsItself = new RegExp(`from ['"]${name.replace(/[/]/g, '\\/')}(\\/[^'"]*)?['"]`);
    if (!blocks.some((block) => importsItself.test(block)))
      report(name, `${inTarball}: README.md has no usage example (a ts/js code block importing ${name})`);
  }

  for (const path of files.keys()) {
    // Not under templates/ or the like: a project template may hold tests of its own.
    if (/^(src|tests?|__tests__)\//.test(path) || (path.startsWith('dist/') && isTest(path)))
      report(name, `${inTarball}: ships ${path}`);
    else if (path.endsWith('.map'))
      report(name, `${inTarball}: ships ${path} (a source map into src/, not shipped)`);
  }

  if (![...files.keys()].some((path) => path.startsWith('dist/'))) {
    report(name, `${inTarball}: no dist/ (not built: run \`pnpm build\`, or this script with --build)`);
    return;
  }
  const sources = walk(join(pkg.dir, 'src')).filter((path) => !isTest(path));
  const modules = new Set();
  for (const source of sources) {
    if (/\.d\.[cm]?ts$/.test(source)) continue;
    const match = /^(.*)\.([cm]?)tsx?$/.exec(source);
    if (match) {
      const js = `dist/${match[1]}.${match[2]}js`;
      const dts = `dist/${match[1]}.d.${match[2]}ts`;
      modules.add(js);
      for (const out of [js, dts])
        if (!files.has(out)) report(name, `${inTarball}: no ${out} (from src/${source})`);
    } else if (!files.has(`dist/${source}`)) {
      report(
        name,
        `${inTarball}: src/${source} is not copied to dist/ (a file the package reads at run time?)`,
      );
    }
  }
  for (const path of files.keys()) {
    if (/^dist\/.*\.[cm]?js$/.test(path) && !modules.has(path))
      report(name, `${inTarball}: ${path} has no source in src/ (a stale build: rebuild the package)`);
  }

  const buffer = readFileSync(tarballPath);
  const tarball = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  const { messages } = await publint({ pack: { tarball }, level: 'suggestion', strict: true });
  for (const message of messages)
    report(name, `publint ${message.type}: ${stripAnsi(formatMessage(message, published) ?? message.code)}`);
}

function stripAnsi(text) {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}

// --- dependencies (knip) --------------------------------------------------------------------------------------

function checkDependencies(packages) {
  const result = spawnSync(
    'knip',
    [
      '--production',
      '--strict',
      '--include',
      'dependencies,unlisted,unresolved,binaries',
      '--reporter',
      'json',
      '--no-progress',
      '--no-config-hints',
    ],
    { cwd: ROOT, env: TOOL_ENV, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  let parsed;
  try {
    parsed = JSON.parse(result.stdout);
  } catch {
    report('knip', `did not run (exit ${result.status}): ${result.stderr || result.stdout || result.error}`);
    return;
  }
  const byFolder = new Map(packages.map((pkg) => [pkg.folder, pkg]));
  for (const issue of parsed.issues ?? []) {
    const folder = /^packages\/([^/]+)\//.exec(issue.file)?.[1];
    const pkg = folder && byFolder.get(folder);
    if (!pkg) continue; // apps/* and infra are private and not checked here
    const peers = pkg.manifest.peerDependencies ?? {};
    for (const dep of issue.dependencies ?? [])
      report(pkg.name, `unused dependency ${dep.name} (${issue.file}:${dep.line})`);
    for (const dep of issue.optionalPeerDependencies ?? [])
      report(pkg.name, `unused optional peer dependency ${dep.name} (${issue.file}:${dep.line})`);
    for (const dep of issue.unlisted ?? []) {
      // knip counts only required peers; an optional peer is how an opt-in entry declares what it imports.
      if (dep.name in peers) continue;
      report(pkg.name, `${dep.name} is imported (${issue.file}:${dep.line}) but not in dependencies`);
    }
    for (const dep of issue.unresolved ?? [])
      report(pkg.name, `unresolved import ${dep.name} (${issue.file}:${dep.line})`);
    for (const dep of issue.binaries ?? []) report(pkg.name, `unlisted binary ${dep.name} (${issue.file})`);
  }
}
