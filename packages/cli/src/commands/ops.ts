import type { OperationDescription } from '@baton/client';
import { shellQuote } from '../banner.js';
import { EXIT } from '../exit-codes.js';
import type { CliIo } from '../io.js';
import { sampleValue } from '../sample-input.js';
import { type CommonFlags, withClient } from './shared.js';

/** `baton ops`: the service's operations, their input fields and a `baton run` that works as printed. */
export async function opsCommand(flags: CommonFlags, io: CliIo): Promise<number> {
  return withClient(flags, io, async ({ client, mode }) => {
    const operations = await client.describeOperations();
    io.stdout.write(
      mode === 'json' ? `${JSON.stringify(operations, null, 2)}\n` : `${renderOperations(operations)}\n`,
    );
    return EXIT.ok;
  });
}

type Schema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: Schema;
  anyOf?: Schema[];
};

export function renderOperations(operations: readonly OperationDescription[]): string {
  if (operations.length === 0) return 'The service has no operations.';
  const blocks = operations.map((operation) => {
    const schema = operation.inputSchema as Schema;
    const lines = [`${operation.name}${operation.description ? ` — ${operation.description}` : ''}`];
    const fields = Object.entries(schema.properties ?? {});
    if (fields.length === 0) lines.push('  input: none');
    for (const [name, field] of fields) {
      const required = schema.required?.includes(name) ?? false;
      lines.push(`  ${name}${required ? '' : '?'}: ${describeField(field)}`);
    }
    lines.push(`  e.g. baton run ${operation.name}${exampleArgs(sampleValue(schema))}`);
    return lines.join('\n');
  });
  return blocks.join('\n\n');
}

function describeField(field: Schema): string {
  let text: string;
  if (Array.isArray(field.enum)) text = field.enum.map((value) => JSON.stringify(value)).join(' | ');
  else if (field.const !== undefined) text = JSON.stringify(field.const);
  else if (field.anyOf) text = field.anyOf.map(describeField).join(' | ');
  else if (field.type === 'array') text = `${field.items ? describeField(field.items) : 'any'}[]`;
  else text = (Array.isArray(field.type) ? field.type.join(' | ') : field.type) ?? 'any';
  const bounds: string[] = [];
  if (field.minimum !== undefined) bounds.push(`≥ ${field.minimum}`);
  if (field.maximum !== undefined) bounds.push(`≤ ${field.maximum}`);
  if (field.minLength !== undefined) bounds.push(`≥ ${field.minLength} chars`);
  if (field.maxLength !== undefined) bounds.push(`≤ ${field.maxLength} chars`);
  if (bounds.length > 0) text += ` (${bounds.join(', ')})`;
  if (field.default !== undefined) text += `, default ${JSON.stringify(field.default)}`;
  if (field.description) text += ` — ${field.description}`;
  return text;
}

/** An input as key=value arguments (a value that would read back as something else is given as JSON). */
function exampleArgs(input: unknown): string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return input === undefined ? '' : ` --input ${shellQuote(JSON.stringify(input))}`;
  }
  return Object.entries(input)
    .map(([key, value]) => {
      const text = typeof value === 'string' && !looksLikeJson(value) ? value : JSON.stringify(value);
      return ` ${/^[\w.,:/@+=-]+$/.test(`${key}=${text}`) ? `${key}=${text}` : shellQuote(`${key}=${text}`)}`;
    })
    .join('');
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
