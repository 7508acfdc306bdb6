/**
 * The real OpenSSH client and rsync, logged in as a laptop, for commands no
 * ds-backup would send: the escape attempts.
 */
import { openSshSession, type Laptop, type SshSettings } from 'sugaroid';
import type { CommandResult } from '../../harness/index.js';
import { runTool } from './run-tool.js';

/** `ssh <laptop's ds-backup options> [extra] 127.0.0.1 [command]`. */
export async function sshAs(laptop: Laptop, settings: SshSettings, extra: readonly string[], command?: string): Promise<CommandResult> {
  const session = await openSshSession(laptop.identity, settings);
  try {
    const [program, ...args] = session.args;
    return await runTool(program!, [...args, ...extra, '127.0.0.1', ...(command === undefined ? [] : [command])]);
  } finally {
    await session.close();
  }
}

/** `rsync <args> -e <the laptop's ssh>`; `{}` in args is replaced by `127.0.0.1`. */
export async function rsyncAs(laptop: Laptop, settings: SshSettings, args: readonly string[]): Promise<CommandResult> {
  const session = await openSshSession(laptop.identity, settings);
  try {
    return await runTool('rsync', ['-e', session.command, ...args.map((arg) => arg.replace('{}', '127.0.0.1'))]);
  } finally {
    await session.close();
  }
}
