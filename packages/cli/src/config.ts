import { existsSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { dirname, join, parse, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineService, type ServiceDefinition } from '@baton/service';
import { build } from 'esbuild';
import { UserError } from './errors.js';

/** The names a service definition file may have, in the order they are looked for. */
export const CONFIG_NAMES = [
  'baton.config.ts',
  'baton.config.mts',
  'baton.config.js',
  'baton.config.mjs',
] as const;

/**
 * The service definition file: `explicit` (relative to `cwd`) when given, else the first of CONFIG_NAMES in
 * `cwd` or the nearest folder above it that has one. Throws a UserError saying where it looked.
 */
export function findConfig(cwd: string, explicit?: string): string {
  if (explicit !== undefined) {
    const file = resolve(cwd, explicit);
    if (!statSync(file, { throwIfNoEntry: false })?.isFile()) {
      throw new UserError(`--config ${explicit}: there is no such file (looked for ${file}).`);
    }
    return file;
  }
  const start = resolve(cwd);
  for (let dir = start; ; dir = dirname(dir)) {
    for (const name of CONFIG_NAMES) {
      const file = join(dir, name);
      if (existsSync(file)) return file;
    }
    if (dir === parse(dir).root) break;
  }
  throw new UserError(
    `No service definition here: none of ${CONFIG_NAMES.join(', ')} is in ${start} or a folder above it. ` +
      'Run `baton init <dir>` to start a project, or pass --config <file>.',
  );
}

/**
 * Loads a service definition file: its default export, or else its `service` export, checked (and its defaults
 * filled in) by defineService.
 *
 * Node 20 cannot import TypeScript, so the file is bundled first with esbuild — its own relative imports
 * inlined, packages left as imports — into a temporary `.mjs` inside the project's `.baton/` folder: from there
 * `@baton/service` and the rest resolve through the project's own node_modules, as they would for the file.
 */
export async function loadDefinition(file: string): Promise<ServiceDefinition> {
  const module = await importTypeScript(file, dirname(file), 'config');
  const exported = module.default ?? module.service;
  if (typeof exported !== 'object' || exported === null) {
    throw new UserError(
      `${file} exports no service: export the result of defineService({ … }) as its default export (or as \`service\`).`,
    );
  }
  try {
    // Idempotent on a defined service; checks (and completes) one written as a plain object.
    return defineService(exported as Parameters<typeof defineService>[0]);
  } catch (error) {
    throw new UserError(`${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A TypeScript module of the project, imported. Node 20 cannot import TypeScript, so the file is bundled first
 * with esbuild — its own relative imports inlined, packages left as imports — into a temporary `.mjs` inside the
 * project's `.baton/` folder: from there its packages resolve through the project's own node_modules, as they
 * would for the file. A compile or load error is a UserError naming the file.
 */
export async function importTypeScript(
  file: string,
  projectDir: string,
  name: string,
): Promise<Record<string, unknown>> {
  const outDir = join(projectDir, '.baton');
  await mkdir(outDir, { recursive: true });
  const outfile = join(outDir, `${name}.${process.pid}.${Date.now().toString(36)}.mjs`);
  try {
    try {
      await build({
        entryPoints: [file],
        outfile,
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
        absWorkingDir: projectDir,
      });
    } catch (error) {
      const details =
        (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors
          ?.map((e) => (e.location ? `  ${e.location.file}:${e.location.line}: ${e.text}` : `  ${e.text}`))
          .join('\n') ?? String(error);
      throw new UserError(`${file} could not be compiled:\n${details}`);
    }
    try {
      return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
    } catch (error) {
      throw new UserError(
        `${file} failed to load: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  } finally {
    await rm(outfile, { force: true });
  }
}
