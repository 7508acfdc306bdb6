import { DAEMON_MAIN } from './paths.js';
import { runCommand } from './run.js';

/** A store's document as an admin reads it: `sugar-server store dump`, with the daemon stopped. */
export async function storedDocument<T>(root: string, service: string): Promise<T> {
  const dump = await runCommand(process.execPath, [DAEMON_MAIN, 'store', 'dump', service, '--root', root], { timeoutMs: 60_000 });
  if (dump.code !== 0) throw new Error(`store dump ${service} exited ${dump.code}: ${dump.stderr}`);
  return JSON.parse(dump.stdout) as T;
}
