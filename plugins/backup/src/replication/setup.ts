/**
 * From `[backup]` to the pieces replication and restore share: the S3 client
 * for the bucket, and how bodies are sealed (with the school's key when
 * `replicate_encryption = on`).
 */
import { join } from 'node:path';
import type { BackupConfig } from '../config.js';
import { Bucket } from './bucket.js';
import type { BucketTarget } from './options.js';
import { makeS3Client, readCredentials } from './s3-client.js';
import { loadSchoolKey, PLAIN, Sealed, type Sealing } from './sealing.js';

/** `replicate_key`, or `<etc>/backup-replication.key`. */
export function keyFile(config: BackupConfig, etcDir: string): string {
  return config.replicate_key ?? join(etcDir, 'backup-replication.key');
}

export interface ReplicationParts {
  readonly bucket: Bucket;
  readonly sealing: Sealing;
  /** The key was made just now (the admin must keep a copy). */
  readonly keyCreated: boolean;
  /** What the local index of objects is for: another bucket, prefix or key starts a new index. */
  readonly identity: string;
}

export async function replicationParts(config: BackupConfig & { replicate_to: BucketTarget }, etcDir: string, createKey: boolean): Promise<ReplicationParts> {
  const credentials = await readCredentials(config.s3_credentials);
  const client = makeS3Client({ endpoint: config.s3_endpoint, region: config.s3_region, sockets: config.replicate_concurrency + 4 }, credentials);
  const bucket = new Bucket(client, config.replicate_to);
  let sealing: Sealing = PLAIN;
  let keyCreated = false;
  if (config.replicate_encryption) {
    const { key, created } = await loadSchoolKey(keyFile(config, etcDir), createKey);
    sealing = new Sealed(key);
    keyCreated = created;
  }
  // Named by a sealed name, not the key: the index file says which key without holding it.
  const identity = `sugar-server objects v1 ${bucket.url} ${sealing.encrypted ? sealing.objectName('0'.repeat(64)).slice(0, 16) : 'plain'}`;
  return { bucket, sealing, keyCreated, identity };
}
