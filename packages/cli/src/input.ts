import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { UserError } from './errors.js';

export interface InputSources {
  /** `--input '<json>'` */
  readonly input?: string | undefined;
  /** `--input-file <file>` (`-`: standard input) */
  readonly inputFile?: string | undefined;
  /** `key=value …` */
  readonly pairs?: readonly string[] | undefined;
}

/**
 * The input of `baton run`: `--input` or `--input-file` (JSON), then `key=value` pairs set on top of it. A value
 * is JSON when it parses as JSON (`records=5` is a number, `tags=["a"]` an array) and a string otherwise
 * (`text=hi`); a dotted key nests (`filter.region=north`). No source at all is `{}`. Every mistake is a usage
 * error (exit 2) that names the argument.
 */
export async function readInput(
  sources: InputSources,
  cwd: string,
  readStdin: () => Promise<string>,
): Promise<unknown> {
  if (sources.input !== undefined && sources.inputFile !== undefined) {
    throw new UserError('--input and --input-file both give the input: use one of them.', 2);
  }
  let base: unknown;
  if (sources.input !== undefined) base = parseJson(sources.input, '--input');
  if (sources.inputFile !== undefined) {
    const file = sources.inputFile;
    let text: string;
    try {
      text = file === '-' ? await readStdin() : await readFile(resolve(cwd, file), 'utf8');
    } catch (error) {
      throw new UserError(
        `--input-file ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
        2,
      );
    }
    base = parseJson(text, `--input-file ${file}`);
  }
  const pairs = sources.pairs ?? [];
  if (pairs.length === 0) return base ?? {};
  if (base !== undefined && (typeof base !== 'object' || base === null || Array.isArray(base))) {
    throw new UserError(
      'key=value pairs add fields to an object, but the input given is not a JSON object.',
      2,
    );
  }
  return pairsToInput(pairs, (base as Record<string, unknown> | undefined) ?? {});
}

/** `key=value` pairs set on (a copy of) `base`; see readInput. */
export function pairsToInput(
  pairs: readonly string[],
  base: Record<string, unknown> = {},
): Record<string, unknown> {
  const input: Record<string, unknown> = structuredClone(base);
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) {
      throw new UserError(
        `${JSON.stringify(pair)} is not key=value: give the input as key=value pairs (text=hi records=5), or as JSON with --input.`,
        2,
      );
    }
    const key = pair.slice(0, at);
    const path = key.split('.');
    if (path.some((part) => part === ''))
      throw new UserError(`${JSON.stringify(key)}: an empty key part.`, 2);
    let node = input;
    for (const [index, part] of path.slice(0, -1).entries()) {
      const next = node[part];
      if (next === undefined) node[part] = {};
      else if (typeof next !== 'object' || next === null || Array.isArray(next)) {
        throw new UserError(
          `${key}: ${path.slice(0, index + 1).join('.')} is already set to ${JSON.stringify(next)}, not an object.`,
          2,
        );
      }
      node = node[part] as Record<string, unknown>;
    }
    node[path.at(-1) as string] = jsonOrString(pair.slice(at + 1));
  }
  return input;
}

/** A value as JSON when it parses as JSON, else the text itself. */
export function jsonOrString(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UserError(`${where} is not JSON: ${(error as Error).message}`, 2);
  }
}
