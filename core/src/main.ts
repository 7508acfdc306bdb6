#!/usr/bin/env node
/** Process entry for `sugar-server`: run the CLI, map errors to exit codes. */
import { runCli } from './cli.js';

runCli(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`sugar-server: ${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = 1;
  },
);
