#!/usr/bin/env node
// The `baton` command (installed: `npx baton …`).
import { runCli } from './cli.js';

const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
});
// Ends what a stopped service may leave behind (keep-alive sockets, timers) once the output is flushed.
process.stdout.write('', () => process.exit(code));
