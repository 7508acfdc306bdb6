/**
 * The short school day (`npm run soak -- --laptops 200`) as CI runs it, with
 * a fixed seed: every check of the soak must hold, and the day must have met
 * each kind of answer it is about.
 */
import { describe, expect, it } from 'vitest';
import { runSoak } from './school-day.js';

describe('a short school day: 200 laptops', () => {
  it('answers only what the protocols call for, backs up every registered laptop whole, and returns to its level', async () => {
    const report = await runSoak({ laptops: 200, seed: 14 });

    expect(report.failures, [report.line, ...report.notes, ...report.unexpected].join('\n')).toEqual([]);
    expect(report.figures.registered).toBe(40);
    expect(report.figures.backupsComplete).toBe(40);
    // The day went through what it is meant to: leases and their absence, a
    // stolen laptop, "busy" from the availability limits, updates with
    // downloads by both protocols, blocked and allowed browsing, the admin's
    // import and both reloads, the Mothership's update.
    for (const answer of [
      'activation: lease', 'activation: none', 'activation: stolen',
      'backup: availability 503 busy', 'backup: transfers done',
      'updates: checked (microformat)', 'updates: checked (aslo)', 'updates: bundle downloaded',
      'filter: sent to the block page', 'filter: let through',
    ]) {
      expect(report.answers[answer], answer).toBeGreaterThan(0);
    }
    expect(report.answers['admin: USB lease import']).toBe(1);
    expect(report.answers['admin: reload']).toBe(2);
    expect(report.answers['admin: Mothership update']).toBe(1);
  });
});
