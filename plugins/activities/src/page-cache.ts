/**
 * Rendered activity pages, kept until the library changes. Laptops poll the
 * page, and every request with the same effective languages gets the same
 * bytes, so each variant is rendered once per library version.
 */
import { createHash } from 'node:crypto';
import { renderPageParts } from './activity-page.js';
import { acceptedLanguages, effectiveLanguages, localeKey } from './languages.js';
import type { LibraryIndex } from './library-index.js';
import { pageChunks } from './page-chunks.js';

/** One rendered page, in the HTTP chunks it is sent as, and its entity tag. */
export interface RenderedPage {
  readonly chunks: readonly Buffer[];
  /** Bytes in all chunks. */
  readonly size: number;
  readonly etag: string;
}

/** Variants kept at once; more than this many language mixes in one library version are unusual. */
const MAX_VARIANTS = 64;

export class PageCache {
  private generation = -1;
  private known = new Set<string>();
  private readonly pages = new Map<string, RenderedPage>();

  constructor(private readonly group: { readonly name: string; readonly description: string }) {}

  /** The page for `acceptLanguage`, with links relative to `base`. */
  get(index: LibraryIndex, acceptLanguage: string, base: string): RenderedPage {
    if (index.generation !== this.generation) {
      this.pages.clear();
      this.generation = index.generation;
      this.known = new Set(index.newestOfEach().flatMap((record) => Object.keys(record.translations).map(localeKey)));
    }
    const languages = effectiveLanguages(acceptedLanguages(acceptLanguage), this.known);
    const key = `${base}\n${languages.join(',')}`;
    let page = this.pages.get(key);
    if (!page) {
      if (this.pages.size >= MAX_VARIANTS) this.pages.clear();
      const { head, entries, tail } = renderPageParts(index.newestOfEach(), {
        groupName: this.group.name,
        groupDescription: this.group.description,
        languages,
        base,
      });
      const chunks = pageChunks(head, entries, tail);
      const hash = createHash('sha256');
      for (const chunk of chunks) hash.update(chunk);
      page = { chunks, size: chunks.reduce((sum, chunk) => sum + chunk.length, 0), etag: `"${hash.digest('hex').slice(0, 32)}"` };
      this.pages.set(key, page);
    }
    return page;
  }
}
