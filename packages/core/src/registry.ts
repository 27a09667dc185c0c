import * as z from 'zod';
import { UnknownOperation, ValidationError, type ValidationIssue } from './errors.js';
import type { Json } from './job.js';
import type { AnyOperation, ExecutionPolicy } from './operation.js';

type OperationsByName<Ops extends readonly AnyOperation[]> = { [Op in Ops[number] as Op['name']]: Op };

/** What `GET /operations` shows: enough for a client to build a valid request without reading code. */
export interface OperationDescription {
  readonly name: string;
  readonly version: number;
  readonly description: string;
  readonly policy: ExecutionPolicy;
  readonly inputSchema: Record<string, unknown>;
  readonly outputSchema: Record<string, unknown>;
}

/** What the use cases need of a registry, whatever operations it holds. */
export interface Registry {
  readonly names: readonly string[];
  /** The operation, or UnknownOperation. */
  get(name: string): AnyOperation;
  /** Validates an input against the operation's schema; ValidationError names every failing path. */
  parseInput(name: string, input: unknown): { operation: AnyOperation; input: Json };
  describe(): readonly OperationDescription[];
}

/** A registry that keeps each operation's type, so that clients can infer inputs and outputs from it. */
export interface TypedRegistry<Ops extends Record<string, AnyOperation>> extends Registry {
  readonly operations: Ops;
}

type AnyTypedRegistry = TypedRegistry<Record<string, AnyOperation>>;

/** The input type a client sends for operation `N` of registry `R`. */
export type InputOf<R extends AnyTypedRegistry, N extends keyof R['operations']> = z.input<
  R['operations'][N]['input']
>;
/** The result type a client receives for operation `N` of registry `R`. */
export type OutputOf<R extends AnyTypedRegistry, N extends keyof R['operations']> = z.output<
  R['operations'][N]['output']
>;
export type OperationNameOf<R extends AnyTypedRegistry> = keyof R['operations'] & string;

/** Converts zod issues into the domain's path-addressed issues, prefixed (e.g. with `input`). */
export function toValidationIssues(error: z.ZodError, prefix: readonly (string | number)[] = []) {
  return error.issues.map(
    (issue: z.core.$ZodIssue): ValidationIssue => ({
      path: [
        ...prefix,
        ...issue.path.map((segment: PropertyKey) =>
          typeof segment === 'symbol' ? String(segment) : segment,
        ),
      ],
      message: issue.message,
      code: issue.code,
    }),
  );
}

export function defineRegistry<const Ops extends readonly AnyOperation[]>(
  operations: Ops,
): TypedRegistry<OperationsByName<Ops>> {
  const byName = new Map<string, AnyOperation>();
  for (const operation of operations) {
    if (byName.has(operation.name)) throw new TypeError(`Operation '${operation.name}' is registered twice.`);
    byName.set(operation.name, operation);
  }
  const names = [...byName.keys()];
  let descriptions: readonly OperationDescription[] | undefined;

  const get = (name: string): AnyOperation => {
    const operation = byName.get(name);
    if (!operation) throw new UnknownOperation(name, names);
    return operation;
  };

  return {
    operations: Object.fromEntries(byName) as OperationsByName<Ops>,
    names,
    get,
    parseInput(name, input) {
      const operation = get(name);
      const parsed = operation.input.safeParse(input);
      if (!parsed.success) {
        throw new ValidationError(
          `The input does not match operation '${name}'.`,
          toValidationIssues(parsed.error, ['input']),
        );
      }
      return { operation, input: parsed.data as Json };
    },
    describe() {
      // JSON Schema generation walks every schema: do it once, on first use, not at cold start.
      descriptions ??= operations.map((operation) => ({
        name: operation.name,
        version: operation.version,
        description: operation.description,
        policy: operation.policy,
        inputSchema: z.toJSONSchema(operation.input, { io: 'input', unrepresentable: 'any' }),
        outputSchema: z.toJSONSchema(operation.output, { io: 'output', unrepresentable: 'any' }),
      }));
      return descriptions;
    },
  };
}
