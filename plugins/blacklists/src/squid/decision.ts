/**
 * Turning a lookup into an answer people can read: blocked or not, the
 * category, the action, and the rule that decided (the domain, URL entry or
 * expression, or the allow-list entry that let it through). The squid helper
 * takes the same path but stops at the category id.
 */
import { ActiveCategories } from '../policy/active-categories.js';
import { BlacklistIndex, Match, MATCH_DOMAIN, MATCH_EXPRESSION, MATCH_URL } from '../index/blacklist-index.js';
import type { CategoryMeta } from '../index/index-meta.js';
import { normaliseUrl, type NormalisedUrl } from './normalise.js';
import { ALLOW_ID, type BlockAction } from '../policy/policy.js';

/** What decided: the list kind, the entry as it matched, and its category (`allow` for the allow list). */
export interface DecisionRule {
  readonly list: 'domain' | 'url' | 'expression';
  readonly entry: string;
  readonly category: string;
}

/** The answer for one URL. */
export interface Decision {
  readonly blocked: boolean;
  /** The blocking category, or null. */
  readonly category: string | null;
  readonly action: BlockAction | null;
  /** What matched (also when the allow list let it through), or null. */
  readonly rule: DecisionRule | null;
}

/** Answers for the block page's own address: it is never blocked, or blocked pages would loop. */
export class PageExemption {
  private readonly host: string | null;
  private readonly path: string;

  constructor(pageUrl: string) {
    const page = normaliseUrl(pageUrl);
    this.host = page?.host ?? null;
    this.path = page?.path ?? '';
  }

  covers(url: NormalisedUrl): boolean {
    return url.host === this.host && url.path.startsWith(this.path);
  }
}

export class Decider {
  private readonly match = new Match();
  private readonly exemption: PageExemption;

  constructor(
    private readonly index: BlacklistIndex,
    private readonly active: ActiveCategories,
    pageUrl: string,
  ) {
    this.exemption = new PageExemption(pageUrl);
  }

  /** The category with this id, as compiled. */
  category(id: number): CategoryMeta | undefined {
    return this.index.meta.categories.find((c) => c.id === id);
  }

  decide(url: NormalisedUrl): Decision {
    if (this.exemption.covers(url)) return { blocked: false, category: null, action: null, rule: null };
    const match = this.match;
    this.index.match(url, this.active.flagsFor(this.index.meta), match);
    if (match.category < 0) return { blocked: false, category: null, action: null, rule: null };
    const category = this.category(match.category);
    const name = category?.name ?? String(match.category);
    const rule = this.ruleOf(url, match, name);
    if (match.category === ALLOW_ID) return { blocked: false, category: null, action: null, rule };
    return { blocked: true, category: name, action: category?.action ?? 'page', rule };
  }

  private ruleOf(url: NormalisedUrl, match: Match, category: string): DecisionRule {
    if (match.kind === MATCH_DOMAIN) return { list: 'domain', entry: url.host.slice(match.detail), category };
    if (match.kind === MATCH_URL) {
      return { list: 'url', entry: `${match.stripped ? url.strippedHost : url.host}${this.index.urlPath(match.detail)}`, category };
    }
    if (match.kind === MATCH_EXPRESSION) return { list: 'expression', entry: this.expressionThatMatched(url, match.category), category };
    return { list: 'domain', entry: url.host, category };
  }

  /** The expression as written in the list (the set only says which category matched). */
  private expressionThatMatched(url: NormalisedUrl, category: number): string {
    const target = url.strippedHost + url.path;
    const hit = this.index.meta.expressions.find((e) => e.category === category && new RegExp(e.source).test(target));
    return hit?.original ?? '';
  }
}
