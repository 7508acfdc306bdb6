/**
 * What a school tells its upstream at each check-in, and the check every
 * report passes before anything of it is kept: a fixed shape, bounded strings
 * and lists, a body of at most {@link REPORT_LIMIT} bytes.
 */
import { z } from 'zod';
import { FleetErrors } from './errors.js';

/** Largest check-in body taken; checked on the bytes, before JSON is parsed. */
export const REPORT_LIMIT = 64 * 1024;
export const REPORT_SCHEMA = 1;

const SERVER_ID = /^[A-Za-z0-9-]{8,64}$/;
const text = (max: number) => z.string().max(max);
const iso = z.iso.datetime({ offset: true });
const count = z.number().int().min(0).max(1e12);
const version = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const pluginSchema = z.strictObject({
  service: text(64),
  package: text(214).nullable(),
  version: text(64).nullable(),
  state: text(32),
  errorCode: text(64).nullable(),
});

const feedSchema = z.strictObject({
  name: text(64),
  /** `core` for the configuration feed, else the plugin that mirrors it. */
  owner: text(64),
  version: version.nullable(),
  /** When the publisher made the manifest held (its `generated`). */
  generated: iso.nullable(),
  /** When this server applied it (null when it was applied before the last restart). */
  appliedAt: iso.nullable(),
  lastSuccess: iso.nullable(),
  lastError: text(500).nullable(),
  lastErrorCode: text(64).nullable(),
  expired: z.boolean(),
  trust: z.enum(['signed', 'unauthenticated']),
});

const countsSchema = z.strictObject({
  laptops: count.nullable(),
  leasesExpiringSoon: count.nullable(),
  leasesExpired: count.nullable(),
  stolen: count.nullable(),
  backupsOverdue: count.nullable(),
  backupBytesUsed: count.nullable(),
  backupBytesQuota: count.nullable(),
  /** When the blacklist index in use was compiled (its version, as squid sees it). */
  blacklistIndex: text(64).nullable(),
});

/** A relay's view of its own schools, carried up the chain in its report. */
const downstreamSchema = z.strictObject({
  schools: count,
  silent: count,
  failing: count,
  /** Per feed, how many of its schools hold each version. */
  feeds: z.array(z.strictObject({ name: text(64), versions: z.array(z.strictObject({ version: version.nullable(), schools: count })).max(64) })).max(64),
});

export const reportSchema = z.strictObject({
  schema: z.literal(REPORT_SCHEMA),
  serverId: z.string().regex(SERVER_ID, 'a server id is 8 to 64 letters, digits and -'),
  name: text(128),
  group: text(64).nullable(),
  version: text(64),
  sentAt: iso,
  startedAt: iso,
  plugins: z.array(pluginSchema).max(64),
  feeds: z.array(feedSchema).max(64),
  counts: countsSchema,
  downstream: downstreamSchema.nullable(),
});

export type FleetReport = z.infer<typeof reportSchema>;
export type ReportedFeed = FleetReport['feeds'][number];
export type ReportCounts = FleetReport['counts'];
export type DownstreamSummary = NonNullable<FleetReport['downstream']>;

export function isServerId(value: string): boolean {
  return SERVER_ID.test(value);
}

/** Parse and check a check-in body; SERVER_ERR_FLEET_TOO_LARGE or _BAD_REPORT naming the first problem. */
export function parseReport(body: Buffer): FleetReport {
  if (body.length > REPORT_LIMIT) throw FleetErrors.TOO_LARGE(REPORT_LIMIT);
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw FleetErrors.BAD_REPORT(`not JSON (${(err as Error).message})`);
  }
  const result = reportSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw FleetErrors.BAD_REPORT(`${issue.path.join('.') || 'the body'}: ${issue.message}`);
  }
  return result.data;
}
