/** Replication's state in words, for `sugar-server backup status`. */
import type { ReplicationStatus } from './replicator.js';

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const when = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

export function formatReplication(status: ReplicationStatus | null): string[] {
  if (!status) return ['replication: off ([backup] replicate_to is not set)'];
  const { backlog, lastPass, lastError } = status;
  const lines = [
    `replication to ${status.target}${status.encrypted ? ' (encrypted)' : ''}: ${status.state}; last success ${status.lastSuccess ? when(status.lastSuccess) : 'never'}; ${Object.keys(status.laptops).length} laptop(s) in the bucket`,
    `  backlog: ${backlog.snapshots} snapshot(s), ${backlog.files} file(s), ${megabytes(backlog.bytes)}`,
  ];
  if (lastPass) {
    lines.push(`  last pass ${when(lastPass.startedAt)}: ${lastPass.snapshots} snapshot(s), ${lastPass.sentFiles} file(s) sent in ${lastPass.sentObjects} object(s) (${megabytes(lastPass.sentBytes)}, ${megabytes(lastPass.throughput)}/s), ${lastPass.skippedFiles} file(s) already there`);
  }
  if (lastError) lines.push(`  last error ${when(lastError.at)}: ${lastError.code}: ${lastError.message}`);
  return lines;
}
