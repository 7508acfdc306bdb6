import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import type { Logger } from 'sugar-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshAlgorithms } from '../ssh-algorithms.js';
import type { SshCall } from './messages.js';
import { SshProcess } from './parent.js';
import { ed25519 } from '../ssh-keys.test-support.js';

const SN = 'SHC0123456A';
/** The backup's niceness in these tests. */
const NICE = 5;
/** The niceness of process `pid` (field 19 of its stat; the name before it may hold spaces). */
const nicenessIn = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);

const laptopKey = ed25519();
const strangerKey = ed25519();
const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
const line = (level: string) => (fields: Record<string, unknown>, message: string) => void lines.push({ level, fields, message });
const log = { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') } as unknown as Logger;
/** What happened, in order: the daemon told of an end, the laptop told its exit status. */
const events: string[] = [];
const ends: Extract<SshCall, { what: 'ended' }>[] = [];
const lost: string[] = [];

let dir: string;
let tcp: Server;
let port: number;
let ssh: SshProcess;

/** The daemon's answers: the laptop's key, `rsync --version` as the one transfer let through. */
async function answer(call: SshCall): Promise<unknown> {
  switch (call.what) {
    case 'key': {
      const registered = Buffer.from(laptopKey.public.split(' ')[1]!, 'base64');
      return call.username === SN && registered.equals(call.data) ? { accept: true } : { accept: false, reason: 'not the laptop\'s key' };
    }
    case 'plan':
      if (call.command === 'rsync --version') return { transfer: 7, run: { rsyncPath: '/usr/bin/rsync', args: ['--version'], cwd: dir, home: dir } };
      // What a transfer's program sees of its own priority.
      if (call.command === 'niceness') return { transfer: 8, run: { rsyncPath: '/bin/cat', args: ['/proc/self/stat'], cwd: dir, home: dir } };
      return { refusal: 'BACKUP_ERR_COMMAND_REFUSED: command refused: not here' };
    case 'ended':
      ends.push(call);
      // Slow on purpose: the laptop must still hear its exit status only after this.
      await new Promise((resolve) => setTimeout(resolve, 300));
      events.push('daemon told');
      return undefined;
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ssh-process-'));
  ssh = new SshProcess({
    init: { hostKeys: [ed25519().private], algorithms: sshAlgorithms(true), loginTimeoutMs: 5_000, maxConnections: 8 },
    nice: NICE,
    log,
    answer,
    lost: (why) => void lost.push(why),
  });
  await ssh.start();
  tcp = createServer({ pauseOnConnect: true }, ssh.accept);
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  port = (tcp.address() as AddressInfo).port;
}, 30_000);
afterAll(async () => {
  await ssh?.stop();
  // Not waited for: Node's server waits for the processes it handed sockets to, and they have exited (see the core's OwnedPort).
  tcp?.close();
  await rm(dir, { recursive: true, force: true });
});

function connect(privateKey: string): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve(client)).on('error', reject);
    client.connect({ host: '127.0.0.1', port, username: SN, privateKey, readyTimeout: 10_000 });
  });
}

function exec(client: ssh2.Client, command: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    client.exec(command, (err, stream) => {
      if (err) return reject(err);
      let stdout = '';
      let stderr = '';
      let code = -1;
      stream.on('data', (chunk: Buffer) => (stdout += chunk));
      stream.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
      stream.on('exit', (exitCode: number) => {
        code = exitCode;
        events.push(`exit ${exitCode}`);
      });
      stream.on('close', () => resolve({ stdout, stderr, code }));
    });
  });
}

describe('the SSH process', () => {
  it('runs in a process of its own, runs what the daemon planned there, and tells the laptop its exit status after the daemon heard the end', async () => {
    const { pid } = ssh.status();
    expect(pid).toEqual(expect.any(Number));
    expect(pid).not.toBe(process.pid);
    const client = await connect(laptopKey.private);
    const result = await exec(client, 'rsync --version');
    client.end();
    expect(result.stdout).toMatch(/^rsync\s+version/);
    expect(result.code).toBe(0);
    expect(ends).toEqual([{ what: 'ended', transfer: 7, outcome: expect.objectContaining({ code: 0, signal: null, bytesOut: result.stdout.length }) }]);
    expect(events).toEqual(['daemon told', 'exit 0']);
  });

  it('tells the laptop the daemon\'s refusal on stderr with exit status 1, and runs nothing', async () => {
    const client = await connect(laptopKey.private);
    const result = await exec(client, 'cat /etc/passwd');
    client.end();
    expect(result).toEqual({ stdout: '', stderr: 'sugar-server: BACKUP_ERR_COMMAND_REFUSED: command refused: not here\n', code: 1 });
    expect(ends).toHaveLength(1);
  });

  it('runs at the backup\'s niceness, and so does every rsync it starts, while the daemon keeps its own', async () => {
    const expected = Math.min(19, getPriority() + NICE);
    expect(nicenessIn(await readFile(`/proc/${ssh.status().pid}/stat`, 'utf8'))).toBe(expected);
    const client = await connect(laptopKey.private);
    const result = await exec(client, 'niceness');
    client.end();
    expect(result.code).toBe(0);
    expect(nicenessIn(result.stdout)).toBe(expected);
    expect(getPriority()).not.toBe(expected);
  });

  it('lets in only the key the daemon says is the laptop\'s, and its log lines reach the plugin\'s log', async () => {
    await expect(connect(strangerKey.private)).rejects.toThrow(/authentication methods failed/);
    expect(lines).toContainEqual({ level: 'info', fields: expect.objectContaining({ user: SN, reason: 'not the laptop\'s key' }), message: 'SSH key refused' });
    expect(lines).toContainEqual({ level: 'info', fields: expect.objectContaining({ serial: SN }), message: 'laptop logged in over SSH' });
  });

  it('killed, is started again at once and serves, having said so', async () => {
    const { pid } = ssh.status();
    process.kill(pid!, 'SIGKILL');
    for (let tries = 0; tries < 200 && (ssh.status().pid === null || ssh.status().pid === pid); tries++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(ssh.status()).toEqual({ pid: expect.any(Number), restarts: 1 });
    expect(ssh.status().pid).not.toBe(pid);
    expect(lost).toEqual(['the SSH endpoint\'s process was killed by SIGKILL']);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'error', fields: expect.objectContaining({ code: 'BACKUP_ERR_SSH_PROCESS' }) }));
    const client = await connect(laptopKey.private);
    expect((await exec(client, 'rsync --version')).code).toBe(0);
    client.end();
  }, 20_000);

  it('stopped, ends, and is not started again', async () => {
    const { pid } = ssh.status();
    await ssh.stop();
    expect(() => process.kill(pid!, 0)).toThrow(/ESRCH/);
    expect(ssh.status().pid).toBeNull();
    expect(lost).toHaveLength(1);
  });
});
