/**
 * The activity microformat page, read as Sugar's updater reads it (jarabe
 * `model/update/microformat.py`, `_UpdateHTMLParser`): fetched with
 * `Cache-Control: max-age=600`, then every element of class
 * `olpc-activity-info` (not inside another) is one entry holding
 * `olpc-activity-id`, `olpc-activity-version`, an `olpc-activity-url` link
 * (resolved against the page's URL) and optionally `olpc-activity-optional`
 * (`1`); the group's name and description are the elements with ids
 * `olpc-activity-group-name` and `olpc-activity-group-desc`.
 *
 * The page is parsed with htmlparser2 and walked as the start tags, text and
 * end tags Sugar's parser sees, with the same counters: an entry without an id,
 * a valid version or a link is dropped, and for an id given twice the later
 * entry wins unless its version is lower.
 */
import { findAll, getAttributeValue } from 'domutils';
import { ElementType, parseDocument } from 'htmlparser2';
import { SugaroidErrors } from '../errors.js';
import { isSugarVersion, compareSugarVersions } from '../sugar-version.js';
import { requestText, serverErrorDetail, type RequestOptions } from './http.js';

/** One activity the page offers. */
export interface PageEntry {
  readonly id: string;
  readonly version: string;
  /** Absolute download URL. */
  readonly url: string;
  /** Marked `olpc-activity-optional`: left out of automatic updates. */
  readonly optional: boolean;
}

/** What an activity page says. */
export interface ActivityPage {
  /** The page's URL, against which links were resolved. */
  readonly url: string;
  readonly groupName: string | null;
  readonly groupDescription: string | null;
  /** By bundle id. */
  readonly entries: ReadonlyMap<string, PageEntry>;
}

type Node = ReturnType<typeof parseDocument>['children'][number];
type Element = ReturnType<typeof findAll>[number];

/** The header Sugar sends: the page may come from a cache, but no older than ten minutes. */
export const PAGE_REQUEST_HEADERS = { 'Cache-Control': 'max-age=600' } as const;

/** Fetch and read the page at `url`. */
export async function fetchActivityPage(url: string, options: RequestOptions = {}): Promise<ActivityPage> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw SugaroidErrors.BAD_SERVER_URL(url, 'not an absolute URL');
  }
  const answer = await requestText(target, { headers: PAGE_REQUEST_HEADERS, redirect: 'follow' }, options);
  if (answer.status !== 200) throw SugaroidErrors.HTTP('GET', target.href, answer.status, serverErrorDetail(answer.body));
  return parseActivityPage(answer.body, target.href);
}

/** Read a page's entries; links are resolved against `pageUrl`. */
export function parseActivityPage(html: string, pageUrl: string): ActivityPage {
  const state = new PageReader(pageUrl);
  for (const node of parseDocument(html).children) state.walk(node);
  return { url: pageUrl, groupName: state.groupName, groupDescription: state.groupDescription, entries: state.results };
}

/** The counters of Sugar's parser: each is 0 outside its element and counts open tags inside it. */
class PageReader {
  groupName: string | null = null;
  groupDescription: string | null = null;
  readonly results = new Map<string, PageEntry>();
  private inGroupName = 0;
  private inGroupDescription = 0;
  private inActivity = 0;
  private inId = 0;
  private inVersion = 0;
  private inUrl = 0;
  private inOptional = 0;
  private id: string | null = null;
  private version: string | null = null;
  private url: string | null = null;
  private optional = false;

  constructor(private readonly base: string) {}

  walk(node: Node): void {
    if (node.type === ElementType.Text) {
      this.text(node.data);
    } else if ('attribs' in node) {
      this.start(node);
      for (const child of node.children) this.walk(child);
      this.end();
    }
  }

  private start(element: Element): void {
    const classes = (getAttributeValue(element, 'class') ?? '').split(/\s+/).filter(Boolean);
    const id = getAttributeValue(element, 'id');
    this.inGroupName = this.inGroupName ? this.inGroupName + 1 : id === 'olpc-activity-group-name' ? 1 : 0;
    this.inGroupDescription = this.inGroupDescription ? this.inGroupDescription + 1 : id === 'olpc-activity-group-desc' ? 1 : 0;
    if (this.inActivity === 0) {
      if (classes.includes('olpc-activity-info')) {
        this.inActivity = 1;
        this.clear();
      }
      return;
    }
    this.inActivity++;
    const enter = (depth: number, name: string) => (depth ? depth + 1 : classes.includes(name) ? 1 : 0);
    this.inId = enter(this.inId, 'olpc-activity-id');
    this.inVersion = enter(this.inVersion, 'olpc-activity-version');
    this.inUrl = enter(this.inUrl, 'olpc-activity-url');
    this.inOptional = enter(this.inOptional, 'olpc-activity-optional');
    const href = getAttributeValue(element, 'href');
    if (this.inUrl && href !== undefined) this.url = resolve(href, this.base);
  }

  private text(data: string): void {
    const value = data.trim();
    if (this.inGroupName) this.groupName = value;
    if (this.inGroupDescription) this.groupDescription = value;
    if (this.inId) this.id = (this.id ?? '') + value;
    if (this.inVersion && isSugarVersion(value)) this.version = value;
    if (this.inOptional) this.optional = value === '1';
  }

  private end(): void {
    const leave = (depth: number) => (depth > 0 ? depth - 1 : 0);
    this.inGroupName = leave(this.inGroupName);
    this.inGroupDescription = leave(this.inGroupDescription);
    this.inId = leave(this.inId);
    this.inVersion = leave(this.inVersion);
    this.inOptional = leave(this.inOptional);
    this.inUrl = leave(this.inUrl);
    if (this.inActivity > 0 && --this.inActivity === 0) this.keep();
  }

  private clear(): void {
    this.inId = this.inVersion = this.inUrl = this.inOptional = 0;
    this.id = this.version = this.url = null;
    this.optional = false;
  }

  /** `_process_result`: keep an entry with an id, a version and a link, unless a newer one of that id came first. */
  private keep(): void {
    if (!this.id || this.version === null || this.url === null) return;
    const earlier = this.results.get(this.id);
    if (earlier && compareSugarVersions(this.version, earlier.version) < 0) return;
    this.results.set(this.id, { id: this.id, version: this.version, url: this.url, optional: this.optional });
  }
}

/** `urljoin(base, href)`; a link that does not resolve is kept as written, as urljoin would. */
function resolve(href: string, base: string): string {
  try {
    return new URL(href, base).href;
  } catch {
    return href;
  }
}
