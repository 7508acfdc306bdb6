/**
 * The page children (and teachers) see instead of a blocked site: what
 * happened in plain words, in their language, and whom to ask. Everything
 * taken from the request is escaped; the page loads nothing else (inline
 * style only, a strict Content-Security-Policy), so it works offline and
 * cannot be turned against the reader.
 */
import { categoryLabel, WORDS, type Language } from './messages.js';

/** What to show. */
export interface BlockPageInput {
  readonly language: Language;
  /** The blocked address as the helper passed it (shown shortened, escaped). */
  readonly url: string | null;
  /** The category that blocked it, or null when unknown. */
  readonly category: string | null;
  /** `deny`: the bare refusal, without the explanation. */
  readonly deny: boolean;
  /** The filter had no lists to check against (`reason=unavailable`): say it is not ready. */
  readonly unavailable?: boolean;
}

/** The Content-Security-Policy the page is served with. */
export const BLOCK_PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const MAX_SHOWN_URL = 200;

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font-family:sans-serif;background:#f4f1ea;color:#222;margin:0}
main{max-width:36em;margin:3em auto;padding:2em;background:#fff;border-radius:1em;border:3px solid #e0a030}
h1{font-size:1.6em;margin-top:0}
p{font-size:1.15em;line-height:1.5}
code{word-break:break-all;background:#f0f0f0;padding:.1em .3em}
.advice{font-weight:bold}`;

/** The page's HTML. */
export function renderBlockPage(input: BlockPageInput): string {
  const words = WORDS[input.language];
  const title = input.unavailable ? words.unavailableHeading : input.deny ? words.deniedTitle : words.title;
  const body = input.unavailable ? unavailableBody(input) : input.deny ? [`<h1>${escapeHtml(words.deniedTitle)}</h1>`, `<p>${escapeHtml(words.denied)}</p>`] : pageBody(input);
  return `<!DOCTYPE html>
<html lang="${input.language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body.join('\n')}
</main>
</body>
</html>
`;
}

function unavailableBody(input: BlockPageInput): string[] {
  const words = WORDS[input.language];
  return [
    `<h1>${escapeHtml(words.unavailableHeading)}</h1>`,
    `<p>${escapeHtml(words.unavailable)}</p>`,
    ...addressLine(input),
    `<p class="advice">${escapeHtml(words.unavailableAdvice)}</p>`,
  ];
}

function addressLine(input: BlockPageInput): string[] {
  if (!input.url) return [];
  const shown = input.url.length > MAX_SHOWN_URL ? `${input.url.slice(0, MAX_SHOWN_URL)}…` : input.url;
  return [`<p>${escapeHtml(WORDS[input.language].address)}: <code>${escapeHtml(shown)}</code></p>`];
}

function pageBody(input: BlockPageInput): string[] {
  const words = WORDS[input.language];
  const lines = [`<h1>${escapeHtml(words.heading)}</h1>`];
  lines.push(`<p>${escapeHtml(input.category ? words.because(categoryLabel(input.category, input.language)) : words.unknownReason)}</p>`);
  lines.push(...addressLine(input));
  lines.push(`<p class="advice">${escapeHtml(words.advice)}</p>`);
  return lines;
}
