// Packs every toolkit package (packages/*) into tarballs, as `pnpm publish` would upload them.
//
//   node scripts/pack-packages.mjs <outDir> [--json] [--no-build]
//
// Builds first (`turbo run build` on packages/*, cached, so only what changed is rebuilt) unless --no-build,
// then runs one `pnpm pack` over all of them: pnpm swaps in `publishConfig.exports` and rewrites `workspace:*`
// ranges to the versions. Prints one tarball path a line, or with --json an array of
// { name, version, dir, tarball, files } on stdout (build output goes to stderr).
// The package list is discovered, never written down: every folder of packages/ with a package.json.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'node_modules', '.bin');

/** The environment for the workspace's own tools (pnpm, turbo, knip), found even when run with plain `node`. */
export const TOOL_ENV = { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` };

/** Every packages/* folder with a package.json, sorted by folder name. */
export function listPackages() {
  const base = join(ROOT, 'packages');
  return readdirSync(base, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(join(base, entry.name, 'package.json')))
    .map((entry) => entry.name)
    .sort()
    .map((folder) => {
      const dir = join(base, folder);
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return { folder, dir, name: manifest.name, manifest };
    });
}

/** Runs `turbo run build` on every packages/* package (and what they depend on); output to stderr. */
export function buildPackages() {
  const result = spawnSync('turbo', ['run', 'build', '--filter=./packages/*', '--output-logs=errors-only'], {
    cwd: ROOT,
    env: TOOL_ENV,
    stdio: ['ignore', process.stderr, process.stderr],
  });
  if (result.status !== 0) throw new Error(`turbo run build failed (exit ${result.status ?? result.error})`);
}

/** Packs every packages/* package into outDir; returns { name, version, dir, tarball, files } per package. */
export function packPackages(outDir) {
  const destination = resolve(outDir);
  mkdirSync(destination, { recursive: true });
  const result = spawnSync(
    'pnpm',
    ['--recursive', '--filter=./packages/*', 'pack', '--pack-destination', destination, '--json'],
    {
      cwd: ROOT,
      env: TOOL_ENV,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  let packed;
  try {
    packed = JSON.parse(result.stdout);
  } catch {
    packed = undefined;
  }
  if (result.status !== 0 || !packed || packed.error) {
    const reason = packed?.error?.message ?? (result.stderr || result.stdout || String(result.error)).trim();
    throw new Error(`pnpm pack failed (exit ${result.status}): ${reason}`);
  }
  const byName = new Map(listPackages().map((pkg) => [pkg.name, pkg.dir]));
  return (Array.isArray(packed) ? packed : [packed])
    .map((entry) => ({
      name: entry.name,
      version: entry.version,
      dir: byName.get(entry.name),
      tarball: resolve(destination, entry.filename),
      files: entry.files.map((file) => file.path),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The files of a .tgz as a Map of path (without the leading `package/`) to Buffer. Plain ustar + pax. */
export function readTarball(tarballPath) {
  const data = gunzipSync(readFileSync(tarballPath));
  const files = new Map();
  const text = (start, length) => data.toString('utf8', start, start + length).replace(/\0.*$/s, '');
  let paxPath;
  for (let offset = 0; offset + 512 <= data.length; ) {
    if (data[offset] === 0) break;
    const size = Number.parseInt(text(offset + 124, 12).trim() || '0', 8);
    const type = String.fromCharCode(data[offset + 156] || 48);
    const prefix = text(offset + 345, 155);
    const name = prefix ? `${prefix}/${text(offset, 100)}` : text(offset, 100);
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      paxPath = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1];
      continue;
    }
    if (type === '0' || type === '\0')
      files.set((paxPath ?? name).replace(/^[^/]+\//, ''), Buffer.from(body));
    paxPath = undefined;
  }
  return files;
}

function main(argv) {
  const flags = new Set(argv.filter((arg) => arg.startsWith('--')));
  const [outDir, ...rest] = argv.filter((arg) => !arg.startsWith('--'));
  const unknown = [...flags].filter((flag) => flag !== '--json' && flag !== '--no-build');
  if (!outDir || rest.length > 0 || unknown.length > 0) {
    console.error('usage: node scripts/pack-packages.mjs <outDir> [--json] [--no-build]');
    process.exit(2);
  }
  let packed;
  try {
    if (!flags.has('--no-build')) buildPackages();
    packed = packPackages(outDir);
  } catch (error) {
    console.error(`pack-packages: ${error.message}`);
    process.exit(1);
  }
  if (flags.has('--json')) console.log(JSON.stringify(packed, null, 2));
  else for (const pkg of packed) console.log(pkg.tarball);
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  main(process.argv.slice(2));
}
