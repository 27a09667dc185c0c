import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where things are in the workspace. Handler entries in the service definition are relative to the example
 * app's folder (the local stack resolves them against the same folder), and NodejsFunction bundles from the
 * repository root because the entries live outside this package.
 */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
export const exampleAppDir = resolve(repositoryRoot, 'apps/example');
export const lockFilePath = resolve(repositoryRoot, 'pnpm-lock.yaml');

/** A definition's `entry` as an absolute path: the same resolution the local Lambda service applies. */
export function entryPath(entry: string, appDir: string = exampleAppDir): string {
  return isAbsolute(entry) ? entry : resolve(appDir, entry);
}
