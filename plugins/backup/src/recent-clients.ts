/**
 * The laptops told "go" lately. The old XS touched a file per laptop and
 * counted the files younger than 5 minutes; here at most `max` different
 * laptops are let in within any window, and a laptop already let in may ask
 * again (a retry adds no load).
 */
export class RecentClients {
  private readonly lastGo = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly max: number,
  ) {}

  /** Let `serial` in at `now` if there is room; true when it may go. */
  admit(serial: string, now: number): boolean {
    for (const [known, at] of this.lastGo) if (now - at >= this.windowMs) this.lastGo.delete(known);
    if (!this.lastGo.has(serial) && this.lastGo.size >= this.max) return false;
    this.lastGo.set(serial, now);
    return true;
  }

  /** Laptops let in within the window ending at `now`. */
  count(now: number): number {
    let count = 0;
    for (const at of this.lastGo.values()) if (now - at < this.windowMs) count++;
    return count;
  }
}
