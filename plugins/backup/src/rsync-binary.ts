/** The rsync every transfer runs: checked once at start, so a missing one fails the plugin rather than every laptop. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { withCause } from 'sugar-server';
import { BackupErrors } from './errors.js';

const run = promisify(execFile);

/** `rsync --version`'s first line; throws BACKUP_ERR_NO_RSYNC. */
export async function rsyncVersion(path: string): Promise<string> {
  try {
    const { stdout } = await run(path, ['--version'], { timeout: 10_000, env: { PATH: '/usr/bin:/bin', LC_ALL: 'C' } });
    const first = stdout.split('\n')[0]!.trim();
    if (!first.startsWith('rsync')) throw new Error(`it printed "${first.slice(0, 80)}"`);
    return first;
  } catch (err) {
    throw withCause(BackupErrors.NO_RSYNC(path, (err as Error).message), err);
  }
}
