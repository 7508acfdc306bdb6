/**
 * Which snapshots to keep: every one younger than `keepAllMs` (or dated after
 * now), the newest of each of the `weeks` most recent calendar weeks (Monday to
 * Sunday, UTC) that hold a snapshot, and of each of the `months` most recent
 * calendar months that hold one. The snapshot `datastore-latest` points to is
 * never removed.
 *
 * Weeks and months are counted among those that hold snapshots, not back from
 * today: a clock stepped a year forward (a bad RTC, a wrong NTP answer) then
 * costs only the extra snapshots of the last days, never a laptop's whole
 * history, and a laptop away for the holidays keeps as many weeks of history
 * as one that backed up every day.
 */

export interface RetentionPolicy {
  readonly keepAllMs: number;
  readonly weeks: number;
  readonly months: number;
}

export interface DatedSnapshot {
  readonly name: string;
  /** When it was taken (ms since the epoch). */
  readonly time: number;
}

const DAY_MS = 86_400_000;
/** 1970-01-05 was a Monday: weeks are counted from there. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

const weekOf = (ms: number) => Math.floor((ms - FIRST_MONDAY_MS) / (7 * DAY_MS));
const monthOf = (ms: number) => {
  const date = new Date(ms);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
};

/** Names of the snapshots the policy lets go, oldest first. */
export function snapshotsToPrune(snapshots: readonly DatedSnapshot[], now: number, policy: RetentionPolicy, latest: string | null): string[] {
  const keep = new Set<string>();
  if (latest) keep.add(latest);
  const newestFirst = [...snapshots].sort((a, b) => b.time - a.time);
  const newestPer = (period: (ms: number) => number, count: number) => {
    const seen = new Set<number>();
    for (const snapshot of newestFirst) {
      if (seen.size >= count) break;
      const key = period(snapshot.time);
      if (!seen.has(key)) {
        seen.add(key);
        keep.add(snapshot.name);
      }
    }
  };
  for (const snapshot of newestFirst) if (now - snapshot.time < policy.keepAllMs) keep.add(snapshot.name);
  newestPer(weekOf, policy.weeks);
  newestPer(monthOf, policy.months);
  return newestFirst.filter((s) => !keep.has(s.name)).map((s) => s.name).reverse();
}
