/**
 * The school's report, built from what the daemon already knows: the plugins
 * and their states (PluginHost), the feeds it mirrors (their FeedState), and
 * the figures plugins publish in /status (`ctx.reportStatus`).
 */
import type { FeedSample } from '../metrics.js';
import type { PluginStatus } from '../plugins/host.js';
import { REPORT_SCHEMA, type DownstreamSummary, type FleetReport, type ReportCounts } from './report.js';

export interface ReportSources {
  readonly serverId: string;
  readonly name: string;
  readonly group: string | null;
  readonly version: string;
  readonly startedAt: number;
  plugins(): readonly PluginStatus[];
  feeds(): readonly FeedSample[];
  /** A relay's summary of its own schools; null for a school with none. */
  downstream(): DownstreamSummary | null;
  readonly now?: () => number;
}

const cut = (text: string | null, max: number) => (text === null || text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function buildReport(sources: ReportSources): FleetReport {
  const plugins = sources.plugins();
  return {
    schema: REPORT_SCHEMA,
    serverId: sources.serverId,
    name: cut(sources.name, 128)!,
    group: sources.group,
    version: sources.version,
    sentAt: new Date(sources.now?.() ?? Date.now()).toISOString(),
    startedAt: new Date(sources.startedAt).toISOString(),
    plugins: plugins.slice(0, 64).map((p) => ({
      service: p.service,
      package: p.packageName,
      version: p.version,
      state: p.state,
      errorCode: p.error?.code ?? null,
    })),
    feeds: sources.feeds().slice(0, 64).map(({ owner, state }) => ({
      name: state.name,
      owner,
      version: state.version,
      generated: state.generated,
      appliedAt: state.lastChange,
      lastSuccess: state.lastSuccess,
      lastError: cut(state.lastError, 500),
      lastErrorCode: state.lastErrorCode,
      expired: state.expired,
      trust: state.trust,
    })),
    counts: countsOf(plugins),
    downstream: sources.downstream(),
  };
}

/** The figures each plugin reports in /status; null where a plugin is off or does not say. */
export function countsOf(plugins: readonly PluginStatus[]): ReportCounts {
  const details = (service: string) => plugins.find((p) => p.service === service && p.state === 'running')?.details ?? null;
  const whole = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null);
  const registry = details('registry');
  const leases = details('leases');
  const backup = details('backup');
  const blacklists = details('blacklists');
  return {
    laptops: whole(registry?.laptops),
    leasesExpiringSoon: whole(leases?.expiringSoon),
    leasesExpired: whole(leases?.expired),
    stolen: whole(leases?.stolen),
    backupsOverdue: whole(backup?.overdue),
    backupBytesUsed: whole(backup?.used),
    backupBytesQuota: whole(backup?.quota),
    blacklistIndex: typeof blacklists?.compiledAt === 'string' ? blacklists.compiledAt.slice(0, 64) : null,
  };
}
