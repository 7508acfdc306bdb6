/** The `[activities]` section. */
import { option, type ConfigOf } from 'sugar-server';

const DAY_MS = 86_400_000;

const MiB = 1024 * 1024;

/** The options of `[activities]`, with their defaults. */
export const activitiesOptions = {
  /** The folder of `.xo` bundles; `<data dir>/library` unless set. */
  library: option.path().optional(),
  /** Shown by Sugar's updater as the group's name (`olpc-activity-group-name`). */
  group_name: option.text('School server activities'),
  /** Shown under the name (`olpc-activity-group-desc`); none when empty. */
  group_description: option.text(''),
  /** Largest bundle an admin may upload. */
  upload_limit: option.size(200 * MiB),
  /** Most bytes all of a bundle's entries may unpack to. */
  max_unpacked_size: option.size(1024 * MiB),
  /** Most bytes one entry may unpack to. */
  max_entry_size: option.size(512 * MiB),
  /** Most unpacked bytes per byte of bundle (deflate reaches about 1000; real bundles stay under 20). */
  max_ratio: option.integer({ min: 1, max: 100_000 }, 100),
  /** Most entries in one bundle. */
  max_entries: option.integer({ min: 1, max: 1_000_000 }, 20_000),
  /** The Mothership's activities feed, e.g. `http://mothership/feeds/v1/activities/`. */
  upstream: option.feedUpstream().optional(),
  /** How often to look for new bundles there. */
  upstream_interval: option.duration(3_600_000, { max: 365 * DAY_MS }),
};

/** The checked `[activities]` section. */
export type ActivitiesConfig = ConfigOf<typeof activitiesOptions>;
