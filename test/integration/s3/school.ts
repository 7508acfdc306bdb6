/**
 * A school server for the S3 suite: the registry and backup plugins in a
 * temporary root, replicating to a bucket of the suite's gateway, with
 * snapshot folders written the way the backup plugin lays them out (the
 * laptops' side is the backup suites' subject, not this one's).
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { copyFile, lstat, mkdir, readdir, readFile, readlink, symlink, unlink, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BASE_CONFIG, DaemonProcess, makeRoot, type CommandResult } from '../../harness/index.js';
import { BACKUP_CONFIG } from '../backup/backup-server.js';
import type { Laptop } from 'sugaroid';
import type { Gateway } from './gateway.js';

/** The first start makes the SSH host keys (RSA 3072 takes a second or more on a busy machine). */
const CORE_CONFIG = BASE_CONFIG.replace(/^start_timeout = .*$/m, 'start_timeout = 15s');

/** What `/backup/v1/replication` answers (the fields the suite reads). */
export interface Replication {
  state: string;
  encrypted: boolean;
  backlog: { snapshots: number; files: number; bytes: number };
  lastPass: { sentObjects: number; sentFiles: number; sentBytes: number; skippedFiles: number; snapshots: number; prunedManifests: number; sweptObjects: number } | null;
  lastSuccess: string | null;
  lastError: { code: string; message: string } | null;
  totals: { sentObjects: number; sentFiles: number; sentBytes: number; skippedFiles: number; snapshots: number };
  laptops: Record<string, string>;
}

export class School {
  daemon: DaemonProcess | null = null;

  private constructor(
    readonly root: string,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  /** A root whose `[backup]` replicates to `s3://bucket/prefix` on `gateway`; `extra` is more of `[backup]`. */
  static async make(gateway: Gateway, bucket: string, extra = '', prefix = 'school'): Promise<School> {
    const root = await makeRoot({ baseConfig: CORE_CONFIG, config: BACKUP_CONFIG });
    const credentials = await gateway.credentialsFile(root);
    const conf = join(root, 'etc/sugar-server/sugar-server.conf');
    await writeFile(conf, `${await readFile(conf, 'utf8')}replicate_to = s3://${bucket}/${prefix}\ns3_endpoint = ${gateway.endpoint}\ns3_credentials = ${credentials}\n${extra}`);
    return new School(root, bucket, prefix);
  }

  get users(): string {
    return join(this.root, 'var/lib/sugar-server/backup/users');
  }

  /** A started school's config folder, whose SSH host keys later schools take: making RSA keys costs seconds each start. */
  private static keysFrom: string | null = null;

  async start(env: Record<string, string> = {}): Promise<DaemonProcess> {
    const etc = join(this.root, 'etc/sugar-server');
    if (School.keysFrom && School.keysFrom !== etc) {
      for (const name of await readdir(School.keysFrom)) {
        if (name.startsWith('backup-ssh-host-')) await copyFile(join(School.keysFrom, name), join(etc, name), constants.COPYFILE_EXCL).catch(() => {});
      }
    }
    this.daemon = await DaemonProcess.startIn(this.root, { env });
    School.keysFrom ??= etc;
    return this.daemon;
  }

  /** The availability check's and the SSH endpoint's ports, for a sugaroid laptop's ds-backup. */
  async ports(): Promise<{ httpPort: number; sshPort: number }> {
    const status = await this.daemon!.status();
    const ssh = this.daemon!.plugin(status, 'backup')!.listeners.find((l) => l.name === 'ssh')!;
    return { httpPort: Number(new URL(this.daemon!.url).port), sshPort: ssh.port };
  }

  /** Register a sugaroid laptop over XML-RPC, as a laptop does before its first backup. */
  async register(laptop: Laptop): Promise<void> {
    const status = await this.daemon!.status();
    const registration = this.daemon!.plugin(status, 'registry')!.listeners.find((l) => l.name === 'registration')!;
    const answer = await laptop.register(`http://127.0.0.1:${registration.port}/`);
    if (answer.success !== 'OK') throw new Error(`registration refused: ${answer.error}`);
  }

  private async token(): Promise<string> {
    return (await readFile(join(this.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  }

  async replication(method: 'GET' | 'POST' = 'GET'): Promise<Replication> {
    const path = method === 'POST' ? '/backup/v1/replication/run' : '/backup/v1/replication';
    // A POST answers when its pass has ended.
    const response = await this.daemon!.fetch(path, { method, headers: { Authorization: `Bearer ${await this.token()}` }, signal: AbortSignal.timeout(60_000) });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as Replication;
  }

  /** Wait until every snapshot on disk is in the bucket and the last pass succeeded. */
  async replicated(timeoutMs = 45_000): Promise<Replication> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const status = await this.replication();
      if (status.state === 'idle' && status.lastSuccess !== null && status.backlog.snapshots === 0) return status;
      if (Date.now() > deadline) throw new Error(`not replicated: ${JSON.stringify(status)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** `sugar-server backup restore-from-s3 ...` against this root. */
  restore(...args: string[]): Promise<CommandResult> {
    if (!this.daemon) throw new Error('no daemon');
    return this.daemon.cli('backup', 'restore-from-s3', ...args);
  }
}

/** Files of a snapshot, by path relative to it. */
export type Tree = Record<string, string | Buffer>;

/** Write snapshot `name` of `serial` under `users` as the plugin lays it out, and point datastore-latest at it. */
export async function writeSnapshot(users: string, serial: string, name: string, files: Tree, mtime = new Date('2026-03-01T12:00:00Z')): Promise<void> {
  const dir = join(users, serial, name);
  for (const [path, body] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), body, { mode: 0o640 });
    await utimes(join(dir, path), mtime, mtime);
  }
  const latest = join(users, serial, 'datastore-latest');
  await unlink(latest).catch(() => {});
  await symlink(name, latest);
}

/** A Journal-like tree: `count` entries with data and metadata, `bytes` each, varied by `seed`. */
export function journalTree(seed: string, count: number, bytes: number): Tree {
  const tree: Tree = {};
  for (let i = 0; i < count; i++) {
    const uid = createHash('sha256').update(`${seed}/${i}`).digest('hex').slice(0, 36);
    tree[`${uid.slice(0, 2)}/${uid}/data`] = fill(`${seed}/${i}`, bytes);
    tree[`${uid.slice(0, 2)}/${uid}/metadata/title`] = `entry ${i} of ${seed}`;
  }
  return tree;
}

const WORDS = 'the a school laptop journal write paint turtle music story draw sun river tree learn share friend child book play'.split(' ');

/** `bytes` of words chosen by `seed`, as a Write document holds them: text that compresses. */
export function prose(seed: string, bytes: number): Buffer {
  const words: string[] = [];
  let length = 0;
  let block = createHash('sha256').update(seed).digest();
  while (length < bytes) {
    for (const byte of block) {
      const word = WORDS[byte % WORDS.length]!;
      words.push(word);
      length += word.length + 1;
    }
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.from(words.join(' ')).subarray(0, bytes);
}

/** `bytes` of pseudo-random data from `seed` (incompressible, reproducible): a recording or photo. */
export function fill(seed: string, bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < bytes; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

/** Every file, folder and symlink under `dir`: content (files), mode and mtime, by relative path. */
export async function treeState(dir: string): Promise<Record<string, string>> {
  const state: Record<string, string> = {};
  const visit = async (relative: string): Promise<void> => {
    for (const name of (await readdir(join(dir, relative))).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      const info = await lstat(join(dir, path));
      const mode = (info.mode & 0o7777).toString(8);
      if (info.isDirectory()) {
        state[path] = `dir ${mode}`;
        await visit(path);
      } else if (info.isSymbolicLink()) {
        state[path] = `symlink -> ${await readlink(join(dir, path))}`;
      } else {
        state[path] = `file ${mode} ${Math.floor(info.mtimeMs)} ${createHash('sha256').update(await readFile(join(dir, path))).digest('hex')}`;
      }
    }
  };
  await visit('');
  return state;
}

export function sha256(body: string | Buffer): string {
  return createHash('sha256').update(body).digest('hex');
}
