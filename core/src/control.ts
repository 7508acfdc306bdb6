/** The daemon's pid file, and how the CLI finds and signals a running daemon. */
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ServerErrors } from './errors.js';
import { pidExists } from './lock.js';
import { adminUrlFile, pidFile, urlFile, type Paths } from './paths.js';

/** Record this process as the running daemon, and where it listens. */
export async function writeRunFiles(paths: Paths, url: string, admin: { url: string; fingerprint: string | null } | null = null): Promise<void> {
  await mkdir(dirname(pidFile(paths)), { recursive: true });
  await writeFile(urlFile(paths), `${url}\n`);
  if (admin) await writeFile(adminUrlFile(paths), `${JSON.stringify(admin)}\n`);
  else await unlink(adminUrlFile(paths)).catch(() => {});
  await writeFile(pidFile(paths), `${process.pid}\n`);
}

export async function removeRunFiles(paths: Paths): Promise<void> {
  if ((await readPid(paths)) !== process.pid) return;
  await unlink(pidFile(paths)).catch(() => {});
  await unlink(urlFile(paths)).catch(() => {});
  await unlink(adminUrlFile(paths)).catch(() => {});
}

/** Where the running daemon's admin console answers, when one runs for these paths with the console on. */
export async function readRunningAdmin(paths: Paths): Promise<{ url: string; fingerprint: string | null } | null> {
  if ((await readPid(paths)) === null) return null;
  try {
    return JSON.parse(await readFile(adminUrlFile(paths), 'utf8')) as { url: string; fingerprint: string | null };
  } catch {
    return null;
  }
}

/** Where the running daemon listens, when one runs for these paths. */
export async function readRunningUrl(paths: Paths): Promise<string | null> {
  if ((await readPid(paths)) === null) return null;
  return (await readFile(urlFile(paths), 'utf8').catch(() => '')).trim() || null;
}

/** The running daemon's pid, or null when none runs for these paths. */
export async function readPid(paths: Paths): Promise<number | null> {
  try {
    const pid = Number.parseInt(await readFile(pidFile(paths), 'utf8'), 10);
    if (!Number.isSafeInteger(pid) || pid <= 0) return null;
    return pidExists(pid) ? pid : null;
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
