/**
 * The categories an admin sees: every compiled category with its counts,
 * action and time windows, the categories the source offers but the policy
 * does not use, and when and how fast the index was compiled.
 */
import type { BlacklistIndex } from '../index/blacklist-index.js';
import type { CategoryMeta, UnusedCategory } from '../index/index-meta.js';
import { describeWindow } from '../policy/time-windows.js';

/** One compiled category, for people. */
export interface CategoryRow extends Omit<CategoryMeta, 'windows'> {
  /** `mon-fri 08:00-16:00`; empty when it always blocks. */
  readonly windows: readonly string[];
}

/** The answer of `GET /blacklists/v1/categories`. */
export interface CategoriesReport {
  readonly compiledAt: string;
  readonly compileSeconds: number;
  readonly source: string | null;
  readonly categories: readonly CategoryRow[];
  readonly unused: readonly UnusedCategory[];
  readonly totals: { readonly domains: number; readonly urls: number; readonly expressions: number; readonly garbage: number; readonly bytes: number };
}

export function categoriesReport(index: BlacklistIndex): CategoriesReport {
  const { meta } = index;
  return {
    compiledAt: meta.compiledAt,
    compileSeconds: Math.round(meta.compileMs) / 1000,
    source: meta.source?.description ?? null,
    categories: meta.categories.map((c) => ({ ...c, windows: c.windows.map(describeWindow) })),
    unused: meta.unused,
    totals: {
      domains: index.domainCount,
      urls: index.urlCount,
      expressions: meta.expressions.length,
      garbage: meta.garbage.total,
      bytes: index.byteLength,
    },
  };
}
