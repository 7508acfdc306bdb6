/**
 * The Mothership's (or a relay's) record of its schools, in the core's own
 * store `<data>/core/fleet/`: open invites (digests only), enrolled schools
 * (secret digests only), each school's latest check-in, and a bounded history
 * of check-ins per school kept as a ring, so one check-in writes what it
 * changed and never rewrites a list.
 */
import { JsonStore, type DocumentVersion } from '../storage.js';
import { digestOf, matchesDigest, newSecret } from './credentials.js';
import { FleetErrors } from './errors.js';
import type { FleetReport } from './report.js';
import type { HeldFeed, SchoolView } from './propagation.js';

export interface Invite {
  readonly name: string;
  readonly group: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export interface SchoolRecord {
  readonly serverId: string;
  readonly name: string;
  readonly group: string | null;
  readonly secretDigest: string;
  readonly enrolledAt: string;
}

/** The latest check-in of a school, with what the Mothership worked out from the ones before. */
export interface LatestCheckin {
  readonly receivedAt: string;
  readonly report: FleetReport;
  /** Per feed: the version held and since when (kept while the version stays the same). */
  readonly held: Readonly<Record<string, { readonly version: number | null; readonly since: string }>>;
}

/** One past check-in, in brief. */
export interface HistoryEntry {
  readonly at: string;
  readonly version: string;
  readonly feeds: Readonly<Record<string, number | null>>;
  readonly failing: boolean;
}

export interface FleetDocument {
  invites: Record<string, Invite>;
  schools: Record<string, SchoolRecord>;
  latest: Record<string, LatestCheckin>;
  history: Record<string, { next: number; slots: Record<string, HistoryEntry> }>;
}

const EMPTY: FleetDocument = { invites: {}, schools: {}, latest: {}, history: {} };
/**
 * The version of this document's shape. A release that changes the shape
 * raises it and adds the migration from the version before to `migrate`.
 */
const FLEET_DOCUMENT: DocumentVersion = { version: 1, migrate: {} };
/** Compared against when no school has the id given, so an unknown id costs what a known one does. */
const NO_DIGEST = digestOf('no school has this id');

export class FleetRegistry {
  /** Views for propagation, kept beside the document so a report never re-parses dates. */
  private readonly views = new Map<string, SchoolView>();
  /** Bumped at each change: lets computed reports be cached until the next one. */
  generation = 0;

  private constructor(private readonly store: JsonStore<FleetDocument>) {
    for (const school of Object.values(store.data.schools)) this.refreshView(school.serverId);
  }

  static async open(file: string): Promise<FleetRegistry> {
    // Each check-in replaces a school's whole report, so the journal grows by
    // the document's size every round of check-ins. Folding it in only once it
    // is twice the snapshot (not half, the default) writes each byte about
    // 1.5 times instead of 3, and runs the fold a quarter as often.
    return new FleetRegistry(await JsonStore.open(file, EMPTY, { compactRatio: 2, document: FLEET_DOCUMENT }));
  }

  close(): Promise<void> {
    return this.store.close();
  }

  get schoolCount(): number {
    return this.views.size;
  }

  get hasInvitesOrSchools(): boolean {
    return this.views.size > 0 || Object.keys(this.store.data.invites).length > 0;
  }

  schools(): Iterable<SchoolView> {
    return this.views.values();
  }

  record(serverId: string): { school: SchoolRecord; latest: LatestCheckin | null; history: HistoryEntry[] } | null {
    const school = this.store.data.schools[serverId];
    if (!school) return null;
    const ring = this.store.data.history[serverId];
    const history = ring ? Object.values(ring.slots).sort((a, b) => b.at.localeCompare(a.at)) : [];
    return { school, latest: this.store.data.latest[serverId] ?? null, history };
  }

  latest(serverId: string): LatestCheckin | null {
    return this.store.data.latest[serverId] ?? null;
  }

  /** A single-use token enrolling one school as `name`; only its digest is kept. Expired invites are dropped on the way. */
  async invite(name: string, group: string | null, lifetimeMs: number, now = Date.now()): Promise<{ token: string } & Invite> {
    const token = newSecret();
    const invite: Invite = { name, group, createdAt: new Date(now).toISOString(), expiresAt: new Date(now + lifetimeMs).toISOString() };
    await this.store.update((data) => {
      for (const [digest, held] of Object.entries(data.invites)) if (Date.parse(held.expiresAt) <= now) delete data.invites[digest];
      data.invites[digestOf(token)] = invite;
    });
    this.generation++;
    return { token, ...invite };
  }

  /** Trade an invite for a credential: the token is used up, the school's secret returned once. */
  async enrol(token: string, serverId: string, now = Date.now()): Promise<{ secret: string; school: SchoolRecord }> {
    const digest = digestOf(token);
    const invite = this.store.data.invites[digest];
    if (!invite || Date.parse(invite.expiresAt) <= now) throw FleetErrors.BAD_INVITE();
    const secret = newSecret();
    const school: SchoolRecord = { serverId, name: invite.name, group: invite.group, secretDigest: digestOf(secret), enrolledAt: new Date(now).toISOString() };
    await this.store.update((data) => {
      delete data.invites[digest];
      data.schools[serverId] = school;
    });
    this.refreshView(serverId);
    return { secret, school };
  }

  /** The school a credential belongs to; SERVER_ERR_FLEET_UNKNOWN_SCHOOL otherwise. */
  authenticate(credential: { serverId: string; secret: string } | null): SchoolRecord {
    const school = credential ? this.store.data.schools[credential.serverId] : undefined;
    const ok = matchesDigest(credential?.secret ?? '', school?.secretDigest ?? NO_DIGEST);
    if (!school || !ok) throw FleetErrors.UNKNOWN_SCHOOL();
    return school;
  }

  /** Forget a school (closed, or replaced by another server): its credential stops working, its records go. */
  async forget(serverId: string): Promise<boolean> {
    if (!this.store.data.schools[serverId]) return false;
    await this.store.update((data) => {
      delete data.schools[serverId];
      delete data.latest[serverId];
      delete data.history[serverId];
    });
    this.views.delete(serverId);
    this.generation++;
    return true;
  }

  /** Keep a checked report as the school's latest, and in brief in its history. */
  async checkin(school: SchoolRecord, report: FleetReport, historySize: number, now = Date.now()): Promise<void> {
    const receivedAt = new Date(now).toISOString();
    const previous = this.store.data.latest[school.serverId];
    const held: Record<string, { version: number | null; since: string }> = {};
    for (const feed of report.feeds) {
      const before = previous?.held[feed.name];
      held[feed.name] = before && before.version === feed.version ? before : { version: feed.version, since: feed.appliedAt ?? receivedAt };
    }
    const entry: HistoryEntry = {
      at: receivedAt,
      version: report.version,
      feeds: Object.fromEntries(report.feeds.map((f) => [f.name, f.version])),
      failing: isFailing(report),
    };
    await this.store.update((data) => {
      data.latest[school.serverId] = { receivedAt, report, held };
      const ring = data.history[school.serverId];
      if (!ring) {
        data.history[school.serverId] = { next: 1, slots: { 0: entry } };
        return;
      }
      const slot = ring.next % historySize;
      ring.slots[slot] = entry;
      ring.next = ring.next + 1;
      // [fleet] history made smaller since: drop the slots past it.
      if (Object.keys(ring.slots).length > historySize) {
        for (const key of Object.keys(ring.slots)) if (Number(key) >= historySize) delete ring.slots[key];
      }
    });
    this.refreshView(school.serverId);
  }

  private refreshView(serverId: string): void {
    const school = this.store.data.schools[serverId]!;
    const latest = this.store.data.latest[serverId];
    const feeds = new Map<string, HeldFeed>();
    if (latest) {
      for (const feed of latest.report.feeds) {
        const held = latest.held[feed.name];
        feeds.set(feed.name, { version: feed.version, since: Date.parse(held?.since ?? latest.receivedAt), failing: feed.lastErrorCode !== null });
      }
    }
    this.views.set(serverId, {
      serverId,
      name: school.name,
      group: school.group,
      lastCheckin: latest ? Date.parse(latest.receivedAt) : null,
      feeds,
      failing: latest ? isFailing(latest.report) : false,
      downstream: latest?.report.downstream ?? null,
    });
    this.generation++;
  }
}

/** A plugin failed, or a feed's last update was refused. */
export function isFailing(report: FleetReport): boolean {
  return report.plugins.some((p) => p.state === 'failed') || report.feeds.some((f) => f.lastErrorCode !== null);
}
