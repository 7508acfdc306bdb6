/**
 * Replication while the daemon runs: a pass at start, after each snapshot and
 * every `replicate_interval`; its state in `/status`, `/metrics` and under
 * `/backup/v1/replication` (admin token), where a pass can also be started.
 */
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { PluginContext, Store } from 'sugar-server';
import type { BackupDocument } from '../backup-records.js';
import type { BackupConfig } from '../config.js';
import type { LaptopFolders } from '../laptop-folder.js';
import { HashPool } from './hash-pool.js';
import { storedInBucket } from './index-rebuild.js';
import { registerReplicationMetrics } from './metrics.js';
import { ObjectIndex } from './object-index.js';
import type { BucketTarget } from './options.js';
import { Replicator } from './replicator.js';
import { DigestCache } from './snapshot-upload.js';
import { keyFile, replicationParts } from './setup.js';
import { Throttle } from './throttle.js';

export interface ReplicationDeps {
  readonly ctx: PluginContext<BackupConfig>;
  readonly folders: LaptopFolders;
  readonly store: Store<BackupDocument>;
  serials(): Promise<string[]>;
}

/** Start replicating to `replicate_to` (set). */
export async function startReplication({ ctx, folders, store, serials }: ReplicationDeps, target: BucketTarget): Promise<Replicator> {
  const { config, log } = ctx;
  const parts = await replicationParts({ ...config, replicate_to: target }, ctx.etcDir, true);
  if (parts.keyCreated) {
    log.warn({ key: keyFile(config, ctx.etcDir) }, 'replication key made: keep a copy of it away from this server; without it nothing in the bucket can be restored');
  }
  const openIndex = async () => {
    const { index, rebuilt } = await ObjectIndex.open(join(ctx.dataDir, 'replication', 'objects'), parts.identity, () => storedInBucket(parts.bucket, parts.sealing, ctx.signal));
    if (rebuilt) log.info({ contents: index.size, target: parts.bucket.url }, 'index of what the bucket holds rebuilt from its objects and manifests');
    return index;
  };
  // No more threads than CPUs this process may run on (a server pinned to one CPU gains nothing from four).
  const hashes = new HashPool(Math.max(1, Math.min(config.replicate_concurrency, 4, availableParallelism())), config.replicate_compression);
  const replicator = new Replicator({
    bucket: parts.bucket,
    openIndex,
    hashes,
    sealing: parts.sealing,
    throttle: new Throttle(config.replicate_rate),
    concurrency: config.replicate_concurrency,
    digests: new DigestCache(),
    folders,
    store,
    windows: config.replicate_windows,
    graceMs: config.replicate_grace,
    identity: parts.identity,
    log,
    serials,
    now: () => ctx.clock.now(),
  }, ctx.signal);

  const timer = config.replicate_interval > 0 ? setInterval(() => void replicator.run(), config.replicate_interval) : undefined;
  timer?.unref();
  ctx.signal.addEventListener('abort', () => {
    clearInterval(timer);
    void hashes.close();
    parts.bucket.client.destroy();
    void replicator.close();
  });
  registerReplicationMetrics(ctx, () => replicator.status());

  ctx.router.get('/backup/v1/replication', ctx.requireAdmin, (c) => {
    c.body = replicator.status();
  });
  /** Start a pass now; answers when it has ended, with the state after it. */
  ctx.router.post('/backup/v1/replication/run', ctx.requireAdmin, async (c) => {
    await replicator.run();
    c.body = replicator.status();
  });
  void replicator.run();
  log.info({ target: parts.bucket.url, encrypted: parts.sealing.encrypted, compressed: config.replicate_compression }, 'replicating snapshots to S3');
  return replicator;
}
