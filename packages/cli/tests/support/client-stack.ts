import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type RunningService, startService } from '@baton/local';
import { runCli } from '../../src/cli.js';
import { loadDefinition } from '../../src/config.js';

/** The example service of this repository: the real operations (`checksum`, `wait`, `report`) behind every door. */
export const EXAMPLE_DIR = fileURLToPath(new URL('../../../../apps/example/', import.meta.url));
export const TWO_DOORS_DIR = fileURLToPath(new URL('../fixtures/two-doors/', import.meta.url));

export interface LocalStack {
  readonly service: RunningService;
  /** A folder whose `.baton/endpoints.json` points at the service, as `baton dev` would leave it. */
  readonly projectDir: string;
  stop(): Promise<void>;
}

/**
 * A service's whole local stack started in this process (as `baton dev` starts it), and a project folder that
 * finds it: the commands are run there, in-process or as child processes.
 */
export async function startLocalStack(
  appDir: string,
  environment: Readonly<Record<string, string>> = {},
): Promise<LocalStack> {
  const definition = await loadDefinition(join(appDir, 'baton.config.ts'));
  const service = await startService(definition, { appDir, basePort: 0, logs: 'quiet', environment });
  const projectDir = await mkdtemp(join(tmpdir(), 'baton-cli-client-'));
  await writeEndpoints(projectDir, service.endpoints);
  return {
    service,
    projectDir,
    stop: async () => {
      await service.stop();
      await rm(projectDir, { recursive: true, force: true });
    },
  };
}

export async function writeEndpoints(projectDir: string, endpoints: object): Promise<void> {
  await mkdir(join(projectDir, '.baton'), { recursive: true });
  await writeFile(join(projectDir, '.baton', 'endpoints.json'), JSON.stringify(endpoints, null, 2));
}

/** `baton <args>` in this process, in `cwd`, capturing what it prints (no terminal: plain output). */
export async function baton(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    cwd,
    env,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr };
}
