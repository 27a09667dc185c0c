import { defineProject } from 'vitest/config';

/**
 * One project per package. Workspace packages resolve to their TypeScript sources through the
 * `@baton/source` export condition, so tests never need a build first.
 */
export function packageProject(
  name: string,
  options: { integrationTimeoutMs?: number; include?: string[] } = {},
) {
  // Not 'module': it would hand Node the AWS SDK's extension-less dist-es files, which Node cannot load.
  const conditions = ['@baton/source', 'node', 'development|production'];
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions } },
    test: {
      name,
      include: options.include ?? ['tests/**/*.test.ts'],
      environment: 'node',
      // The AWS SDK's notice that its 2027 releases need Node 22, printed by every test process that makes a
      // client on Node 20: about this machine, not about Baton (startService turns it off in functions too).
      env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      testTimeout: options.integrationTimeoutMs ?? 20_000,
      // A project whose tests start stacks or synthesize apps starts them in hooks too: the same allowance.
      hookTimeout: Math.max(60_000, options.integrationTimeoutMs ?? 0),
    },
  });
}
