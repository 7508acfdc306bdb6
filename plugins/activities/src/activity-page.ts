/**
 * `GET /activities/`: one page for Sugar's updater and for people.
 *
 * For the updater (jarabe `model/update/microformat.py`): one element of class
 * `olpc-activity-info` per bundle id, the newest version, holding
 * `olpc-activity-id`, `olpc-activity-version` and an `olpc-activity-url` link
 * relative to the page; the group's name and description by id. Sugar's parser
 * counts open and close tags inside an entry, so everything inside one is
 * closed explicitly and no void element (`<img>`) goes in it.
 *
 * For people: names, summaries (translated when the bundle carries the
 * language asked for), icons, versions and sizes. Every text from a bundle is
 * escaped; icons are linked to `icons/<id>.svg`, never inlined, since SVG can
 * carry scripts. The only style is an inline sheet allowed by its hash in the
 * Content-Security-Policy.
 */
import { createHash } from 'node:crypto';
import type { BundleRecord } from './bundle-record.js';
import { escapeMarkup } from './html.js';
import { pickTranslation } from './languages.js';

/** What the page shows besides the bundles. */
export interface PageOptions {
  readonly groupName: string;
  readonly groupDescription: string;
  /** From {@link effectiveLanguages}: the languages to show, best first. */
  readonly languages: readonly string[];
  /** Prefix of relative links: `''` for `/activities/`, `activities/` for `/activities` (no slash). */
  readonly base: string;
}

const STYLE = `
body { margin: 0; font-family: sans-serif; color: #282828; background: #f2f2f2; }
header { padding: 1.5rem 2rem 1rem; background: #282828; color: #fff; }
header h1 { margin: 0; font-size: 1.6rem; }
header p { margin: .4rem 0 0; color: #ddd; }
.activities { list-style: none; margin: 0; padding: 1.5rem 2rem; display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
.activity { display: flex; gap: 1rem; padding: 1rem; background: #fff; border-radius: .5rem; box-shadow: 0 1px 3px rgba(0,0,0,.15); }
.icon { flex: none; width: 55px; height: 55px; }
.olpc-activity-info { min-width: 0; }
.name { margin: 0 0 .3rem; font-size: 1.1rem; }
.summary { margin: 0 0 .5rem; }
.meta { margin: 0 0 .6rem; font-size: .85rem; color: #666; overflow-wrap: anywhere; }
.download { display: inline-block; padding: .3rem .9rem; border-radius: 1rem; background: #282828; color: #fff; text-decoration: none; }
.empty { padding: 2rem; }
`;

/** The Content-Security-Policy of the page: nothing but its own sheet and same-origin images. */
export const PAGE_POLICY = [
  "default-src 'none'",
  "img-src 'self'",
  `style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page in the pieces {@link pageChunks} cuts along: everything before the first entry, each entry, the rest. */
export interface PageParts {
  readonly head: string;
  readonly entries: readonly string[];
  readonly tail: string;
}

/** The page for the newest version of each bundle id. */
export function renderActivityPage(newest: readonly BundleRecord[], options: PageOptions): string {
  const { head, entries, tail } = renderPageParts(newest, options);
  return head + entries.join('') + tail;
}

/** {@link renderActivityPage} in its parts. */
export function renderPageParts(newest: readonly BundleRecord[], options: PageOptions): PageParts {
  const shown = newest
    .map((record) => ({ record, text: pickTranslation(record.translations, options.languages) }))
    .map(({ record, text }) => ({
      record,
      lang: text ? text.locale.replace(/_/g, '-') : undefined,
      name: text?.translation.name ?? record.name,
      summary: text?.translation.summary ?? record.summary,
    }))
    .sort((a, b) => a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }) || (a.record.id < b.record.id ? -1 : 1));

  const group = escapeMarkup(options.groupName);
  const lines = [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    `<title>${group}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    '<header>',
    `<h1 id="olpc-activity-group-name">${group}</h1>`,
  ];
  if (options.groupDescription) lines.push(`<p id="olpc-activity-group-desc">${escapeMarkup(options.groupDescription)}</p>`);
  lines.push(`<p class="count">${shown.length} ${shown.length === 1 ? 'activity' : 'activities'}</p>`, '</header>', '<main>');
  if (shown.length === 0) lines.push('<p class="empty">No activities yet.</p>');
  else lines.push('<ul class="activities">');
  return {
    head: `${lines.join('\n')}\n`,
    entries: shown.map((entry) => `${renderEntry(entry, options.base)}\n`),
    tail: `${shown.length ? '</ul>\n' : ''}</main>\n</body>\n</html>\n`,
  };
}

function renderEntry(entry: { record: BundleRecord; lang: string | undefined; name: string; summary: string | null }, base: string): string {
  const { record } = entry;
  const lang = entry.lang ? ` lang="${escapeMarkup(entry.lang)}"` : '';
  const icon = record.iconSvg !== null
    ? `<img class="icon" src="${escapeMarkup(`${base}icons/${record.id}.svg`)}" alt="" width="55" height="55" loading="lazy" />`
    : '<span class="icon"></span>';
  return [
    '<li class="activity">',
    icon,
    '<div class="olpc-activity-info">',
    `<h2 class="name"${lang}>${escapeMarkup(entry.name)}</h2>`,
    entry.summary ? `<p class="summary"${lang}>${escapeMarkup(entry.summary)}</p>` : '',
    `<p class="meta">Version <span class="olpc-activity-version">${escapeMarkup(record.version)}</span> · ${formatSize(record.size)} · ` +
      `<span class="olpc-activity-id">${escapeMarkup(record.id)}</span></p>`,
    `<a class="olpc-activity-url download" href="${escapeMarkup(`${base}bundles/${record.file}`)}">Download</a>`,
    '</div>',
    '</li>',
  ].filter(Boolean).join('\n');
}

/** `812 KB`, `20.4 MB`. */
export function formatSize(bytes: number): string {
  if (bytes < 1024 * 1024) return `${Math.max(1, Math.round(bytes / 1024))} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
