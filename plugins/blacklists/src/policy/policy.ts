/**
 * The policy compiled into an index: which categories block, with which
 * action and in which time windows. Category ids are bytes in the index:
 * 0 is the school's allow list (it wins over everything), 1 the school's own
 * block list, then the configured categories, those that always block before
 * those with time windows, so that a domain listed in both keeps blocking
 * outside the windows.
 */
import type { BlacklistsConfig } from '../config.js';
import type { TimeWindow } from './time-windows.js';

/** What a blocked request gets: the friendly block page, or a plain deny. */
export type BlockAction = 'page' | 'deny';

/** One category as compiled. */
export interface CategoryRule {
  readonly id: number;
  readonly name: string;
  readonly action: BlockAction;
  /** Empty: always. */
  readonly windows: readonly TimeWindow[];
}

/** The school's allow list: wins over every block. */
export const ALLOW_ID = 0;
/** The school's own block list. */
export const LOCAL_ID = 1;
/** The name the school's own block list goes by in answers and on the block page. */
export const LOCAL_CATEGORY = 'local';
/** Room for 253 list categories after the two local lists. */
export const MAX_CATEGORIES = 253;

/** The blocking categories of `config`, with ids, in precedence order (the allow list has no rule). */
export function policyOf(config: Pick<BlacklistsConfig, 'categories' | 'deny' | 'times'>): CategoryRule[] {
  const names = [...new Set(config.categories)].filter((name) => name !== LOCAL_CATEGORY).slice(0, MAX_CATEGORIES);
  const windowsOf = (name: string) => config.times.get(name) ?? [];
  const ordered = [...names.filter((n) => windowsOf(n).length === 0), ...names.filter((n) => windowsOf(n).length > 0)];
  const action = (name: string): BlockAction => (config.deny.includes(name) ? 'deny' : 'page');
  return [
    { id: LOCAL_ID, name: LOCAL_CATEGORY, action: action(LOCAL_CATEGORY), windows: windowsOf(LOCAL_CATEGORY) },
    ...ordered.map((name, i) => ({ id: LOCAL_ID + 1 + i, name, action: action(name), windows: windowsOf(name) })),
  ];
}
