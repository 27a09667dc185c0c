#!/usr/bin/env node
// The `baton` command. Installed, it runs the built CLI (dist/). In Baton's own workspace, where the TypeScript
// sources sit beside this file, it runs them directly — no build step: tsx compiles them as they load, and
// workspace packages resolve to their sources (the `@baton/source` export condition), as in the tests.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const source = new URL('../src/bin.ts', import.meta.url);
if (existsSync(source)) {
  register(
    'data:text/javascript,export function resolve(specifier, context, next) {' +
      ' return next(specifier, { ...context, conditions: [...context.conditions, "@baton/source"] }); }',
  );
  const { register: registerTsx } = await import('tsx/esm/api');
  registerTsx();
  await import(source.href);
} else {
  await import('../dist/bin.js');
}
