/**
 * Restore: the laptop pulls a snapshot back over the same SSH endpoint with
 * the same rsync and ssh as ds-backup (`rsync -z -rlt ... host:<snapshot>/
 * <folder>/`), then checks it byte for byte against the Journal it expects.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SugaroidErrors } from '../errors.js';
import type { Identity } from '../identity.js';
import { compareTrees } from '../tree-compare.js';
import { openSshSession, remote, runRsync, type SshSettings } from './rsync.js';

/** The snapshot restored unless another is named. */
export const LATEST_SNAPSHOT = 'datastore-latest';

export interface RestoreOptions extends SshSettings {
  /** `datastore-latest` unless given, or `datastore-YYYY-MM-DD_HH:MM`. */
  readonly snapshot?: string;
  /** Where to put it; a new temporary folder unless given. */
  readonly into?: string;
  /** The Journal the snapshot must equal; not checked when absent. */
  readonly expect?: string;
}

export interface RestoreResult {
  readonly snapshot: string;
  readonly into: string;
  /** True when compared with `expect` and found the same. */
  readonly verified: boolean;
  readonly elapsedMs: number;
}

export async function restore(host: string, identity: Identity, options: RestoreOptions = {}): Promise<RestoreResult> {
  const snapshot = options.snapshot ?? LATEST_SNAPSHOT;
  const into = options.into ?? (await mkdtemp(join(tmpdir(), `sugaroid-restore-${identity.serial}-`)));
  const ssh = await openSshSession(identity, options);
  let elapsedMs: number;
  try {
    const run = await runRsync(['-z', '-rlt', '--partial', '--delete', '--timeout=160', '-e', ssh.command, remote(host, `${snapshot}/`), `${into}/`]);
    if (run.code !== 0) throw SugaroidErrors.TRANSFER(`restore of ${snapshot}`, run.code, run.stderr);
    elapsedMs = run.elapsedMs;
  } finally {
    await ssh.close();
  }
  if (options.expect === undefined) return { snapshot, into, verified: false, elapsedMs };
  const differences = await compareTrees(options.expect, into);
  if (differences.length) throw SugaroidErrors.RESTORE_MISMATCH(snapshot, differences);
  return { snapshot, into, verified: true, elapsedMs };
}
