/**
 * Which categories block right now: those without time windows always, the
 * others inside their windows. Worked out once a minute, not per lookup.
 */
import type { IndexMeta } from '../index/index-meta.js';
import { ALLOW_ID } from './policy.js';
import { isWithin } from './time-windows.js';

export class ActiveCategories {
  private readonly flags = new Uint8Array(256);
  private minute = -1;
  private meta: IndexMeta | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /** Non-zero at each category id that blocks now (for `meta`'s policy). */
  flagsFor(meta: IndexMeta): Uint8Array {
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    if (minute !== this.minute || meta !== this.meta) {
      this.flags.fill(0);
      const date = new Date(now);
      for (const category of meta.categories) {
        if (category.id !== ALLOW_ID && isWithin(category.windows, date)) this.flags[category.id] = 1;
      }
      this.minute = minute;
      this.meta = meta;
    }
    return this.flags;
  }
}
