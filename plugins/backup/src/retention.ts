/**
 * Which snapshots to keep: every one younger than `keepAllMs`, the newest of
 * each of the last `weeks` calendar weeks (Monday to Sunday, UTC) and of each
 * of the last `months` calendar months, counting the current ones. The snapshot
 * `datastore-latest` points to is never removed.
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
    const current = period(now);
    const seen = new Set<number>();
    for (const snapshot of newestFirst) {
      const key = period(snapshot.time);
      if (key > current - count && !seen.has(key)) {
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
