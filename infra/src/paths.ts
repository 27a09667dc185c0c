import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Where things are in the workspace. The example's handler entries are relative to its folder (`baton dev`
 * resolves them against the same folder); BatonService finds the workspace's lock file above it and bundles from
 * the repository root.
 */
export const repositoryRoot = fileURLToPath(new URL('../../', import.meta.url));
export const exampleAppDir = resolve(repositoryRoot, 'apps/example');
