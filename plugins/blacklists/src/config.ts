/** The `[blacklists]` section. */
import { makeOption, option, type ConfigOf } from 'sugar-server';
import { parseTimes, type TimeWindow } from './policy/time-windows.js';

const DAY_MS = 86_400_000;

/** The choices of `when_unavailable`. */
export const WHEN_UNAVAILABLE = ['block', 'allow'] as const;
export type WhenUnavailable = (typeof WHEN_UNAVAILABLE)[number];

const NO_WINDOWS: ReadonlyMap<string, readonly TimeWindow[]> = new Map();

/** The options of `[blacklists]`, with their defaults. */
export const blacklistsOptions = {
  /** A folder in the squidGuard/UT1 layout, or a `.tar.gz` of one (UT1's `blacklists.tar.gz`). */
  source: option.path().optional(),
  /** The categories that block, in order of precedence. */
  categories: option.list(['adult', 'malware', 'phishing']),
  /** Categories answered with a plain deny instead of the friendly block page. */
  deny: option.list([]),
  /** When categories block: `games mon-fri 08:00-12:00 13:00-16:00; social sat,sun 10:00-18:00`. */
  times: makeOption(parseTimes, NO_WINDOWS),
  /** The block page as laptops reach it; the squid helper redirects there. */
  page_url: option.url('http://schoolserver/blocked'),
  /** The Mothership's blacklists feed, e.g. `http://mothership/feeds/v1/blacklists/`. */
  upstream: option.feedUpstream().optional(),
  /** How often to look for new lists upstream. */
  upstream_interval: option.duration(6 * 3_600_000, { max: 365 * DAY_MS }),
  /** Largest `.tar.gz` the admin API accepts. */
  upload_limit: option.size(256 * 1024 * 1024),
  /**
   * What the squid helper answers while it has no usable index (none compiled
   * yet, missing, damaged): `block` sends every request to the block page
   * ("filtering is not ready") and makes the external ACL deny; `allow` lets
   * requests through unfiltered.
   */
  when_unavailable: option.oneOf(WHEN_UNAVAILABLE, 'block'),
  /** Most bytes an archive may unpack to. */
  archive_limit: option.size(2 * 1024 * 1024 * 1024),
};

/** The checked `[blacklists]` section. */
export type BlacklistsConfig = ConfigOf<typeof blacklistsOptions>;
