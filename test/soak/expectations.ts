/**
 * What each answer should be at each moment of the day. The admin's import
 * and the Mothership's midday update change what the school holds; an action
 * that ran entirely before such a change must see the old state, one that
 * started after it was complete the new one, and one that overlapped it may
 * see either.
 */
import type { ActivationOutcome } from 'sugaroid';
import { MIDDAY_ACTIVITY, MORNING_ACTIVITIES } from './mothership.js';
import type { LaptopPlan } from './plan.js';

/** A change to the school's state, from when it was set off to when the school showed it. */
export class Transition {
  startedAt: number | undefined;
  doneAt: number | undefined;

  begin(): void {
    this.startedAt = Date.now();
  }

  end(): void {
    this.doneAt = Date.now();
  }

  /** Which states an action running from `from` to `to` may have seen. */
  sides(from: number, to: number): { before: boolean; after: boolean } {
    if (this.startedAt === undefined || to < this.startedAt) return { before: true, after: false };
    if (this.doneAt !== undefined && from > this.doneAt) return { before: false, after: true };
    return { before: true, after: true };
  }

  /** Whether an action running from `from` to `to` overlapped it. */
  overlaps(from: number, to: number): boolean {
    const { before, after } = this.sides(from, to);
    return before && after;
  }
}

/** The day's changes. */
export interface DayTransitions {
  readonly usbImport: Transition;
  readonly midday: Transition;
  /** The second reload restarts the activities service: its paths answer 503 meanwhile. */
  readonly activitiesReload: Transition;
}

/** What port 191 may answer `plan`'s laptop over `from`..`to`. */
export function activationOutcomes(plan: LaptopPlan, transitions: DayTransitions, from: number, to: number): Set<ActivationOutcome> {
  const pick = (transition: Transition, before: ActivationOutcome, after: ActivationOutcome) => {
    const sides = transition.sides(from, to);
    return new Set<ActivationOutcome>([...(sides.before ? [before] : []), ...(sides.after ? [after] : [])]);
  };
  switch (plan.leaseSource) {
    case 'mothership':
      return plan.stolenAtMidday ? pick(transitions.midday, 'lease', 'stolen') : new Set(['lease']);
    case 'usb':
      return pick(transitions.usbImport, 'none', 'lease');
    case 'midday':
      return pick(transitions.midday, 'none', 'lease');
    case 'none':
      return new Set(['none']);
  }
}

/** What every laptop has installed: older Write and Music, the current Paint, no TurtleArt. */
export const INSTALLED = [
  { id: 'org.laptop.AbiWordActivity', version: '2', name: 'Write' },
  { id: 'org.laptop.Oficina', version: '2', name: 'Paint' },
  { id: 'org.sugarlabs.MusicKeyboard', version: '1', name: 'Music' },
];

/** The updates offered (`id@version`, sorted), by protocol, in the morning and after midday. */
function offered(protocol: 'microformat' | 'aslo', afterMidday: boolean): string {
  const releases = [...MORNING_ACTIVITIES.filter((r) => !(afterMidday && r.id === MIDDAY_ACTIVITY.id)), ...(afterMidday ? [MIDDAY_ACTIVITY] : [])];
  return releases
    .filter((release) => {
      const have = INSTALLED.find((i) => i.id === release.id);
      // ASLO is asked only about what is installed; the page also offers what is not.
      if (!have) return protocol === 'microformat';
      return Number(release.version) > Number(have.version);
    })
    .map((release) => `${release.id}@${release.version}`)
    .sort()
    .join(' ');
}

/** The offers an update check over `from`..`to` may have seen. */
export function updateOffers(protocol: 'microformat' | 'aslo', transitions: DayTransitions, from: number, to: number): Set<string> {
  const sides = transitions.midday.sides(from, to);
  return new Set([...(sides.before ? [offered(protocol, false)] : []), ...(sides.after ? [offered(protocol, true)] : [])]);
}
