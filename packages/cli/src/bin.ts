#!/usr/bin/env node
// The `baton` command (installed: `npx baton …`).
import { runCli } from './cli.js';

// The AWS SDK this command uses is pinned by this package, whatever Node runs it: its notice that future SDK
// releases need a newer Node says nothing about this tool, and would land in the middle of a command's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
});
// Ends what a stopped service may leave behind (keep-alive sockets, timers) once the output is flushed.
process.stdout.write('', () => process.exit(code));
