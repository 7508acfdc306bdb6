import { describe, expect, it } from 'vitest';
import { planFairShare, type LaptopHoldings } from './fair-share.js';

const snap = (day: number) => `datastore-2026-06-${String(day).padStart(2, '0')}_12:00`;

/** A laptop whose snapshots (days given) each hold `each` bytes of their own, and datastore-current shares the newest's. */
function laptop(serial: string, days: number[], each: number): LaptopHoldings {
  const snapshots = days.map(snap);
  return {
    serial,
    snapshots,
    latest: snapshots.at(-1) ?? null,
    shares: snapshots.map((name, i) => ({ holders: i === snapshots.length - 1 ? [name, 'datastore-current'] : [name], bytes: each })),
  };
}

const removed = (plan: ReturnType<typeof planFairShare>) => plan.removals.map((r) => `${r.round}:${r.serial}:${r.snapshot.slice(-11, -6)}`);

describe('planFairShare', () => {
  it('removes nothing while the backups fit the quota', () => {
    const plan = planFairShare([laptop('SHC00000001', [1, 2, 3], 100), laptop('SHC00000002', [1, 2], 100)], 500);
    expect(plan).toMatchObject({ quota: 500, usedBefore: 500, usedAfter: 500, fairShare: 250, removals: [] });
  });

  it('takes the oldest snapshot of each laptop over its fair share (quota ÷ laptops), and spares the laptops under it', () => {
    const big = laptop('SHC00000001', [1, 2, 3, 4], 100);
    const small = laptop('SHC00000002', [1, 2, 3], 10);
    // 430 bytes against 400: fair share 200; only the first laptop (400) is over it.
    const plan = planFairShare([big, small], 400);
    expect(plan.fairShare).toBe(200);
    expect(removed(plan)).toEqual(['1:SHC00000001:06-01']);
    expect(plan.removals[0]).toMatchObject({ freed: 100, usage: 400 });
    expect(plan.usedAfter).toBe(330);
  });

  it('goes round after round, one snapshot per laptop over its share each round, until the backups fit', () => {
    const a = laptop('SHC00000001', [1, 2, 3, 4, 5, 6], 100);
    const b = laptop('SHC00000002', [1, 2, 3, 4], 100);
    const c = laptop('SHC00000003', [1, 2], 50);
    // 1100 bytes against 600: fair share 200.
    const plan = planFairShare([a, b, c], 600);
    expect(removed(plan)).toEqual([
      '1:SHC00000001:06-01', '1:SHC00000002:06-01',
      '2:SHC00000001:06-02', '2:SHC00000002:06-02',
      '3:SHC00000001:06-03',
    ]);
    expect(plan.usedAfter).toBe(600);
  });

  it('in a round, takes from the laptop furthest over its share first, and stops as soon as the backups fit', () => {
    const a = laptop('SHC00000001', [1, 2, 3, 4, 5, 6, 7], 100);
    const b = laptop('SHC00000002', [1, 2, 3, 4], 200);
    // 1500 bytes against 1350: fair share 675, both over it, the second the furthest; one snapshot of it is enough.
    const plan = planFairShare([a, b], 1350);
    expect(removed(plan)).toEqual(['1:SHC00000002:06-01']);
    expect(plan.usedAfter).toBe(1300);
  });

  it('never removes a laptop\'s newest snapshot, nor the one datastore-latest points to, even when still over', () => {
    const lone = laptop('SHC00000001', [1], 1000);
    const pinned = { ...laptop('SHC00000002', [1, 2, 3], 400), latest: snap(2) };
    const plan = planFairShare([lone, pinned], 600);
    expect(removed(plan)).toEqual(['1:SHC00000002:06-01']);
    expect(plan.usedAfter).toBe(1800);
  });

  it('counts hard-linked data once: a snapshot whose files a newer one shares frees nothing, and the next is taken', () => {
    const shared: LaptopHoldings = {
      serial: 'SHC00000001',
      snapshots: [snap(1), snap(2), snap(3)],
      latest: snap(3),
      shares: [
        { holders: [snap(1), snap(2)], bytes: 300 },
        { holders: [snap(2)], bytes: 100 },
        { holders: [snap(3), 'datastore-current'], bytes: 100 },
      ],
    };
    const plan = planFairShare([shared], 200);
    expect(plan.usedBefore).toBe(500);
    expect(removed(plan)).toEqual(['1:SHC00000001:06-01', '2:SHC00000001:06-02']);
    expect(plan.removals.map((r) => r.freed)).toEqual([0, 400]);
    expect(plan.usedAfter).toBe(100);
  });

  it('gives each laptop the same share however many snapshots it has', () => {
    const many = laptop('SHC00000001', [1, 2, 3, 4, 5, 6, 7, 8], 10);
    const few = laptop('SHC00000002', [1, 2], 150);
    // 380 bytes against 300: fair share 150; the first (80) is under it, the second (300) over.
    expect(removed(planFairShare([many, few], 300))).toEqual(['1:SHC00000002:06-01']);
  });
});
