/**
 * The lease report: what is held, and above all what is running out. An expired
 * lease locks a laptop at its next boot, in class, so expiring and expired
 * serials are listed first-to-lock first, with the days left (or gone).
 */
import { expToMs } from './expiry.js';
import type { LeaseStore } from './lease-store.js';
import type { RegistryView } from './registry.js';

const DAY_MS = 86_400_000;

/** A serial whose lease runs out within the warning window. */
export interface ExpiringSerial {
  readonly serial: string;
  /** ISO 8601 of the latest expiry among the serial's leases. */
  readonly expires: string;
  /** Whole days until it expires (0 = within a day). */
  readonly daysLeft: number;
}

/** A serial whose every lease has run out: the laptop locks at its next boot. */
export interface ExpiredSerial {
  readonly serial: string;
  readonly expires: string;
  /** Whole days since it expired. */
  readonly daysAgo: number;
}

/** What `GET /leases/v1/report` answers. */
export interface LeaseReport {
  readonly generated: string;
  readonly verification: 'on' | 'off';
  readonly counts: {
    readonly serials: number;
    readonly leases: number;
    /** Serials stolen from either list. */
    readonly stolen: number;
    /** Serials each list marks; one marked by both counts in both. */
    readonly stolenBySource: { readonly local: number; readonly upstream: number };
  };
  /** The window `expiringSoon` looks ahead, in days. */
  readonly warningDays: number;
  /** Serials whose last lease expires within `warningDays`, soonest first. */
  readonly expiringSoon: readonly ExpiringSerial[];
  /** Serials whose every lease has expired, longest-expired first. */
  readonly expired: readonly ExpiredSerial[];
  /** Registered laptops with no lease here; null when the registry is not running. */
  readonly registered: { readonly count: number; readonly withoutLease: readonly { serial: string; nick: string }[] } | null;
  /** Why `registered` is null. */
  readonly registryNote?: string;
}

/** What the report is built from. */
export interface ReportInput {
  readonly store: LeaseStore;
  readonly registry: RegistryView | null;
  readonly now: number;
  readonly warningDays: number;
  readonly verification: 'on' | 'off';
}

/** Build the report. Stolen serials are counted but left out of the expiry lists: they are locked on purpose. */
export function buildReport({ store, registry, now, warningDays, verification }: ReportInput): LeaseReport {
  const horizon = now + warningDays * DAY_MS;
  const expiring: (ExpiringSerial & { at: number })[] = [];
  const expired: (ExpiredSerial & { at: number })[] = [];
  let leases = 0;

  for (const [serial, held] of store.entries()) {
    leases += held.expires.length;
    if (store.isStolen(serial)) continue;
    const at = Math.max(...held.expires.map((exp) => expToMs(exp) ?? 0));
    const expires = new Date(at).toISOString();
    if (at <= now) expired.push({ serial, expires, daysAgo: Math.floor((now - at) / DAY_MS), at });
    else if (at <= horizon) expiring.push({ serial, expires, daysLeft: Math.floor((at - now) / DAY_MS), at });
  }
  const byTime = (a: { at: number; serial: string }, b: { at: number; serial: string }) =>
    a.at - b.at || (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0);

  const stolen = store.stolenCounts();
  const report: LeaseReport = {
    generated: new Date(now).toISOString(),
    verification,
    counts: {
      serials: store.entries().length,
      leases,
      stolen: stolen.total,
      stolenBySource: { local: stolen.local, upstream: stolen.upstream },
    },
    warningDays,
    expiringSoon: expiring.sort(byTime).map(({ at: _at, ...rest }) => rest),
    expired: expired.sort(byTime).map(({ at: _at, ...rest }) => rest),
    registered: registry ? registeredWithoutLease(store, registry) : null,
  };
  return registry ? report : { ...report, registryNote: 'registry not running' };
}

function registeredWithoutLease(store: LeaseStore, registry: RegistryView): NonNullable<LeaseReport['registered']> {
  const laptops = registry.list();
  const withoutLease = laptops
    .filter((laptop) => !store.get(laptop.serial) && !store.isStolen(laptop.serial))
    .map(({ serial, nick }) => ({ serial, nick }))
    .sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0));
  return { count: laptops.length, withoutLease };
}
