/**
 * The squid helper's decisions, line in, line out. It uses the index the
 * caller currently holds (the helper swaps in a new one when the daemon
 * recompiles) and answers, per mode:
 *
 * - `rewrite`: `OK status=302 url="<block page>?url=…&category=…"` for a
 *   blocked URL (`&action=deny` added for categories set to deny, whose page
 *   is a bare refusal), `OK` otherwise;
 * - `acl`: `OK message="<category>"` when blocked (squid then denies, and
 *   `deny_info` may send to the block page; `%o` is the category), `ERR`
 *   otherwise. With `only` set, only that action's categories answer `OK`.
 *
 * Without a usable index (none compiled yet, missing or damaged), the
 * answer is what `whenUnavailable` says: `block` redirects to the block page
 * with `reason=unavailable` (ACL mode: `OK message="unavailable"`, whatever
 * `only` says), `allow` lets the request through.
 *
 * `BH message="…"` when a line holds no URL or no host.
 */
import { ActiveCategories } from '../policy/active-categories.js';
import { Match } from '../index/blacklist-index.js';
import type { BlacklistIndex } from '../index/blacklist-index.js';
import type { WhenUnavailable } from '../config.js';
import { PageExemption } from './decision.js';
import { normaliseUrl } from './normalise.js';
import { ALLOW_ID, type BlockAction } from '../policy/policy.js';
import { answer, brokenAnswer, quoteValue, readRequest, redirectAnswer, type HelperMode } from './squid-protocol.js';

const NONE_ACTIVE = new Uint8Array(256);

/** The block page's query tail, and the ACL answer, while no index is usable. */
const UNAVAILABLE_TAIL = '&reason=unavailable';
const UNAVAILABLE_ACL = 'OK message="unavailable"';

/** How much of the blocked URL goes into the block page's address. */
const MAX_URL_IN_REDIRECT = 1024;

export interface AnswererOptions {
  readonly mode: HelperMode;
  /** ACL mode: answer OK only for categories with this action. */
  readonly only?: BlockAction | undefined;
  readonly pageUrl: string;
  /** The answer while no index is usable. */
  readonly whenUnavailable: WhenUnavailable;
  readonly now?: () => number;
}

interface CategoryAnswer {
  readonly action: BlockAction;
  /** The redirect's query tail: `&category=…[&action=deny]`. */
  readonly tail: string;
  /** ACL mode's answer. */
  readonly aclOk: string;
}

export class HelperAnswerer {
  private readonly match = new Match();
  private readonly active: ActiveCategories;
  private readonly exemption: PageExemption;
  /** `OK status=302 url="<page>?url=`: the answer up to the blocked URL, quoted once here. */
  private readonly redirectHead: string;
  private answers: (CategoryAnswer | undefined)[] = [];
  private answersFor: BlacklistIndex | null = null;

  constructor(private readonly options: AnswererOptions) {
    this.active = new ActiveCategories(options.now);
    this.exemption = new PageExemption(options.pageUrl);
    const base = `${options.pageUrl}${options.pageUrl.includes('?') ? '&' : '?'}url=`;
    // What follows the base (an encodeURIComponent'd URL, category and action) never needs quoting.
    const quoted = redirectAnswer(base);
    this.redirectHead = quoted.slice(0, -1);
  }

  /**
   * The answer to one request line, without its newline. `active` is what
   * {@link activeFor} gave for this batch (time windows move once a minute,
   * not between the lines of one read).
   */
  answerLine(line: string, index: BlacklistIndex | null, active: Uint8Array): string {
    const request = readRequest(line, this.options.mode);
    if (request.url === null) return answer(request.channel, brokenAnswer('no URL on this line'));
    const url = normaliseUrl(request.url);
    if (!url) return answer(request.channel, brokenAnswer('the URL holds no host'));
    const pass = this.options.mode === 'acl' ? 'ERR' : 'OK';
    if (this.exemption.covers(url)) return answer(request.channel, pass);
    if (!index) return answer(request.channel, this.unavailable(request.url, pass));
    index.match(url, active, this.match);
    const id = this.match.category;
    if (id < 0 || id === ALLOW_ID) return answer(request.channel, pass);
    const category = this.categoryAnswer(index, id);
    if (this.options.mode === 'acl') {
      return answer(request.channel, this.options.only && this.options.only !== category.action ? 'ERR' : category.aclOk);
    }
    return answer(request.channel, this.redirect(request.url, category.tail));
  }

  /** The answer without an index: fail closed (`block`) or open (`allow`), as configured. */
  private unavailable(url: string, pass: string): string {
    if (this.options.whenUnavailable === 'allow') return pass;
    return this.options.mode === 'acl' ? UNAVAILABLE_ACL : this.redirect(url, UNAVAILABLE_TAIL);
  }

  /** `OK status=302` to the block page for `url`, with the query `tail`. */
  private redirect(url: string, tail: string): string {
    const shown = url.length > MAX_URL_IN_REDIRECT ? url.slice(0, MAX_URL_IN_REDIRECT) : url;
    return `${this.redirectHead}${encodeBytes(shown)}${tail}"`;
  }

  /** The categories blocking now under `index`'s policy. */
  activeFor(index: BlacklistIndex | null): Uint8Array {
    return index ? this.active.flagsFor(index.meta) : NONE_ACTIVE;
  }

  private categoryAnswer(index: BlacklistIndex, id: number): CategoryAnswer {
    if (this.answersFor !== index) {
      this.answers = [];
      for (const c of index.meta.categories) {
        const name = encodeURIComponent(c.name);
        this.answers[c.id] = {
          action: c.action,
          tail: `&category=${name}${c.action === 'deny' ? '&action=deny' : ''}`,
          aclOk: `OK message=${quoteValue(c.name)}`,
        };
      }
      this.answersFor = index;
    }
    return this.answers[id] ?? { action: 'page', tail: `&category=${id}`, aclOk: 'OK' };
  }
}

/** Percent-encode a byte string for a query value: bytes above 0x7f as they are (%XX), not as characters. */
function encodeBytes(text: string): string {
  if (!/[\x80-\xff]/.test(text)) return encodeURIComponent(text);
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c > 0x7f ? `%${c.toString(16).toUpperCase()}` : encodeURIComponent(text[i]!);
  }
  return out;
}
