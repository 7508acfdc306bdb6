/**
 * An immutable view of the library at one moment: bundles by file, by id with
 * the newest version first, and the files that were refused. Rebuilt whenever
 * the library changes; readers keep the view they started with.
 */
import type { BundleRecord } from './bundle-record.js';
import { compareVersions, parseVersion, type SugarVersion } from './sugar-version.js';

/** A file in the library folder that is not served, and why. */
export interface Problem {
  readonly file: string;
  /** An `ACTIVITIES_ERR_*` code. */
  readonly code: string;
  readonly reason: string;
  readonly size: number;
  /** ISO 8601 modification time. */
  readonly modified: string;
}

export class LibraryIndex {
  /** Every bundle, by id, each id's versions newest first. */
  readonly bundles: readonly BundleRecord[];
  readonly problems: readonly Problem[];
  private readonly files: ReadonlyMap<string, BundleRecord>;
  private readonly ids: ReadonlyMap<string, readonly BundleRecord[]>;
  private readonly versions: ReadonlyMap<BundleRecord, SugarVersion>;

  /** `generation` grows with every change, so caches of pages know when they are stale. */
  constructor(
    records: readonly BundleRecord[],
    problems: readonly Problem[],
    readonly generation: number,
  ) {
    this.versions = new Map(records.map((record) => [record, parseVersion(record.version)!]));
    this.bundles = [...records].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : this.newerFirst(a, b)));
    this.problems = [...problems].sort((a, b) => (a.file < b.file ? -1 : 1));
    this.files = new Map(records.map((record) => [record.file, record]));
    const ids = new Map<string, BundleRecord[]>();
    for (const record of this.bundles) ids.set(record.id, [...(ids.get(record.id) ?? []), record]);
    this.ids = ids;
  }

  /** The bundle in `file`, if the library serves it. */
  byFile(file: string): BundleRecord | undefined {
    return this.files.get(file);
  }

  /** Every version of `id`, newest first. */
  versionsOf(id: string): readonly BundleRecord[] {
    return this.ids.get(id) ?? [];
  }

  /** The version the pages offer for `id`. */
  newest(id: string): BundleRecord | undefined {
    return this.ids.get(id)?.[0];
  }

  /** The newest version of each id, by id. */
  newestOfEach(): BundleRecord[] {
    return [...this.ids.values()].map((versions) => versions[0]!);
  }

  /** The versions of `id` Sugar would take as equal to `version` (`1.0` and `1` are the same). */
  sameVersion(id: string, version: SugarVersion): BundleRecord[] {
    return this.versionsOf(id).filter((record) => compareVersions(this.versions.get(record)!, version) === 0);
  }

  /**
   * Newer version first; between equal versions (which Sugar cannot tell
   * apart) the more recently changed file, then the file name, so every page
   * makes the same choice.
   */
  private newerFirst(a: BundleRecord, b: BundleRecord): number {
    return compareVersions(this.versions.get(b)!, this.versions.get(a)!) || b.mtimeMs - a.mtimeMs || (a.file < b.file ? -1 : 1);
  }
}
