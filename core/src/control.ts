/** The daemon's pid file, and how the CLI finds and signals a running daemon. */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ServerErrors } from './errors.js';
import { pidFile, type Paths } from './paths.js';

export async function writePidFile(paths: Paths): Promise<void> {
  await mkdir(dirname(pidFile(paths)), { recursive: true });
  await writeFile(pidFile(paths), `${process.pid}\n`);
}

export async function removePidFile(paths: Paths): Promise<void> {
  if ((await readPid(paths)) === process.pid) await unlink(pidFile(paths)).catch(() => {});
}

/** The running daemon's pid, or null when none runs for these paths. */
export async function readPid(paths: Paths): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(pidFile(paths), 'utf8'), 10);
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    process.kill(pid, 0);
    return pid;
  } catch {
    return null;
  }
}

/** GET `path` from the daemon at `base` and parse its JSON. */
export async function getJson<T>(base: string, path: string, timeoutMs = 5000): Promise<T> {
  let response: Response;
  try {
    response = await fetch(new URL(path, base), { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw ServerErrors.NOT_RUNNING(base, (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message);
  }
  if (!response.ok) throw ServerErrors.NOT_RUNNING(base, `HTTP ${response.status}`);
  return (await response.json()) as T;
}
