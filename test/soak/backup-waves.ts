/**
 * ds-backup through the day: registered laptops back up in waves (their
 * cron runs), each one asking the availability URL, backing off 2ⁿ units on
 * "busy" as ds-backup does and giving up after six tries until its next run,
 * then the three rsync transfers over the school's SSH endpoint and the
 * completion file. At the end each laptop's newest snapshot is compared, file
 * by file, with the Journal it sent.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { LaptopSummary } from 'sugar-server-backup';
import { compareTrees, generateJournal, isSugaroidError, SugaroidErrors, type Laptop } from 'sugaroid';
import type { DayContext } from './laptop-day.js';
import type { DayPlan, LaptopPlan } from './plan.js';

/** One registered laptop's data and how far its backups got. */
interface Backer {
  readonly laptop: Laptop;
  readonly plan: LaptopPlan;
  readonly journal: string;
  readonly documents: string | undefined;
  /** Registered, so the school will let it in. */
  registered: boolean;
  inFlight: boolean;
  done: boolean;
}

/**
 * The niceness of the laptops' rsync and ssh. On a real day they run on the
 * laptops; here they share the server's CPUs, and at the server's own priority
 * half the day's bulk work would be the laptops' and count against the server.
 * The lowest there is: the scheduler weighs a process at 10 a tenth of one at
 * 0, so forty of them busy at once still outweighed the daemon (worst seconds
 * of 546 and 596 ms at 10 where 393 at 19).
 */
const LAPTOP_NICE = 19;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class BackupWaves {
  private readonly backers = new Map<string, Backer>();
  private readonly running = new Set<Promise<void>>();
  wavesRun = 0;

  constructor(
    private readonly ctx: DayContext,
    private readonly day: DayPlan,
  ) {}

  /** Lay out a small Journal (and Documents) for each laptop that will register. */
  async prepare(workdir: string, laptops: readonly { laptop: Laptop; plan: LaptopPlan }[]): Promise<void> {
    for (const { laptop, plan } of laptops) {
      const journal = join(workdir, 'journals', laptop.serial);
      await generateJournal(journal, { bytes: 160 * 1024, entries: 12, largeEntries: 1 });
      let documents: string | undefined;
      if (plan.documents) {
        documents = join(workdir, 'documents', laptop.serial);
        await mkdir(documents, { recursive: true });
        await generateJournal(documents, { bytes: 32 * 1024, entries: 2, largeEntries: 0 });
      }
      this.backers.set(laptop.serial, { laptop, plan, journal, documents, registered: false, inFlight: false, done: false });
    }
  }

  /** The school took this laptop's registration: its next wave may back it up. */
  registered(laptop: Laptop): void {
    const backer = this.backers.get(laptop.serial);
    if (backer) backer.registered = true;
  }

  get pending(): number {
    return [...this.backers.values()].filter((b) => !b.done).length;
  }

  get completed(): number {
    return [...this.backers.values()].filter((b) => b.done).length;
  }

  /**
   * Run the morning's waves at their times (ms after `dayStart`), then
   * catch-up waves one interval apart until every laptop has backed up or
   * the catch-up waves run out.
   */
  async runDay(dayStart: number): Promise<void> {
    const interval = this.day.bootMs / this.day.backupWaves;
    for (let w = 1; w <= this.day.backupWaves; w++) {
      await sleep(Math.max(0, dayStart + w * interval - Date.now()));
      this.wave();
    }
    for (let extra = 0; extra < this.day.catchUpWaves; extra++) {
      await sleep(interval);
      if (this.pending === 0 && this.running.size === 0) break;
      this.wave();
    }
    while (this.running.size) await Promise.race(this.running);
  }

  /** Every registered laptop not yet backed up and not backing up now starts, within the jitter. */
  private wave(): void {
    this.wavesRun++;
    for (const backer of this.backers.values()) {
      if (!backer.registered || backer.done || backer.inFlight) continue;
      backer.inFlight = true;
      const run = sleep(Math.random() * this.day.waveJitterMs)
        .then(() => this.backUp(backer))
        .finally(() => {
          backer.inFlight = false;
          this.running.delete(run);
        });
      this.running.add(run);
    }
  }

  private async backUp(backer: Backer): Promise<void> {
    const { tally, school } = this.ctx;
    try {
      const result = await backer.laptop.backup('127.0.0.1', {
        journal: backer.journal,
        documents: backer.documents,
        httpPort: school.httpPort,
        sshPort: school.sshPort,
        backoffBaseMs: this.day.backoffBaseMs,
        sshOptions: ['ConnectTimeout 30'],
        // The laptops' rsync and ssh stand for other machines' CPUs: here they yield to the server's.
        nice: LAPTOP_NICE,
      });
      tally.count('backup: availability 503 busy', result.checks - 1);
      tally.count('backup: transfers done');
      backer.done = true;
    } catch (err) {
      if (SugaroidErrors.BUSY.is(err)) {
        // Six times busy: ds-backup tries again at its next run, the next wave here.
        tally.count('backup: availability 503 busy', 6);
        tally.count('backup: told to come back at the next run');
        return;
      }
      tally.unexpected('backup: error', `${backer.laptop.serial}${backer.plan.oldXo ? ' (old XO)' : ''}: ${isSugaroidError(err) ? `${err.code}: ${err.message}` : String(err)}`);
    }
  }

  /**
   * Wait until the school recorded a snapshot for every laptop that finished
   * a backup, then compare each newest snapshot (and Documents) with what
   * the laptop sent. Resolves with the number found complete.
   */
  async verify(): Promise<number> {
    const done = [...this.backers.values()].filter((b) => b.done);
    const deadline = Date.now() + 60_000;
    let recorded = new Map<string, LaptopSummary>();
    for (;;) {
      const { laptops } = await this.ctx.school.admin<{ laptops: LaptopSummary[] }>('/backup/v1/laptops');
      recorded = new Map(laptops.filter((l) => l.lastBackup !== null).map((l) => [l.serial, l]));
      if (done.every((b) => recorded.has(b.laptop.serial)) || Date.now() > deadline) break;
      await sleep(250);
    }
    let complete = 0;
    for (const backer of done) {
      const serial = backer.laptop.serial;
      if (!recorded.has(serial)) {
        this.ctx.tally.unexpected('backup: no snapshot', `${serial} finished its transfers but no snapshot was recorded within 60 s`);
        continue;
      }
      const folder = join(this.ctx.school.backups, serial);
      const differences = [
        ...(await compareTrees(backer.journal, join(folder, 'datastore-latest'), 5)),
        ...(backer.documents ? (await compareTrees(backer.documents, join(folder, 'documents'), 5)).map((d) => `documents: ${d}`) : []),
      ];
      if (differences.length) this.ctx.tally.unexpected('backup: snapshot differs', `${serial}: ${differences.join('; ')}`);
      else complete++;
    }
    return complete;
  }
}
