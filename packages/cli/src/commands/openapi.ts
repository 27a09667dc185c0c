import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { buildOpenApiDocument } from '@baton/http';
import { findConfig, importTypeScript, loadDefinition } from '../config.js';
import { UserError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';

export interface OpenApiFlags {
  readonly config?: string | undefined;
  readonly registry?: string | undefined;
  readonly out?: string | undefined;
  readonly check?: boolean | undefined;
}

/**
 * Where a service's operations are gathered when `--registry` does not say: the file `baton init` writes and
 * the README describes, beside the definition. A definition names its functions' handlers, not its registry.
 */
export const REGISTRY_MODULES = [
  'src/operations/index.ts',
  'src/operations/index.mts',
  'src/operations/index.js',
  'src/operations/index.mjs',
] as const;

export const DEFAULT_OPENAPI_OUT = 'docs/openapi.json';

/** What the command needs of a registry (@baton/core's `Registry` has it): its names and its descriptions. */
type Registry = Parameters<typeof buildOpenApiDocument>[0] & { readonly names: readonly string[] };

/**
 * `baton openapi`: the OpenAPI 3.1 document of the HTTP API every HTTP door of the service serves, built from
 * @baton/http's route table and the registry's schemas, written to `--out` (relative to the definition's folder).
 * With `--check` nothing is written: it exits 1 when the file's JSON differs from what would be written (its
 * formatting aside), so that a test or CI notices a schema or route changed without the document being
 * regenerated.
 */
export async function openApiCommand(flags: OpenApiFlags, io: CliIo): Promise<number> {
  const configFile = findConfig(io.cwd, flags.config);
  const projectDir = dirname(configFile);
  const definition = await loadDefinition(configFile);
  const registryFile = findRegistryModule(projectDir, io.cwd, flags.registry);
  const registry = await loadRegistry(registryFile, projectDir);
  const text = openApiText(registry, { title: definition.name, version: projectVersion(projectDir) });
  const out = resolve(projectDir, flags.out ?? DEFAULT_OPENAPI_OUT);
  const shown = relative(io.cwd, out) || out;
  if (flags.check) {
    const committed = await readFile(out, 'utf8').catch(() => undefined);
    if (committed !== undefined && sameDocument(committed, text)) {
      io.stdout.write(`${shown} is up to date.\n`);
      return EXIT.ok;
    }
    io.stderr.write(
      `${shown} ${committed === undefined ? 'is missing' : 'is out of date'}: an operation's schema or a route changed. ` +
        'Run `baton openapi` (in this repository: `pnpm openapi`) and commit the file.\n',
    );
    return 1;
  }
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, text);
  io.stdout.write(
    `Wrote ${shown}: ${registry.names.length} operation(s), from ${relative(io.cwd, registryFile)}.\n`,
  );
  return EXIT.ok;
}

/**
 * Whether a committed document says what the generated one says: the same JSON, keys in the same order, however
 * it is formatted (a repository's formatter may rewrap it).
 */
function sameDocument(committed: string, generated: string): boolean {
  try {
    return JSON.stringify(JSON.parse(committed)) === JSON.stringify(JSON.parse(generated));
  } catch {
    return false;
  }
}

/** The document as written: two-space JSON and a final newline, the same bytes for the same registry. */
export function openApiText(
  registry: Pick<Registry, 'describe'>,
  info: { title: string; version: string },
): string {
  return `${JSON.stringify(buildOpenApiDocument(registry, info), null, 2)}\n`;
}

function findRegistryModule(projectDir: string, cwd: string, explicit: string | undefined): string {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!existsSync(file))
      throw new UserError(`--registry ${explicit}: there is no such file (looked for ${file}).`);
    return file;
  }
  const found = REGISTRY_MODULES.map((name) => join(projectDir, name)).find((file) => existsSync(file));
  if (found === undefined) {
    throw new UserError(
      `No registry: none of ${REGISTRY_MODULES.join(', ')} is in ${projectDir}. ` +
        'Pass --registry <file>: the module that exports the defineRegistry([...]) of your operations.',
    );
  }
  return found;
}

/** The project's version (its package.json beside the definition), as the document's version; else 0.0.0. */
function projectVersion(projectDir: string): string {
  try {
    const version = (
      JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8')) as { version?: unknown }
    ).version;
    return typeof version === 'string' && version !== '' ? version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const isRegistry = (value: unknown): value is Registry =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Registry).describe === 'function' &&
  Array.isArray((value as Registry).names);

/** The registry a module exports: its `registry` export, else its default export, else its one registry. */
async function loadRegistry(file: string, projectDir: string): Promise<Registry> {
  const module = await importTypeScript(file, projectDir, 'registry');
  const candidates = [module.registry, module.default, ...Object.values(module)].filter(isRegistry);
  const registry = candidates[0];
  if (registry === undefined) {
    throw new UserError(
      `${file} exports no registry: export the result of defineRegistry([...]) as \`registry\` (or as its default export).`,
    );
  }
  return registry;
}
