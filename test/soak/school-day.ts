/**
 * A school day in minutes: the Mothership and the school's daemon (every
 * plugin on) start on loopback; laptops boot over the morning, register,
 * look for updates, browse through squid's helper and back up in waves; the
 * admin imports a USB lease bundle and reloads the configuration twice; the
 * Mothership's data changes at midday. In the afternoon every laptop boots
 * again and the backups are compared. Meanwhile the daemon's memory,
 * descriptors and event-loop lag are sampled; the verdict is in the report.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { join } from 'node:path';
import { Laptop } from 'sugaroid';
import { BackupWaves } from './backup-waves.js';
import { DaemonWatch, sampleProcess, type ProcessSample } from './daemon-figures.js';
import { Deployment } from './deployment.js';
import { Transition, type DayTransitions } from './expectations.js';
import { activate, browse, checkUpdates, middayDomainUrl, register, type DayContext } from './laptop-day.js';
import { Mothership, MIDDAY_ACTIVITY, MORNING_ACTIVITIES } from './mothership.js';
import { planDay, type DayPlan, type LaptopPlan, type SoakOptions } from './plan.js';
import { judge, type SoakReport } from './report.js';
import { School } from './school.js';
import { isBlockAnswer, SquidHelper } from './squid-helper.js';
import { Tally } from './tally.js';

/** How long the school may take to show a change of the Mothership's (a few polls, a compile, a helper reload). */
const FOLLOW_TIMEOUT_MS = 60_000;
/** Laptops booting in the afternoon at once, at most. */
const AFTERNOON_CONCURRENCY = 64;
/** The group description the second reload sets, which the page must show afterwards. */
const AFTERNOON_DESCRIPTION = 'Updated after lunch';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Poll `probe` until it holds; false when `timeoutMs` passed first. */
async function until(probe: () => Promise<boolean>, timeoutMs = FOLLOW_TIMEOUT_MS): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe().catch(() => false)) return true;
    if (Date.now() > deadline) return false;
    await sleep(250);
  }
}

export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const say = (line: string) => options.progress?.(`soak +${((Date.now() - started) / 1000).toFixed(1)} s: ${line}`);
  const day = planDay(options);
  const workdir = await mkdtemp(join(tmpdir(), 'sugar-server-soak-'));
  const deployment = new Deployment();
  const fleet = day.laptops.map((plan) => ({ plan, laptop: Laptop.create({ keyType: plan.oldXo ? 'dsa' : 'ed25519' }) }));
  const group = (test: (plan: LaptopPlan) => boolean) => fleet.filter(({ plan }) => test(plan)).map(({ laptop }) => laptop);

  let mothership: Mothership | undefined;
  let school: School | undefined;
  let helper: SquidHelper | undefined;
  let watch: DaemonWatch | undefined;
  let clientLag: ReturnType<typeof monitorEventLoopDelay> | undefined;
  try {
    say(`${fleet.length} laptops; starting the Mothership`);
    mothership = await Mothership.start(workdir, deployment, group((p) => p.leaseSource === 'mothership'));
    school = await School.start(workdir, mothership, day, options.cpuProfileDir);
    helper = SquidHelper.start(school.daemon.root);
    const transitions: DayTransitions = { usbImport: new Transition(), midday: new Transition(), activitiesReload: new Transition() };
    const tally = new Tally(started);
    const ctx: DayContext = {
      school, helper, tally, transitions,
      deploymentKey: deployment.publicKey,
      morningLists: mothership.morningLists,
      middayLists: mothership.middayLists,
      urlsPerLaptop: day.urlsPerLaptop,
    };

    say('waiting for the school to mirror the Mothership');
    const firstLeased = fleet.find(({ plan }) => plan.leaseSource === 'mothership')!.laptop;
    const mirrored = await until(async () =>
      (await firstLeased.activate('127.0.0.1', school!.activationPort)).outcome === 'lease' &&
      (await firstLeased.checkUpdates(school!.activityPage)).offered === MORNING_ACTIVITIES.length &&
      isBlockAnswer(await helper!.ask(`http://${mothership!.morningLists.domain('adult', 1)}/`)));
    if (!mirrored) throw new Error(`the school did not mirror the Mothership within ${FOLLOW_TIMEOUT_MS} ms`);

    const usbBundle = deployment.bundle(group((p) => p.leaseSource === 'usb'));
    const middayBundle = deployment.bundle(group((p) => p.leaseSource === 'midday'));
    const waves = new BackupWaves(ctx, day);
    await waves.prepare(workdir, fleet.filter(({ plan }) => plan.registers));

    watch = new DaemonWatch(school.daemon.child.pid!, `${school.daemon.url}/metrics`);
    watch.start();
    // The laptops' own process: when it falls behind, their timeouts say nothing about the server.
    clientLag = monitorEventLoopDelay({ resolution: 10 });
    clientLag.enable();
    await sleep(3_000);
    const before = sampleProcess(school.daemon.child.pid!);

    say(`morning: ${fleet.length} laptops boot over ${Math.round(day.bootMs / 1000)} s`);
    const dayStart = Date.now();
    const at = (ms: number) => sleep(Math.max(0, dayStart + ms - Date.now()));
    const boots = fleet.map(async ({ laptop, plan }) => {
      await at(plan.bootAt);
      await activate(ctx, laptop, plan);
      if (plan.registers && (await register(ctx, laptop))) waves.registered(laptop);
      await Promise.all([plan.updateCheck ? checkUpdates(ctx, laptop, plan, plan.updateCheck) : undefined, browse(ctx, laptop, plan)]);
    });
    const backups = waves.runDay(dayStart);
    const events = adminAndMothership(ctx, day, at, { workdir, usbBundle, middayBundle, mothership, school, helper, group, say });

    await Promise.all([...boots, events]);
    say(`morning over; ${waves.pending} laptops still to back up`);
    await backups;

    say('afternoon: every laptop boots again');
    await afternoon(ctx, fleet);
    const backupsComplete = await waves.verify();

    say(`settling for ${Math.round(day.settleMs / 1000)} s`);
    await sleep(day.settleMs);
    const after = sampleProcess(school.daemon.child.pid!);
    watch.stop();
    tally.count('filter: unmatched helper answers', helper.unmatchedAnswers);

    return await judge({
      laptops: fleet.length,
      registered: tally.get('registration: OK'),
      expectedBackups: group((p) => p.registers).length,
      backupsComplete,
      tally,
      transitions,
      memory: { before, peak: peakOf(watch, before, after), after },
      lag: watch.lagSummary,
      lagSeconds: watch.lag.length,
      lagScrapeFailures: watch.scrapeFailures,
      slowestScrapeMs: watch.slowestScrapeMs,
      clientLagMaxMs: Math.max(0, clientLag!.max / 1e6 - 10),
      worstLag: watch.worstSeconds(3).map((l) => ({ ...l, at: (l.at - started) / 1000 })),
      school,
      seconds: (Date.now() - started) / 1000,
    });
  } finally {
    watch?.stop();
    clientLag?.disable();
    if (options.logFile && school) await writeFile(options.logFile, school.daemon.logs.map((line) => `${JSON.stringify(line)}\n`).join(''));
    await helper?.stop();
    await school?.dispose();
    await mothership?.dispose();
    await rm(workdir, { recursive: true, force: true });
  }
}

function peakOf(watch: DaemonWatch, ...others: ProcessSample[]): ProcessSample {
  const all = [watch.peak, ...others];
  return { rssBytes: Math.max(...all.map((s) => s.rssBytes)), fds: Math.max(...all.map((s) => s.fds)), childRssBytes: Math.max(...all.map((s) => s.childRssBytes)) };
}

interface EventParts {
  readonly workdir: string;
  /**
   * Lease bundles signed before the day: RSA signing holds the laptops'
   * process for milliseconds a lease, long enough to make their own timeouts fire.
   */
  readonly usbBundle: string;
  readonly middayBundle: string;
  readonly mothership: Mothership;
  readonly school: School;
  readonly helper: SquidHelper;
  readonly group: (test: (plan: LaptopPlan) => boolean) => Laptop[];
  readonly say: (line: string) => void;
}

/**
 * The admin and the Mothership during the morning: the USB import, a reload
 * changing the filter's policy, the midday update (done once the school
 * shows all of it), and a reload restarting the activities service.
 */
async function adminAndMothership(ctx: DayContext, day: DayPlan, at: (ms: number) => Promise<void>, parts: EventParts): Promise<void> {
  const { tally, transitions } = ctx;
  const { school, mothership, group, say } = parts;
  const attempt = async (what: string, action: () => Promise<void>) => {
    try {
      await action();
      tally.count(`admin: ${what}`);
    } catch (err) {
      tally.unexpected(`admin: ${what}`, err instanceof Error ? err.message : String(err));
    }
  };

  await at(day.usbImportAt);
  say('the admin imports leases from a USB stick');
  transitions.usbImport.begin();
  await attempt('USB lease import', () => school.importUsbLeases(parts.workdir, parts.usbBundle));
  transitions.usbImport.end();

  await at(day.firstReloadAt);
  say('the admin reloads (the filter answers malware with a bare refusal)');
  await attempt('reload', async () => void (await school.reloadWith('60-soak-filter.conf', '[blacklists]\ndeny = malware\n')));

  await at(day.middayUpdateAt);
  say('midday: the Mothership publishes new leases, a stolen laptop, a new Paint and longer lists');
  transitions.midday.begin();
  const newlyLeased = group((p) => p.leaseSource === 'midday');
  const stolen = group((p) => p.stolenAtMidday);
  await attempt('Mothership update', () => mothership.middayUpdate(parts.middayBundle, stolen));
  const followed = await until(async () =>
    (await newlyLeased[0]!.activate('127.0.0.1', school.activationPort)).outcome === 'lease' &&
    (await stolen[0]!.activate('127.0.0.1', school.activationPort)).outcome === 'stolen' &&
    (await newlyLeased[0]!.checkUpdates(school.activityPage)).updates.some((u) => u.id === MIDDAY_ACTIVITY.id && u.version === MIDDAY_ACTIVITY.version) &&
    isBlockAnswer(await parts.helper.ask(middayDomainUrl(ctx, 0))));
  // Until the school shows the whole update, either state is right; if it never does, the check says so.
  if (followed) transitions.midday.end();
  say(followed ? `the school follows the Mothership after ${Date.now() - transitions.midday.startedAt!} ms` : 'the school did not follow the Mothership');

  await at(day.secondReloadAt);
  say('the admin reloads (a new description on the activity page)');
  transitions.activitiesReload.begin();
  await attempt('reload', async () => void (await school.reloadWith('61-soak-activities.conf', `[activities]\ngroup_description = ${AFTERNOON_DESCRIPTION}\n`)));
  // Requests in flight when the service came back may still have met it restarting.
  await sleep(1_000);
  transitions.activitiesReload.end();
}

/**
 * The afternoon: every laptop boots again and must get exactly what the
 * school now holds for it; a tenth check for updates (and see the new page
 * description); every domain added at midday is blocked.
 */
async function afternoon(ctx: DayContext, fleet: readonly { laptop: Laptop; plan: LaptopPlan }[]): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < fleet.length) {
      const { laptop, plan } = fleet[next++]!;
      await activate(ctx, laptop, plan);
      if (plan.index % 10 === 0) {
        await checkUpdates(ctx, laptop, plan, 'microformat');
      }
    }
  };
  await Promise.all(Array.from({ length: AFTERNOON_CONCURRENCY }, worker));
  const page = await fleet[0]!.laptop.checkUpdates(ctx.school.activityPage).catch(() => null);
  if (page?.groupDescription !== AFTERNOON_DESCRIPTION) {
    ctx.tally.unexpected('reload: not applied', `the activity page says "${page?.groupDescription}", the reloaded configuration "${AFTERNOON_DESCRIPTION}"`);
  }
  const added = ctx.middayLists.categories.adult!.domains - ctx.morningLists.categories.adult!.domains;
  await Promise.all(Array.from({ length: added }, async (_, n) => {
    const url = middayDomainUrl(ctx, n);
    const answer = await ctx.helper.ask(url).catch((err: Error) => `no answer: ${err.message}`);
    if (isBlockAnswer(answer)) ctx.tally.count('filter: sent to the block page');
    else ctx.tally.unexpected('filter: wrong verdict', `afternoon: ${url}: ${answer}`);
  }));
}
