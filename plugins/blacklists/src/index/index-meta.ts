/**
 * What an index file says about itself (its JSON section): where the lists
 * came from, the policy compiled in, counts per category, the expressions,
 * and the garbage found while reading. The daemon's status and categories
 * API, the helper and the DNS exports all read it from here, so every one of
 * them agrees with the index it is looking at.
 */
import type { BlockAction } from '../policy/policy.js';
import type { TimeWindow } from '../policy/time-windows.js';

/** Where a compile read its lists. */
export interface SourceInfo {
  /** `folder` (`[blacklists] source`), `archive` (a configured .tar.gz), `upload` or `feed`. */
  readonly kind: 'folder' | 'archive' | 'upload' | 'feed';
  /** The folder the categories were read from. */
  readonly path: string;
  /** What an admin recognises: the configured path, the uploaded file's size, the feed's date. */
  readonly description: string;
  /** The archive it was unpacked from (published as the feed), or null for a plain folder. */
  readonly archive: string | null;
}

/** One category of the compiled policy, with what went into the index for it. */
export interface CategoryMeta {
  readonly id: number;
  readonly name: string;
  readonly action: BlockAction;
  readonly windows: readonly TimeWindow[];
  /** Entries that made it in (a domain listed twice counts once). */
  readonly domains: number;
  readonly urls: number;
  readonly expressions: number;
  /** Lines refused. */
  readonly garbage: number;
  /** The category folder was not in the source. */
  readonly missing: boolean;
  /** The first line of its `usage` file, when there is one. */
  readonly usage: string | null;
}

/** A category present in the source but not chosen to block. */
export interface UnusedCategory {
  readonly name: string;
  /** Size of its domains, urls and expressions files (reading them is left for when it is chosen). */
  readonly bytes: number;
  readonly usage: string | null;
}

/** One expression compiled in. */
export interface ExpressionMeta {
  readonly category: number;
  /** The JavaScript pattern it was translated to. */
  readonly source: string;
  /** As written in the list. */
  readonly original: string;
}

/** One refused line. */
export interface GarbageLine {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly reason: string;
  readonly text: string;
}

/** Refused lines: counted per file, the first ones kept in full. */
export interface GarbageReport {
  readonly total: number;
  readonly byFile: Readonly<Record<string, number>>;
  /** The first {@link MAX_GARBAGE_SAMPLES} refused lines. */
  readonly lines: readonly GarbageLine[];
}

/** How many refused lines a report keeps in full. */
export const MAX_GARBAGE_SAMPLES = 1000;

/** The JSON section of an index file. */
export interface IndexMeta {
  readonly compiledAt: string;
  readonly compileMs: number;
  /** Changes whenever the sources, local lists or policy would compile differently. */
  readonly fingerprint: string;
  readonly source: SourceInfo | null;
  /** Bit n set: some domain entry has n labels (31: 31 or more); lookups skip the parents no entry could be. */
  readonly labelMask: number;
  /** The allow list (id 0) first, then the blocking categories by id. */
  readonly categories: readonly CategoryMeta[];
  readonly unused: readonly UnusedCategory[];
  readonly expressions: readonly ExpressionMeta[];
  readonly garbage: GarbageReport;
}
