/**
 * rsync over ssh as OLPC's ds-backup client runs them (ds-backup
 * `client/ds-backup.py`): the system rsync, whose remote shell is the system
 * ssh with `-F /dev/null`, no password authentication, no host key check, the
 * laptop's key and its serial as user name. The key is written to a private
 * temporary folder for the run (on an XO it is `~/.sugar/default/owner.key`).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Identity } from '../identity.js';
import { runProgram, type ProgramOptions } from './spawner.js';

/** How the laptop's ssh connects. */
export interface SshSettings {
  /** The SSH port; 22 unless given. */
  readonly sshPort?: number;
  /**
   * Offer only what an old XO's OpenSSH (5.x, as OLPC builds 8.2 to 13.x
   * carried) proposes: SHA-1 `ssh-rsa` host keys, `ssh-dss` user keys,
   * SHA-1 key exchanges, CBC ciphers besides CTR, hmac-md5. On by default for
   * DSA keys, as only old XOs hold those.
   */
  readonly legacySsh?: boolean;
  /** Where ssh records the server's host key (ds-backup does not check it); a temporary file unless given. */
  readonly knownHosts?: string;
  /** Extra `-o` settings, e.g. `ConnectTimeout 5`. */
  readonly sshOptions?: readonly string[];
}

/**
 * What an OpenSSH 5.x client proposes; the modern ssh here needs them spelled
 * out, having dropped SHA-1 host keys and DSA from its defaults.
 */
export const OLD_XO_SSH_OPTIONS: readonly string[] = [
  'HostKeyAlgorithms ssh-rsa,ssh-dss',
  'PubkeyAcceptedAlgorithms ssh-dss,ssh-rsa',
  'KexAlgorithms diffie-hellman-group-exchange-sha256,diffie-hellman-group-exchange-sha1,diffie-hellman-group14-sha1,diffie-hellman-group1-sha1',
  'Ciphers aes128-ctr,aes192-ctr,aes256-ctr,aes128-cbc,3des-cbc,aes192-cbc,aes256-cbc',
  'MACs hmac-md5,hmac-sha1',
];

/** A laptop's key on disk for one run, and the ssh rsync runs. */
export interface SshSession {
  /** The ssh argument vector (program first, host last to be added): ds-backup's ssh command. */
  readonly args: readonly string[];
  /** The same as one `-e` value for rsync. */
  readonly command: string;
  /** A private temporary folder holding the key, removed by `close`. */
  readonly dir: string;
  close(): Promise<void>;
}

/** A word of the remote-shell line rsync splits: double-quoted when it holds blanks (rsync honours double quotes, as ds-backup relies on). */
const word = (value: string) => (/[\s"\\']/.test(value) ? `"${value.replace(/["\\]/g, '\\$&')}"` : value);

/** Write the laptop's key and build ds-backup's ssh command for it. */
export async function openSshSession(identity: Identity, settings: SshSettings = {}): Promise<SshSession> {
  const dir = await mkdtemp(join(tmpdir(), `sugaroid-${identity.serial}-`));
  const keyFile = join(dir, 'owner.key');
  await writeFile(keyFile, identity.sshKey.privateKey, { mode: 0o600 });
  const legacy = settings.legacySsh ?? identity.sshKey.type === 'dsa';
  const options = [
    'PasswordAuthentication no',
    'StrictHostKeyChecking no',
    `UserKnownHostsFile ${settings.knownHosts ?? join(dir, 'known_hosts')}`,
    ...(legacy ? OLD_XO_SSH_OPTIONS : []),
    ...(settings.sshOptions ?? []),
  ];
  const args = [
    'ssh', '-F', '/dev/null',
    ...options.flatMap((option) => ['-o', option]),
    '-i', keyFile, '-l', identity.serial, '-p', String(settings.sshPort ?? 22),
  ];
  return { args, command: args.map(word).join(' '), dir, close: () => rm(dir, { recursive: true, force: true }) };
}

/** `host:path` as rsync reads it; an IPv6 address goes in brackets. */
export function remote(host: string, path: string): string {
  return `${host.includes(':') ? `[${host}]` : host}:${path}`;
}

/** How one rsync run ended. */
export interface RsyncResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Run the system rsync with `args` (no shell, started off this thread: see spawner.ts); never rejects for a non-zero exit. */
export async function runRsync(args: readonly string[], options: Pick<ProgramOptions, 'nice'> = {}): Promise<RsyncResult> {
  const started = performance.now();
  // No agent: ds-backup's ssh offers the laptop's key only.
  const { SSH_AUTH_SOCK: _agent, ...env } = process.env;
  const { code, stdout, stderr } = await runProgram('rsync', args, env, options);
  return { code, stdout, stderr: stderr.trim(), elapsedMs: performance.now() - started };
}

/** Bytes rsync counted, from its `--stats` output. */
export function transferStats(stdout: string): { sent: number; received: number } | undefined {
  const number = (label: string) => {
    const match = new RegExp(`Total bytes ${label}: ([\\d,.]+)`).exec(stdout);
    return match ? Number(match[1]!.replace(/[,.]/g, '')) : undefined;
  };
  const sent = number('sent');
  const received = number('received');
  return sent === undefined || received === undefined ? undefined : { sent, received };
}
