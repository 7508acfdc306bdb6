/**
 * The console's languages (those of the block page): English, Spanish and
 * French, chosen by the reader's switch (a cookie) first, then
 * `Accept-Language` by quality, else English. Words live in the message
 * catalogues only; `{name}` in a message is filled from its parameters.
 */
export const LANGUAGES = ['en', 'es', 'fr'] as const;
export type Language = (typeof LANGUAGES)[number];

/** One language's words by key. */
export type Catalogue = Readonly<Record<string, string>>;
/** A page's words in every language the console speaks. */
export type Catalogues<K extends string = string> = Readonly<Record<Language, Readonly<Record<K, string>>>>;

export function isLanguage(tag: unknown): tag is Language {
  return typeof tag === 'string' && (LANGUAGES as readonly string[]).includes(tag);
}

/** `explicit` when it is one of ours, else the best `Accept-Language` match, else English. */
export function pickLanguage(explicit: string | undefined, acceptLanguage: string | undefined): Language {
  const wanted = explicit?.toLowerCase().slice(0, 2);
  if (isLanguage(wanted)) return wanted;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, order) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find(Boolean);
      return { tag: tag.toLowerCase().slice(0, 2), q: q === undefined ? 1 : Number(q), order };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
  return ranked.map((entry) => entry.tag).find(isLanguage) ?? 'en';
}

/** Parameters for `{name}` slots. */
export type Params = Readonly<Record<string, string | number>>;

/** A lookup in `catalogue`; a missing key shows itself, so a gap is seen, not hidden. */
export function translator(catalogue: Catalogue): (key: string, params?: Params) => string {
  return (key, params) => fill(catalogue[key] ?? key, params);
}

/** `message` with its `{name}` slots filled from `params`; a slot without a parameter stays as it is. */
export function fill(message: string, params?: Params): string {
  return params ? message.replace(/\{(\w+)\}/g, (slot, name: string) => (name in params ? String(params[name]) : slot)) : message;
}
