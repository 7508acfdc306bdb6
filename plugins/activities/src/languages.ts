/**
 * Choosing translations for the page people read: `Accept-Language` (RFC 9110
 * §12.5.4) against the bundles' `locale/<lang>/activity.linfo` folders
 * (`es`, `pt_BR`, `sr@latin`). English is what activity.info is written in, so
 * reaching `en` in the list (or its end) means the untranslated text.
 */
import type { Translation } from './activity-info.js';

const MAX_LANGUAGES = 16;
const TAG = /^[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*$/;

/** The languages asked for, best first (q=0 and `*` left out): lower case, `_` as separator. */
export function acceptedLanguages(header: string): string[] {
  const weighted: { tag: string; q: number; at: number }[] = [];
  header.split(',').slice(0, 64).forEach((item, at) => {
    const [range = '', ...params] = item.trim().split(';');
    const tag = range.trim();
    if (!TAG.test(tag)) return;
    const qParam = params.map((p) => p.trim()).find((p) => /^q=/i.test(p));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!(q > 0 && q <= 1)) return;
    weighted.push({ tag: localeKey(tag), q, at });
  });
  weighted.sort((a, b) => b.q - a.q || a.at - b.at);
  return [...new Set(weighted.map((w) => w.tag))].slice(0, MAX_LANGUAGES);
}

/** `pt-BR`, `pt_BR` and `pt_br.UTF-8` all become `pt_br`. */
export function localeKey(locale: string): string {
  return locale.replace(/\..*$/, '').replace(/-/g, '_').toLowerCase();
}

/** `pt_br` then `pt`: a regional tag falls back to its language. */
function candidates(language: string): string[] {
  const base = language.split('_')[0]!;
  return base === language ? [language] : [language, base];
}

/**
 * The languages that decide a page for `accepted`, given the locales any bundle
 * has: everything up to and including English, narrowed to known locales. Two
 * headers with the same result get the same page.
 */
export function effectiveLanguages(accepted: readonly string[], known: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const language of accepted) {
    for (const candidate of candidates(language)) {
      if ((known.has(candidate) || candidate === 'en') && !out.includes(candidate)) out.push(candidate);
    }
    if (out.includes('en')) break;
  }
  return out;
}

/** The translation to show from `translations` for `languages`, and its locale; none means the activity.info text. */
export function pickTranslation(
  translations: Readonly<Record<string, Translation>>,
  languages: readonly string[],
): { locale: string; translation: Translation } | undefined {
  for (const language of languages) {
    const found = Object.entries(translations).find(([locale]) => localeKey(locale) === language);
    if (found) return { locale: found[0], translation: found[1] };
    if (language === 'en') return undefined;
  }
  return undefined;
}
