import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from './errors.js';

/** The starting project's files, as shipped with this package (`{{name}}` stands for the service's name). */
export const TEMPLATES_DIR = fileURLToPath(new URL('../templates/', import.meta.url));

/** Template files whose shipped name differs from the written one (npm leaves `.gitignore` out of packages). */
const RENAMED: Readonly<Record<string, string>> = { gitignore: '.gitignore' };

/** A service name, as @baton/service's defineService accepts it: it prefixes every resource name. */
const SERVICE_NAME = /^[a-z][a-z0-9-]*[a-z0-9]$/;
const MAX_SERVICE_NAME = 42;

/**
 * What the project needs, besides the @baton/* packages (which follow this CLI's own version): the versions Baton
 * itself is built and tested with (a test keeps them equal to the workspace's).
 */
export const THIRD_PARTY_VERSIONS = {
  dependencies: {
    zod: '4.6.7',
    'aws-cdk-lib': '2.276.0',
    constructs: '10.8.1',
    'cdk-nag': '3.0.2',
  },
  devDependencies: {
    // The CDK CLI (`npx cdk synth|deploy`); its releases are numbered apart from aws-cdk-lib's.
    'aws-cdk': '2.1148.1',
    // NodejsFunction bundles the handlers with the project's own esbuild (and pnpm needs it listed).
    esbuild: '0.28.2',
    tsx: '4.23.15',
    typescript: '7.0.2',
    vitest: '4.1.12',
    '@types/node': '^20.19.43',
  },
} as const;

/** The @baton/* packages the starting project imports, and where each goes. */
const BATON_PACKAGES = {
  dependencies: [
    '@baton/api-gateway',
    '@baton/cdk',
    '@baton/core',
    '@baton/direct-invoke',
    '@baton/function-url',
    '@baton/handlers',
    '@baton/self-invoke',
    '@baton/service',
  ],
  devDependencies: ['@baton/cli'],
} as const;

export const SCRIPTS = { dev: 'baton dev', synth: 'cdk synth', test: 'vitest run' } as const;
const NPM_PLACEHOLDER_TEST = /^echo "Error: no test specified" && exit 1$/;

export interface InitOptions {
  /** The service's name (lower-case letters, digits, hyphens); default: from the folder's name. */
  readonly name?: string | undefined;
}

export interface InitResult {
  readonly dir: string;
  readonly name: string;
  /** Written files, relative to `dir`, in order. */
  readonly written: string[];
  /** package.json: created, or merged (with what was added, and what was kept as it was). */
  readonly packageJson: { readonly created: boolean; readonly added: string[]; readonly kept: string[] };
}

/** This package's version: the @baton/* packages a new project depends on are `^` it. */
export function cliVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/** The name a folder suggests: `My Service_2` → `my-service-2`. */
export function nameFromFolder(dir: string): string {
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, MAX_SERVICE_NAME)
    .replace(/-+$/, '');
  return SERVICE_NAME.test(name) ? name : 'my-service';
}

/**
 * `baton init <dir>`: writes a starting project into `dir` (created if missing) — the service definition, one
 * operation and its registry, the handler of each door, the CDK app, a test, a README — and creates or merges
 * package.json. It never overwrites: if any file it would write exists, it writes nothing and says which.
 * Needs no network (the files ship with this package); `npm install` afterwards fetches the dependencies.
 */
export async function init(dirArgument: string, options: InitOptions, cwd: string): Promise<InitResult> {
  const dir = resolve(cwd, dirArgument);
  const name = options.name ?? nameFromFolder(dir);
  if (!SERVICE_NAME.test(name) || name.length > MAX_SERVICE_NAME) {
    throw new UserError(
      `--name ${name}: a service name is ${MAX_SERVICE_NAME} or fewer lower-case letters, digits and hyphens, starting with a letter (it starts every resource name).`,
      2,
    );
  }
  if (existsSync(dir) && !(await isDirectory(dir))) throw new UserError(`${dir} exists and is not a folder.`);

  const templates = await listFiles(TEMPLATES_DIR);
  const files = templates
    .map((template) => ({ template, target: targetName(template) }))
    .sort((a, b) => (a.target < b.target ? -1 : 1));
  const clashes = files.filter(({ target }) => existsSync(join(dir, target))).map(({ target }) => target);
  if (clashes.length > 0) {
    throw new UserError(
      `${dir} already has ${clashes.join(', ')}: baton init writes nothing over existing files. Move them away, or pick another folder.`,
    );
  }
  const packageFile = join(dir, 'package.json');
  const existing = existsSync(packageFile) ? await readPackageJson(packageFile) : undefined;
  const merged = mergePackageJson(existing, name, cliVersion());

  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const { template, target } of files) {
    const text = await readFile(join(TEMPLATES_DIR, template), 'utf8');
    await mkdir(dirname(join(dir, target)), { recursive: true });
    // `wx`: a file that appeared since the check above is still never overwritten.
    await writeFile(join(dir, target), text.replaceAll('{{name}}', name), { flag: 'wx' });
    written.push(target);
  }
  await writeFile(packageFile, `${JSON.stringify(merged.manifest, null, 2)}\n`);
  return {
    dir,
    name,
    written,
    packageJson: { created: existing === undefined, added: merged.added, kept: merged.kept },
  };
}

type Manifest = Record<string, unknown> & {
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};

/**
 * package.json with what the project needs added — scripts, `"type": "module"`, dependencies — and everything
 * already there kept as it is: a script of the same name, a dependency already listed (in either section, e.g.
 * a `file:` tarball) or another `type` is never replaced. Returns what was added and what was kept.
 */
export function mergePackageJson(
  existing: Manifest | undefined,
  name: string,
  version: string,
): { manifest: Manifest; added: string[]; kept: string[] } {
  const manifest: Manifest = existing
    ? structuredClone(existing)
    : { name, version: '0.1.0', private: true, type: 'module' };
  const added: string[] = [];
  const kept: string[] = [];
  if (manifest.type === undefined) {
    manifest.type = 'module';
    added.push('"type": "module"');
  } else if (manifest.type !== 'module') {
    kept.push(
      `"type": ${JSON.stringify(manifest.type)} (Baton's files are ES modules: set "type": "module")`,
    );
  }
  manifest.scripts = { ...manifest.scripts };
  for (const [script, command] of Object.entries(SCRIPTS)) {
    const current = manifest.scripts[script];
    // `npm init -y` writes a test script that only fails: a placeholder, not a choice to keep.
    if (current === undefined || NPM_PLACEHOLDER_TEST.test(current)) {
      manifest.scripts[script] = command;
      added.push(`scripts.${script}`);
    } else if (current !== command) {
      kept.push(`scripts.${script} ("${current}"; Baton's would be "${command}")`);
    }
  }
  const listed = (pkg: string) => manifest.dependencies?.[pkg] ?? manifest.devDependencies?.[pkg];
  for (const section of ['dependencies', 'devDependencies'] as const) {
    const wanted: Record<string, string> = {
      ...Object.fromEntries(BATON_PACKAGES[section].map((pkg) => [pkg, `^${version}`])),
      ...THIRD_PARTY_VERSIONS[section],
    };
    for (const [pkg, range] of Object.entries(wanted)) {
      if (listed(pkg) !== undefined) continue;
      manifest[section] = { ...manifest[section], [pkg]: range };
      added.push(`${section}.${pkg}`);
    }
    if (manifest[section]) manifest[section] = sortedKeys(manifest[section]);
  }
  return { manifest, added, kept };
}

const sortedKeys = (record: Record<string, string>) =>
  Object.fromEntries(Object.entries(record).sort(([a], [b]) => a.localeCompare(b)));

async function readPackageJson(file: string): Promise<Manifest> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UserError(
      `${file} is not valid JSON (${(error as Error).message}): fix it, then run baton init again.`,
    );
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UserError(`${file} does not hold a JSON object.`);
  }
  return parsed as Manifest;
}

function targetName(template: string): string {
  const parts = template.split('/');
  const last = parts.pop() as string;
  return [...parts, RENAMED[last] ?? last].join('/');
}

/** Every file under `root`, as `/`-separated paths relative to it, sorted. */
async function listFiles(root: string, dir = root): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(root, path)));
    else if (entry.isFile()) files.push(relative(root, path).split(sep).join('/'));
  }
  return files.sort();
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path)).isDirectory();
}
