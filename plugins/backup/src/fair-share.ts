/**
 * Keeping the backup volume under its quota the old XS's way: while the
 * laptops' backups hold more than the quota, each laptop holding more than its
 * fair share (the quota divided by the laptops with backups) loses its oldest
 * snapshot, round after round, the laptop furthest over its share first, until
 * the backups fit or no laptop over its share has a snapshot left to lose. A
 * laptop's newest snapshot, and the one datastore-latest points to, are never
 * removed.
 *
 * Every file is counted once however many snapshots link to it, so removing a
 * snapshot frees only the files no other name holds. This decides on figures
 * measured beforehand (see usage.ts) and touches nothing.
 */

/** Bytes of a laptop's distinct files held by exactly these top-level names of its folder (snapshots, datastore-current, ...). */
export interface FileShare {
  readonly holders: readonly string[];
  readonly bytes: number;
}

/** What one laptop's folder holds. */
export interface LaptopHoldings {
  readonly serial: string;
  /** Its snapshots, oldest first. */
  readonly snapshots: readonly string[];
  /** The snapshot datastore-latest points to, kept as the newest is. */
  readonly latest: string | null;
  readonly shares: readonly FileShare[];
}

export interface PlannedRemoval {
  readonly serial: string;
  readonly snapshot: string;
  /** 1 for the first round. */
  readonly round: number;
  /** The laptop's bytes before this removal, and the bytes it frees. */
  readonly usage: number;
  readonly freed: number;
}

export interface FairSharePlan {
  readonly quota: number;
  readonly fairShare: number;
  /** The backups' bytes, each file once, before and after the removals. */
  readonly usedBefore: number;
  readonly usedAfter: number;
  /** In the order to make them. */
  readonly removals: readonly PlannedRemoval[];
}

/** One laptop while the plan is made: its snapshots not yet removed and its bytes. */
class LaptopState {
  private readonly gone = new Set<string>();
  usage: number;

  constructor(readonly holdings: LaptopHoldings) {
    this.usage = this.measure();
  }

  /** The oldest snapshot it may lose, or null. */
  nextToRemove(): string | null {
    const { snapshots, latest } = this.holdings;
    const newest = snapshots.at(-1);
    return snapshots.find((name) => name !== newest && name !== latest && !this.gone.has(name)) ?? null;
  }

  /** Remove `name`; returns the bytes freed. */
  remove(name: string): number {
    this.gone.add(name);
    const before = this.usage;
    this.usage = this.measure();
    return before - this.usage;
  }

  private measure(): number {
    let bytes = 0;
    for (const share of this.holdings.shares) if (share.holders.some((holder) => !this.gone.has(holder))) bytes += share.bytes;
    return bytes;
  }
}

/** Which snapshots to remove so the laptops' backups fit `quota` bytes (> 0). */
export function planFairShare(laptops: readonly LaptopHoldings[], quota: number): FairSharePlan {
  const states = laptops.map((holdings) => new LaptopState(holdings));
  const total = () => states.reduce((sum, state) => sum + state.usage, 0);
  const usedBefore = total();
  const fairShare = states.length > 0 ? quota / states.length : quota;
  const removals: PlannedRemoval[] = [];
  let used = usedBefore;
  for (let round = 1; used > quota; round++) {
    const over = states
      .filter((state) => state.usage > fairShare && state.nextToRemove() !== null)
      .sort((a, b) => b.usage - a.usage || a.holdings.serial.localeCompare(b.holdings.serial));
    if (over.length === 0) break;
    for (const state of over) {
      if (used <= quota) break;
      const snapshot = state.nextToRemove()!;
      const usage = state.usage;
      const freed = state.remove(snapshot);
      used -= freed;
      removals.push({ serial: state.holdings.serial, snapshot, round, usage, freed });
    }
  }
  return { quota, fairShare, usedBefore, usedAfter: used, removals };
}
