/**
 * The core's side of feeds: the publisher every plugin publishes through, the
 * trust a school places in its upstream (`[feeds] trusted_keys`), the school's
 * configuration feed, and imports from a disk.
 */
import { join } from 'node:path';
import { Router } from '@koa/router';
import type { Middleware } from 'koa';
import type { CoreConfig } from './config/schema.js';
import { ServerErrors, isSugarError } from './errors.js';
import {
  CONFIG_FEED,
  configFeedFiles,
  FeedPublisher,
  importFeeds,
  MirroredFeed,
  MirrorRegistry,
  readPublicKeys,
  readSigningKey,
  trustRoots,
  upstreamConfigApplier,
  type FeedState,
  type PublisherSigning,
  type TrustRoots,
} from './feeds/index.js';
import { readJson } from './http/body.js';
import type { Logger } from './log.js';
import { dropInDir, type Paths } from './paths.js';

export type FeedSettings = CoreConfig['feeds'];

/** What `[feeds]` names on disk, read before a configuration is accepted. */
export interface FeedKeys {
  readonly roots: TrustRoots;
  readonly signing: PublisherSigning | null;
}

/** Read the keys `[feeds]` names; a missing or bad key file is a configuration problem (`file:line`). */
export async function readFeedKeys(settings: FeedSettings): Promise<FeedKeys> {
  const problems: string[] = [];
  const attempt = async <T>(read: () => Promise<T>): Promise<T | null> => {
    try {
      return await read();
    } catch (err) {
      problems.push(isSugarError(err) ? err.message : String(err));
      return null;
    }
  };
  const roots = settings.trusted_keys ? await attempt(() => readPublicKeys(settings.trusted_keys!)) : null;
  const key = settings.signing_key ? await attempt(() => readSigningKey(settings.signing_key!)) : null;
  if (problems.length) throw ServerErrors.CONFIG(problems.map((p) => `[feeds] ${p}`));
  return {
    roots: trustRoots(roots),
    signing: key ? { key, lifetimeMs: settings.signature_lifetime, ...(settings.keys_file ? { keysFile: settings.keys_file } : {}) } : null,
  };
}

export interface UpstreamHooks {
  /** Problems of the configuration with `text` as the upstream drop-in. */
  check(text: string | null, label: string): Promise<readonly string[]>;
  reload(): Promise<boolean>;
}

export class DeploymentFeeds {
  readonly publisher: FeedPublisher;
  readonly mirrors = new MirrorRegistry();
  private roots: TrustRoots = null;
  private upstream: { mirror: MirroredFeed; abort: AbortController; key: string } | undefined;

  constructor(
    private readonly paths: Paths,
    private readonly log: Logger,
    private readonly hooks: UpstreamHooks,
  ) {
    this.publisher = new FeedPublisher(join(paths.data, 'core', 'feeds-published.json'));
  }

  /** The roots a mirror checks against now. */
  readonly trust = (): TrustRoots => this.roots;

  /** Take keys and settings of a configuration just accepted (start or reload). */
  async apply(keys: FeedKeys, settings: FeedSettings): Promise<void> {
    this.roots = keys.roots;
    this.publisher.sign(keys.signing);
    this.publisher.withdraw('core');
    if (settings.config_dir) {
      const dir = settings.config_dir;
      this.publisher.publish('core', { name: CONFIG_FEED, files: () => configFeedFiles(dir) });
    }
    if (!keys.roots) this.log.warn('feeds are taken unauthenticated: without [feeds] trusted_keys anyone who answers for the upstream can change what laptops get');
    await this.followUpstream(settings);
  }

  /** Feeds the core itself mirrors (the configuration feed), for /status. */
  states(): FeedState[] {
    return this.upstream ? [this.upstream.mirror.state()] : [];
  }

  /** Every mirror with its owner, for the metrics. */
  samples(owners: () => readonly { service: string; feeds: readonly FeedState[] }[]): { owner: string; state: FeedState }[] {
    return [
      ...this.states().map((state) => ({ owner: 'core', state })),
      ...owners().flatMap((plugin) => plugin.feeds.map((state) => ({ owner: plugin.service, state }))),
    ];
  }

  summary() {
    return { trust: this.roots ? 'signed' : 'unauthenticated', publishing: this.publisher.names(), signing: this.publisher.signed, config: this.states()[0] ?? null };
  }

  /** `POST /core/v1/feeds/import {dir}`: feeds from a disk, with the network's checks. */
  adminRouter(requireAdmin: Middleware): Router {
    const router = new Router({ prefix: '/core/v1/feeds' });
    router.post('/import', requireAdmin, async (ctx) => {
      const { dir } = (await readJson(ctx)) as { dir?: unknown };
      if (typeof dir !== 'string' || !dir) throw ServerErrors.BAD_REQUEST('"dir" must be the absolute path of the disk\'s folder');
      const report = await importFeeds(dir, this.mirrors, this.log);
      ctx.status = report.ok ? 200 : 422;
      ctx.body = report;
    });
    return router;
  }

  stop(): void {
    this.stopUpstream();
  }

  /** Mirror the upstream's configuration feed when `[feeds] upstream` and `trusted_keys` say so; restart it when they change. */
  private async followUpstream(settings: FeedSettings): Promise<void> {
    const url = settings.upstream === undefined ? undefined : settings.upstream === 'usb' ? 'usb' : new URL('feeds/v1/config/', settings.upstream).href;
    const key = JSON.stringify([url, settings.group, settings.config_interval, this.roots ? [...this.roots.keys()] : null]);
    if (this.upstream?.key === key) return;
    this.stopUpstream();
    if (!url) return;
    if (!this.roots) {
      this.log.warn({ upstream: url }, 'the configuration feed is only taken signed: set [feeds] trusted_keys to follow it');
      return;
    }
    const abort = new AbortController();
    const mirror = new MirroredFeed(
      {
        name: CONFIG_FEED,
        url,
        intervalMs: settings.config_interval,
        apply: upstreamConfigApplier({ dropInDir: dropInDir(this.paths), group: settings.group ?? null, log: this.log, ...this.hooks }),
      },
      join(this.paths.data, 'core'),
      this.log.child({ feed: CONFIG_FEED }),
      abort.signal,
      { roots: this.trust },
    );
    this.upstream = { mirror, abort, key };
    this.mirrors.add(mirror);
    mirror.start().catch((err: unknown) => this.log.error({ err }, 'configuration feed could not start'));
  }

  private stopUpstream(): void {
    if (!this.upstream) return;
    this.upstream.abort.abort();
    this.upstream.mirror.stop();
    this.mirrors.remove(this.upstream.mirror);
    this.upstream = undefined;
  }
}
