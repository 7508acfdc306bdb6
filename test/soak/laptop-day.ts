/**
 * What one laptop does when it boots: ask port 191 for its lease, register
 * (one in five), look for activity updates and download one, and browse a
 * little through squid's helper. Every answer is judged against what the
 * protocol and the day's state call for, and counted.
 */
import type { KeyObject } from 'node:crypto';
import { isSugaroidError, type Laptop } from 'sugaroid';
import { streamUrl, type GeneratedLists } from '../fixtures/blacklists/generate.js';
import { activationOutcomes, INSTALLED, updateOffers, type DayTransitions } from './expectations.js';
import type { LaptopPlan } from './plan.js';
import type { School } from './school.js';
import { isBlockAnswer, type SquidHelper } from './squid-helper.js';
import type { Tally } from './tally.js';

/** `Retry-After` of a path whose plugin is starting. */
const STARTING_RETRY_MS = 5_000;
/** Tries of an update check or download that met a restarting service. */
const UPDATE_ATTEMPTS = 3;

/** Everything a laptop reaches during the day, and where its answers are counted. */
export interface DayContext {
  readonly school: School;
  readonly helper: SquidHelper;
  readonly deploymentKey: KeyObject;
  readonly morningLists: GeneratedLists;
  readonly middayLists: GeneratedLists;
  readonly transitions: DayTransitions;
  readonly tally: Tally;
  readonly urlsPerLaptop: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const describe = (err: unknown) => (isSugaroidError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? err.message : String(err));

/** The XO's exchange on port 191, judged as the XO judges it (serial, expiry, signature). */
export async function activate(ctx: DayContext, laptop: Laptop, plan: LaptopPlan): Promise<void> {
  const from = Date.now();
  try {
    const result = await laptop.activate('127.0.0.1', ctx.school.activationPort, { publicKey: ctx.deploymentKey });
    const allowed = activationOutcomes(plan, ctx.transitions, from, Date.now());
    if (allowed.has(result.outcome)) ctx.tally.count(`activation: ${result.outcome}`);
    else ctx.tally.unexpected('activation: wrong answer', `${laptop.serial} (${plan.leaseSource}) got ${result.outcome}, expected ${[...allowed].join(' or ')}`);
  } catch (err) {
    ctx.tally.unexpected('activation: error', `${laptop.serial}: ${describe(err)}`);
  }
}

/** Sugar's Register over XML-RPC; true when the school took it. */
export async function register(ctx: DayContext, laptop: Laptop): Promise<boolean> {
  try {
    const answer = await laptop.register(ctx.school.registration);
    if (answer.success === 'OK') {
      ctx.tally.count('registration: OK');
      return true;
    }
    ctx.tally.unexpected('registration: refused', `${laptop.serial}: ${answer.success} ${answer.error ?? ''}`);
  } catch (err) {
    ctx.tally.unexpected('registration: error', `${laptop.serial}: ${describe(err)}`);
  }
  return false;
}

/**
 * Look for updates as Sugar's updater does, and download the first one
 * offered when `plan.downloads`. While the activities service restarts on
 * the admin's reload its paths answer 503 with Retry-After, which the
 * laptop honours; that is the only failure the protocol calls for.
 */
export async function checkUpdates(ctx: DayContext, laptop: Laptop, plan: LaptopPlan, protocol: 'microformat' | 'aslo'): Promise<void> {
  for (let attempt = 1; attempt <= UPDATE_ATTEMPTS; attempt++) {
    const from = Date.now();
    let failure: string;
    try {
      const url = protocol === 'aslo' ? ctx.school.aslo : ctx.school.activityPage;
      const check = await laptop.checkUpdates(url, { protocol, installed: INSTALLED });
      if (check.failed.length === 0) {
        const offers = check.updates.map((u) => `${u.id}@${u.version}`).sort().join(' ');
        const allowed = updateOffers(protocol, ctx.transitions, from, Date.now());
        if (!allowed.has(offers)) {
          ctx.tally.unexpected('updates: wrong offer', `${laptop.serial} (${protocol}) was offered "${offers}", expected ${[...allowed].map((a) => `"${a}"`).join(' or ')}`);
          return;
        }
        ctx.tally.count(`updates: checked (${protocol})`);
        if (!plan.downloads || check.updates.length === 0) return;
        const update = check.updates[0]!;
        await laptop.download(update.url, { expect: { id: update.id, version: update.version } });
        ctx.tally.count('updates: bundle downloaded');
        return;
      }
      failure = check.failed.map((f) => `${f.id}: ${f.reason}`).join('; ');
    } catch (err) {
      // Only a 503 (or a cut-off read) while the service restarts is called for.
      if (isSugaroidError(err) && err.status !== undefined && err.status !== 503) {
        ctx.tally.unexpected('updates: error', `${laptop.serial} (${protocol}): ${describe(err)}`);
        return;
      }
      failure = describe(err);
    }
    if (!ctx.transitions.activitiesReload.overlaps(from, Date.now())) {
      ctx.tally.unexpected('updates: error', `${laptop.serial} (${protocol}): ${failure}`);
      return;
    }
    ctx.tally.count('updates: 503 while activities restarted, retried');
    await sleep(STARTING_RETRY_MS);
  }
  ctx.tally.unexpected('updates: error', `${laptop.serial} (${protocol}): still failing after ${UPDATE_ATTEMPTS} tries across the reload`);
}

/**
 * Browsing: URLs from the morning's lists (listed domains, subdomains, URL
 * entries, expression hits, clean sites, spelled the ways browsers spell
 * them), and one domain the Mothership adds at midday.
 */
export async function browse(ctx: DayContext, laptop: Laptop, plan: LaptopPlan): Promise<void> {
  const asks: Promise<void>[] = [];
  for (let k = 0; k < ctx.urlsPerLaptop - 1; k++) {
    const { url, category } = streamUrl(ctx.morningLists, plan.index * ctx.urlsPerLaptop + k);
    asks.push(filterCheck(ctx, laptop, url, { before: category !== null, after: category !== null }));
  }
  asks.push(filterCheck(ctx, laptop, middayDomainUrl(ctx, plan.index), { before: false, after: true }));
  await Promise.all(asks);
}

/** A page on domain `n` of those the midday lists add. */
export function middayDomainUrl(ctx: Pick<DayContext, 'morningLists' | 'middayLists'>, n: number): string {
  const morning = ctx.morningLists.categories.adult!.domains;
  const added = ctx.middayLists.categories.adult!.domains - morning;
  return `http://${ctx.middayLists.domain('adult', morning + (n % added))}/index.html`;
}

async function filterCheck(ctx: DayContext, laptop: Laptop, url: string, blocked: { before: boolean; after: boolean }): Promise<void> {
  const from = Date.now();
  let answer: string;
  try {
    answer = await ctx.helper.ask(url);
  } catch (err) {
    ctx.tally.unexpected('filter: no answer', `${url}: ${describe(err)}`);
    return;
  }
  const sides = ctx.transitions.midday.sides(from, Date.now());
  const allowed = new Set([...(sides.before ? [blocked.before] : []), ...(sides.after ? [blocked.after] : [])]);
  const isBlocked = isBlockAnswer(answer);
  if (!isBlocked && answer !== 'OK') ctx.tally.unexpected('filter: not a rewrite answer', `${url}: ${answer}`);
  else if (!allowed.has(isBlocked)) ctx.tally.unexpected('filter: wrong verdict', `${laptop.serial} asked ${url}: ${answer}`);
  else ctx.tally.count(isBlocked ? 'filter: sent to the block page' : 'filter: let through');
}
