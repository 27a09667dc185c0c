/**
 * A mistake the user can fix (a missing file, a bad flag value, a refused overwrite): `baton` prints its message
 * alone, no stack, and exits with `exitCode`. Anything else is a bug and is printed with its stack.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(
    message: string,
    /** 1: the command failed; 2: it was called wrongly (Baton's CLI convention). */
    readonly exitCode: 1 | 2 = 1,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
