/**
 * The core's side of the fleet: the upstream's records and routes (any server
 * can invite schools, so every one keeps a store for them, empty on most), and
 * the school's reporter, (re)started when `[fleet]` or the credential changes.
 */
import { join } from 'node:path';
import type { Middleware } from 'koa';
import type { Router } from '@koa/router';
import type { CoreConfig } from './config/schema.js';
import type { FeedPublisher, MirrorRegistry } from './feeds/index.js';
import {
  buildReport,
  ensureServerId,
  fleetRouter,
  FleetReporter,
  Mothership,
  readCredential,
  SCHOOL_STATES,
  type Propagation,
  type ReporterState,
  type SchoolRow,
} from './fleet/index.js';
import type { Logger } from './log.js';
import type { FeedSample } from './metrics.js';
import type { Paths } from './paths.js';
import type { PluginStatus } from './plugins/host.js';

export interface FleetSources {
  readonly version: string;
  readonly startedAt: number;
  readonly publisher: FeedPublisher;
  readonly mirrors: MirrorRegistry;
  plugins(): readonly PluginStatus[];
  feeds(): readonly FeedSample[];
}

interface FleetSettings {
  readonly fleet: CoreConfig['fleet'];
  /** The name to report under when `[fleet] name` is unset. */
  readonly defaultName: string;
  readonly group: string | null;
}

export class DeploymentFleet {
  private settings: FleetSettings;
  private mothership: Promise<Mothership> | undefined;
  /** The records once open, for what must answer without waiting (/status). */
  private opened: Mothership | undefined;
  private reporter: { instance: FleetReporter; key: string; group: string | null } | undefined;
  private serverId: string | undefined;
  private readonly stopListening: () => void;

  constructor(
    private readonly paths: Paths,
    private readonly log: Logger,
    private readonly sources: FleetSources,
    core: CoreConfig,
  ) {
    // Set now: the routes answer as soon as the port is bound, before apply runs.
    this.settings = settingsOf(core);
    this.stopListening = sources.mirrors.onApplied(() => this.reporter?.instance.feedApplied());
  }

  /** Take the settings of a configuration just accepted (start or reload); pick up a new credential. */
  async apply(core: CoreConfig): Promise<void> {
    this.settings = settingsOf(core);
    this.serverId ??= await ensureServerId(this.paths);
    // Opened now, so a relay's first report already carries its schools.
    await this.upstream().catch((err: unknown) => this.log.error({ err }, 'fleet records could not be opened'));
    await this.followUpstream();
  }

  router(requireAdmin: Middleware): Router {
    const fleet = () => this.settings.fleet;
    return fleetRouter(() => this.upstream(), () => ({ silentAfterMs: fleet().silent_after, history: fleet().history, inviteLifetimeMs: fleet().invite_lifetime }), requireAdmin);
  }

  /** For /status: this server's id, its check-ins, and the schools it has. */
  summary(): { serverId: string | null; checkin: ReporterState | null; schools: number } {
    return { serverId: this.serverId ?? null, checkin: this.reporter?.instance.state() ?? null, schools: this.opened?.registry.schoolCount ?? 0 };
  }

  /** For the admin console on a server with schools: how the feeds propagate, and every school; null while it has none. */
  async view(): Promise<{ propagation: Propagation; schools: SchoolRow[] } | null> {
    const mothership = await this.mothership?.catch(() => undefined);
    if (!mothership || mothership.registry.schoolCount === 0) return null;
    const silentAfter = this.settings.fleet.silent_after;
    return { propagation: await mothership.propagation(silentAfter), schools: await mothership.schools(silentAfter) };
  }

  /** For the metrics: schools by state and lag per feed; empty on a server with no schools. */
  async samples(): Promise<{ states: Record<string, number>; feeds: { name: string; current: number; schools: number; lag: { p50: number | null; p90: number | null; max: number | null } }[]; lastCheckin: number | null }> {
    const lastSuccess = this.reporter?.instance.state().lastSuccess;
    const lastCheckin = lastSuccess ? Date.parse(lastSuccess) / 1000 : null;
    const mothership = await this.mothership?.catch(() => undefined);
    if (!mothership || mothership.registry.schoolCount === 0) return { states: {}, feeds: [], lastCheckin };
    const propagation = await mothership.propagation(this.settings.fleet.silent_after);
    const states = Object.fromEntries(SCHOOL_STATES.map((s) => [s, propagation.schools[s]]));
    return { states, feeds: propagation.feeds.map((f) => ({ name: f.name, current: f.current, schools: f.schools, lag: f.lagSeconds })), lastCheckin };
  }

  async stop(): Promise<void> {
    this.stopListening();
    this.reporter?.instance.stop();
    this.reporter = undefined;
    const mothership = await this.mothership?.catch(() => undefined);
    await mothership?.close().catch(() => {});
  }

  private upstream(): Promise<Mothership> {
    this.mothership ??= Mothership.open(this.paths.data, this.sources.publisher).then(
      (opened) => (this.opened = opened),
      (err: unknown) => {
        this.mothership = undefined;
        throw err;
      },
    );
    return this.mothership;
  }

  /** Check in when enrolled; restart the reporter when what it sends or where changed. */
  private async followUpstream(): Promise<void> {
    const { fleet } = this.settings;
    let credential;
    try {
      credential = await readCredential(this.paths);
    } catch (err) {
      this.log.error({ err }, 'not checking in: the fleet credential cannot be used');
      credential = null;
    }
    const upstream = fleet.upstream ?? credential?.upstream;
    const key = JSON.stringify([credential, upstream, fleet.checkin_interval]);
    if (this.reporter?.key === key) return;
    this.reporter?.instance.stop();
    this.reporter = undefined;
    if (!credential || !upstream) return;
    const instance = new FleetReporter({
      credential,
      upstream,
      intervalMs: fleet.checkin_interval,
      pendingFile: join(this.paths.data, 'core', 'fleet-unsent-report.json'),
      log: this.log.child({ fleet: 'checkin' }),
      build: () => this.build(),
    });
    this.reporter = { instance, key, group: credential.group };
    this.log.info({ upstream, serverId: credential.serverId, interval: fleet.checkin_interval }, `checking in with ${upstream} as ${credential.name}`);
    instance.start();
  }

  private async build() {
    const { fleet, defaultName, group } = this.settings;
    const mothership = await this.mothership?.catch(() => undefined);
    const downstream = mothership ? await mothership.downstream(fleet.silent_after) : null;
    return buildReport({
      serverId: this.serverId!,
      name: fleet.name ?? defaultName,
      group: group ?? this.reporter?.group ?? null,
      version: this.sources.version,
      startedAt: this.sources.startedAt,
      plugins: this.sources.plugins,
      feeds: this.sources.feeds,
      downstream: () => downstream,
    });
  }
}

function settingsOf(core: CoreConfig): FleetSettings {
  return { fleet: core.fleet, defaultName: core.mdns.name, group: core.feeds.group ?? null };
}
