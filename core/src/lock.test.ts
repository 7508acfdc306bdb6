import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirLock } from './lock.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
async function tempDir() {
  const dir = await mkdtemp(join(tmpdir(), 'sugar-lock-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const child of children.splice(0)) child.kill();
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** A live process that is not a sugar-server, as a reboot may hand an old lock's pid to. */
async function unrelatedProcess(): Promise<number> {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(child);
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  return child.pid!;
}

/** What a lock written by `pid` says about its owner: the boot and the process's start time. */
async function identityOf(pid: number): Promise<string> {
  const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim();
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  return `${boot} ${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}

const lockFile = (dir: string) => join(dir, 'sugar-server.lock');

describe('DataDirLock', () => {
  it('refuses a data folder it cannot write with SERVER_ERR_DATA_UNWRITABLE naming the folder', async () => {
    const dir = await tempDir();
    // A file where the folder should be: the lock cannot be made (the suite runs as root, so no mode bits stop it).
    const notAFolder = join(dir, 'data');
    await writeFile(notAFolder, '');
    await expect(DataDirLock.acquire(notAFolder)).rejects.toMatchObject({ code: 'SERVER_ERR_DATA_UNWRITABLE', message: expect.stringContaining(`data folder ${notAFolder} cannot be written (ENOTDIR`) });
  });

  it('refuses a second holder while the first lives, naming its pid', async () => {
    const dir = await tempDir();
    const pid = await unrelatedProcess();
    await writeFile(lockFile(dir), `${pid}\n${await identityOf(pid)}\n`);
    await expect(DataDirLock.acquire(dir)).rejects.toMatchObject({ code: 'SERVER_ERR_DATA_LOCKED', message: expect.stringContaining(`(pid ${pid})`) });
  });

  it('takes over a lock whose owner is gone', async () => {
    const dir = await tempDir();
    await writeFile(lockFile(dir), '2147483646\n');
    const lock = await DataDirLock.acquire(dir);
    expect((await readFile(lockFile(dir), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('takes over a lock from before a reboot whose pid now belongs to another program', async () => {
    const dir = await tempDir();
    const pid = await unrelatedProcess();
    await writeFile(lockFile(dir), `${pid}\n00000000-0000-0000-0000-000000000000 12345\n`);
    const lock = await DataDirLock.acquire(dir);
    expect((await readFile(lockFile(dir), 'utf8')).split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('takes over a lock naming only a pid when that process is not a sugar-server', async () => {
    const dir = await tempDir();
    const pid = await unrelatedProcess();
    await writeFile(lockFile(dir), `${pid}\n`);
    const lock = await DataDirLock.acquire(dir);
    await lock.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('records its own start, so a later daemon can tell it from a reused pid', async () => {
    const dir = await tempDir();
    const lock = await DataDirLock.acquire(dir);
    expect(await readFile(lockFile(dir), 'utf8')).toBe(`${process.pid}\n${await identityOf(process.pid)}\n`);
    await lock.release();
  });
});
