/**
 * The shape of a school day, scaled to the number of laptops: how long the
 * morning boot lasts, when the admin and the Mothership act, how backups come
 * in waves, and what each laptop holds and does. Everything is a function of
 * the laptop count and the seed, so a failing day can be run again.
 */

/** What `npm run soak` is asked for. */
export interface SoakOptions {
  /** Laptops in the school (2,000 for the full day, 200 for CI). */
  readonly laptops: number;
  /** Seeds boot times and the order of events within a wave. */
  readonly seed?: number;
  /** Progress lines (one per phase) go here; silent unless given. */
  readonly progress?: (line: string) => void;
  /** Write the school daemon's log lines (JSON, one a line) to this file at the end. */
  readonly logFile?: string;
  /** Write the school daemon's CPU profile (`node --cpu-prof`) into this folder when it stops. */
  readonly cpuProfileDir?: string;
}

/** Where a laptop's activation lease comes from, which decides what port 191 answers it over the day. */
export type LeaseSource =
  /** In the Mothership's bundle from the start. */
  | 'mothership'
  /** In the bundle the admin imports from a USB folder in the morning. */
  | 'usb'
  /** Added to the Mothership's bundle by its update at midday. */
  | 'midday'
  /** Nowhere: port 191 answers nothing, as the protocol says for no lease. */
  | 'none';

/** One laptop's part in the day. */
export interface LaptopPlan {
  readonly index: number;
  readonly leaseSource: LeaseSource;
  /** Reported stolen at the Mothership in its midday update. */
  readonly stolenAtMidday: boolean;
  /** One laptop in five registers (and so backs up). */
  readonly registers: boolean;
  /** Old XOs hold DSA keys and speak OpenSSH 5's algorithms. */
  readonly oldXo: boolean;
  /** Checks for activity updates at boot, by the microformat page or by ASLO. */
  readonly updateCheck: 'microformat' | 'aslo' | null;
  /** Downloads the first update it is offered. */
  readonly downloads: boolean;
  /** Has a Documents folder for ds-backup's third transfer. */
  readonly documents: boolean;
  /** Milliseconds after the day starts when it boots. */
  readonly bootAt: number;
}

/** The day's timetable and the limits the school runs under. */
export interface DayPlan {
  readonly laptops: readonly LaptopPlan[];
  /** The morning boot is spread over this long. */
  readonly bootMs: number;
  /** Times (ms after the start) of the admin's and the Mothership's actions. */
  readonly usbImportAt: number;
  readonly firstReloadAt: number;
  readonly middayUpdateAt: number;
  readonly secondReloadAt: number;
  /** Backups come in this many waves over the morning, then in catch-up waves. */
  readonly backupWaves: number;
  /** At most this many catch-up waves after the morning's, so the day ends. */
  readonly catchUpWaves: number;
  /** Laptops of a wave start within this long of its time (cron is not exact either). */
  readonly waveJitterMs: number;
  /** ds-backup's back-off unit: 60 s on an XO, shrunk with the day. */
  readonly backoffBaseMs: number;
  /** `[backup] max_clients` and `client_window`: what the wave runs into. */
  readonly maxClients: number;
  readonly clientWindowMs: number;
  /** Filter checks each laptop's browsing sends through squid's helper. */
  readonly urlsPerLaptop: number;
  /** How long the daemon is left alone before its memory and descriptors are read again. */
  readonly settleMs: number;
}

/** Deterministic 32-bit generator (mulberry32): the same seed, the same day. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function leaseSource(i: number): LeaseSource {
  const slot = i % 20;
  if (slot < 16) return 'mothership';
  if (slot < 18) return 'usb';
  return slot === 18 ? 'midday' : 'none';
}

export function planDay(options: SoakOptions): DayPlan {
  const count = options.laptops;
  if (!Number.isInteger(count) || count < 20 || count > 20_000) throw new RangeError(`laptops must be a whole number from 20 to 20000, not ${count}`);
  const random = seededRandom(options.seed ?? 1);
  // 90 ms a laptop: 2,000 boot over three minutes, 200 over the 20 s floor.
  const bootMs = Math.min(180_000, Math.max(20_000, count * 90));
  const registered = Math.ceil(count / 5);
  const backupWaves = count >= 1000 ? 4 : 2;
  const laptops = Array.from({ length: count }, (_, i): LaptopPlan => {
    const registers = i % 5 === 1;
    return {
      index: i,
      leaseSource: leaseSource(i),
      stolenAtMidday: i % 100 === 0,
      registers,
      oldXo: registers && i % 50 === 1,
      updateCheck: i % 2 === 0 ? (i % 10 === 4 ? 'aslo' : 'microformat') : null,
      downloads: i % 10 === 2,
      documents: registers && i % 10 === 1,
      bootAt: Math.floor(random() * bootMs),
    };
  });
  return {
    laptops,
    bootMs,
    usbImportAt: Math.round(bootMs * 0.25),
    firstReloadAt: Math.round(bootMs * 0.4),
    middayUpdateAt: Math.round(bootMs * 0.5),
    secondReloadAt: Math.round(bootMs * 0.75),
    backupWaves,
    catchUpWaves: 6,
    waveJitterMs: 2_000,
    backoffBaseMs: 500,
    // Half a wave per window: every wave meets "busy" and backs off.
    maxClients: Math.max(3, Math.ceil(registered / backupWaves / 2)),
    clientWindowMs: 5_000,
    urlsPerLaptop: 4,
    settleMs: count >= 1000 ? 30_000 : 10_000,
  };
}
