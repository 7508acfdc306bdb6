/**
 * Replication's Prometheus series on the core's registry (`/metrics`), read
 * from the replicator when scraped: the backlog, what was sent, when the last
 * pass succeeded and whether the last one failed.
 */
import { Tokens, type PluginContext } from 'sugar-server';
import type { ReplicationStatus } from './replicator.js';

/** A series computed at scrape time, in the shape prom-client's registry renders. */
function series(name: string, help: string, type: 'gauge' | 'counter', value: () => number) {
  const metric = { name, help, type, aggregator: 'sum' };
  return { ...metric, get: async () => ({ ...metric, values: [{ value: value() }] }), reset() {} };
}

export function registerReplicationMetrics(ctx: Pick<PluginContext, 'container' | 'signal'>, status: () => ReplicationStatus): void {
  if (!ctx.container.isRegistered(Tokens.Metrics, true)) return;
  const registry = ctx.container.resolve(Tokens.Metrics).registry;
  const all = [
    series('sugar_server_backup_replication_backlog_bytes', 'Backup replication: bytes of snapshots left to check or send', 'gauge', () => status().backlog.bytes),
    series('sugar_server_backup_replication_backlog_files', 'Backup replication: files of snapshots left to check or send', 'gauge', () => status().backlog.files),
    series('sugar_server_backup_replication_backlog_snapshots', 'Backup replication: snapshots not in the bucket yet', 'gauge', () => status().backlog.snapshots),
    series('sugar_server_backup_replication_sent_bytes_total', 'Backup replication: bytes of files sent since start', 'counter', () => status().totals.sentBytes),
    series('sugar_server_backup_replication_sent_objects_total', 'Backup replication: objects written since start (packs of small files, and large files)', 'counter', () => status().totals.sentObjects),
    series('sugar_server_backup_replication_sent_files_total', 'Backup replication: files whose bytes were sent since start', 'counter', () => status().totals.sentFiles),
    series('sugar_server_backup_replication_throughput_bytes', 'Backup replication: bytes per second over the last pass', 'gauge', () => status().lastPass?.throughput ?? 0),
    series('sugar_server_backup_replication_last_success_seconds', 'Backup replication: when the last pass succeeded (Unix time; 0 for never)', 'gauge', () => {
      const at = status().lastSuccess;
      return at ? Date.parse(at) / 1000 : 0;
    }),
    series('sugar_server_backup_replication_failed', 'Backup replication: 1 when the last pass failed', 'gauge', () => (status().state === 'failed' ? 1 : 0)),
  ];
  for (const metric of all) {
    registry.removeSingleMetric(metric.name);
    registry.registerMetric(metric as unknown as Parameters<typeof registry.registerMetric>[0]);
  }
  ctx.signal.addEventListener('abort', () => {
    for (const metric of all) if (registry.getSingleMetric(metric.name) === (metric as unknown)) registry.removeSingleMetric(metric.name);
  }, { once: true });
}
