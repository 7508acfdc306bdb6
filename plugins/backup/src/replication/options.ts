/** The `replicate_*` and `s3_*` options of `[backup]`: where snapshots are copied off the school, and when. */
import { makeOption, option, parseWindows, type TimeWindow } from 'sugar-server';

/** A bucket and the prefix under it that holds this school's copies. */
export interface BucketTarget {
  readonly bucket: string;
  /** Empty, or ends with `/`. */
  readonly prefix: string;
}

/** S3's bucket naming rules: 3 to 63 lower-case letters, digits, dots and hyphens, starting and ending with a letter or digit. */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PREFIX_PART = /^[A-Za-z0-9._-]+$/;

/** `s3://bucket/prefix`: the prefix is optional, its parts plain names (no `..`, no empty parts). */
export function parseBucketTarget(raw: string): { ok: true; value: BucketTarget } | { ok: false; message: string } {
  const bad = (why: string) => ({ ok: false as const, message: `${why} (expected e.g. s3://school-backups/school-42, got "${raw}")` });
  const match = /^s3:\/\/([^/]+)(?:\/(.*))?$/.exec(raw);
  if (!match) return bad('not an s3:// URL');
  const [, bucket, rest = ''] = match;
  if (!BUCKET.test(bucket!)) return bad(`"${bucket}" is not a bucket name (3 to 63 lower-case letters, digits, dots and hyphens)`);
  const parts = rest.split('/').filter(Boolean);
  if (parts.some((part) => !PREFIX_PART.test(part) || part === '.' || part === '..')) return bad('the prefix may hold only plain names separated by /');
  return { ok: true, value: { bucket: bucket!, prefix: parts.length ? `${parts.join('/')}/` : '' } };
}

const NO_WINDOWS: readonly TimeWindow[] = [];

export const replicationOptions = {
  /** Copy every snapshot here: `s3://bucket/prefix`. Unset: no replication. */
  replicate_to: makeOption(parseBucketTarget).optional(),
  /** The S3 server, e.g. `http://rgw.district.example:7480`; the AWS default for the region when unset. */
  s3_endpoint: option.url().optional(),
  /** The signing region (Ceph and MinIO accept any). */
  s3_region: option.text('us-east-1'),
  /** A file of `aws_access_key_id = ...` and `aws_secret_access_key = ...` lines, mode 0600; unset: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. */
  s3_credentials: option.path().optional(),
  /** How often new snapshots are looked for, besides at start and right after each backup; 0: only then. */
  replicate_interval: option.duration(60 * 60_000),
  /** Uploads (and hashing jobs) at once. */
  replicate_concurrency: option.integer({ min: 1, max: 256 }, 16),
  /** Bytes per second sent at most (`2M`); 0 for no cap. */
  replicate_rate: option.size(0),
  /** When replication may send: `mon-fri 20:00-24:00 00:00-06:00; sat,sun 00:00-24:00` (server local time); unset: always. */
  replicate_windows: makeOption(parseWindows, NO_WINDOWS),
  /** Store files that shrink brotli-compressed (judged by a sample: recordings and photos go as they are). */
  replicate_compression: option.flag(true),
  /** Encrypt every object (AES-256-GCM) with the school's key before it leaves the server. */
  replicate_encryption: option.flag(false),
  /** The school's replication key (32 random bytes as hex, mode 0600); made on first start when missing. Without it nothing can be restored. */
  replicate_key: option.path().optional(),
  /** An object no manifest names is deleted only once it is older than this, so a snapshot still being written keeps what it will name. */
  replicate_grace: option.duration(24 * 60 * 60_000, { max: 365 * 24 * 60 * 60_000 }),
};
