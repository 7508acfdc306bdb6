/**
 * The two stolen lists a server keeps. `local` holds what this server's admin
 * marked; `upstream` holds what the upstream server's feed said last, replaced
 * as a whole by each feed version applied. A serial is stolen when either lists
 * it: the upstream recovering a laptop does not unlock one this school marked
 * itself, and this school cannot unlock one the upstream still reports stolen.
 *
 * Plain functions over the stored data, so the store applies them inside its
 * updates and they are tested without one.
 */
import { compareSerials, isSerial } from './lease-line.js';

/** Where a stolen mark came from. */
export type StolenSource = 'local' | 'upstream';

/** Every source, in the order they are listed. */
export const STOLEN_SOURCES: readonly StolenSource[] = ['local', 'upstream'];

/** Marks by serial, each with the time this server first had it from that source. */
export type StolenMarks = Record<string, { readonly since: string }>;

/** The stolen part of the plugin's document. */
export interface StolenSets {
  local: StolenMarks;
  upstream: StolenMarks;
}

/** One stolen serial as the admin API lists it. */
export interface StolenEntry {
  readonly serial: string;
  readonly sources: readonly StolenSource[];
  /** The earliest of its marks. */
  readonly since: string;
}

/** Stolen serials counted by source; a serial marked by both counts in both. */
export interface StolenCounts {
  readonly total: number;
  readonly local: number;
  readonly upstream: number;
}

export function emptyStolenSets(): StolenSets {
  return { local: {}, upstream: {} };
}

/** The sources that mark `serial`; empty when it is not stolen. */
export function sourcesOf(sets: StolenSets, serial: string): StolenSource[] {
  return STOLEN_SOURCES.filter((source) => Object.hasOwn(sets[source], serial));
}

export function isStolenIn(sets: StolenSets, serial: string): boolean {
  return Object.hasOwn(sets.local, serial) || Object.hasOwn(sets.upstream, serial);
}

/** Every stolen serial with its sources, by serial. */
export function listStolen(sets: StolenSets): StolenEntry[] {
  return stolenSerials(sets).map((serial) => {
    const sources = sourcesOf(sets, serial);
    const since = sources.map((source) => sets[source][serial]!.since).sort()[0]!;
    return { serial, sources, since };
  });
}

/** Every serial stolen from either source, sorted: what this server publishes. */
export function stolenSerials(sets: StolenSets): string[] {
  return [...new Set([...Object.keys(sets.local), ...Object.keys(sets.upstream)])].sort(compareSerials);
}

export function countStolen(sets: StolenSets): StolenCounts {
  return {
    total: stolenSerials(sets).length,
    local: Object.keys(sets.local).length,
    upstream: Object.keys(sets.upstream).length,
  };
}

/** What replacing the upstream marks changes. */
export interface UpstreamChange {
  readonly marks: StolenMarks;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

/**
 * The upstream marks once the upstream says `serials` are stolen: serials that
 * stay keep their `since`, new ones get `now`, and the others are dropped.
 */
export function replaceUpstream(current: StolenMarks, serials: ReadonlySet<string>, now: Date): UpstreamChange {
  const marks: StolenMarks = {};
  const added: string[] = [];
  for (const serial of [...serials].sort(compareSerials)) {
    if (Object.hasOwn(current, serial)) {
      marks[serial] = current[serial]!;
    } else {
      marks[serial] = { since: now.toISOString() };
      added.push(serial);
    }
  }
  const removed = Object.keys(current).filter((serial) => !serials.has(serial)).sort(compareSerials);
  return { marks, added, removed };
}

/**
 * The stolen part of a stored document in the current shape, and whether it had
 * to change. Before there were two lists, `stolen` was one map of serial to
 * `{since}` holding what the admin marked; it becomes `local`. The old entries
 * are told apart by their `since` string, which the new shape never has at that
 * level, so a serial that happens to be called `local` is still read right.
 */
export function readStolenSets(value: unknown): { sets: StolenSets; migrated: boolean } {
  if (!isRecord(value)) return { sets: emptyStolenSets(), migrated: true };
  const { local, upstream } = value;
  const oldShape = Object.values(value).some((entry) => isRecord(entry) && typeof entry.since === 'string');
  if (!oldShape && isRecord(local) && isRecord(upstream) && Object.keys(value).length === 2) {
    return { sets: value as unknown as StolenSets, migrated: false };
  }
  return { sets: { local: marksOf(value), upstream: {} }, migrated: true };
}

/** The well-formed marks of an old-shape list. */
function marksOf(value: Record<string, unknown>): StolenMarks {
  const marks: StolenMarks = {};
  for (const [serial, entry] of Object.entries(value)) {
    if (isSerial(serial) && isRecord(entry) && typeof entry.since === 'string') marks[serial] = { since: entry.since };
  }
  return marks;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
