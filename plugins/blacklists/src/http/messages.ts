/**
 * The block page's words in English, Spanish and French, and the language a
 * browser asks for (`?lang=` first, then `Accept-Language` by quality).
 * Category names UT1 uses are given in each language; others are shown as
 * they are named in the lists.
 */

import type { Language } from 'sugar-server';

/** The languages the block page speaks are the admin console's, chosen the same way. */
export { LANGUAGES, pickLanguage, type Language } from 'sugar-server';

export interface PageWords {
  readonly title: string;
  readonly heading: string;
  readonly because: (category: string) => string;
  readonly unknownReason: string;
  readonly address: string;
  readonly advice: string;
  readonly deniedTitle: string;
  readonly denied: string;
  /** While the filter has no lists to check against (when_unavailable = block). */
  readonly unavailableHeading: string;
  readonly unavailable: string;
  readonly unavailableAdvice: string;
}

export const WORDS: Readonly<Record<Language, PageWords>> = {
  en: {
    title: 'Page blocked',
    heading: 'This page is blocked',
    because: (category) => `The school filter keeps this page away because it is listed as: ${category}.`,
    unknownReason: 'The school filter keeps this page away.',
    address: 'The address was',
    advice: 'If you need this page for your work, ask your teacher.',
    deniedTitle: 'Access denied',
    denied: 'Access to this address is not allowed on the school network.',
    unavailableHeading: 'The school filter is not ready',
    unavailable: 'The school filter is not ready yet, so no page can be opened for now.',
    unavailableAdvice: 'Try again in a few minutes. If this lasts, tell your teacher.',
  },
  es: {
    title: 'Página bloqueada',
    heading: 'Esta página está bloqueada',
    because: (category) => `El filtro de la escuela bloquea esta página porque está en la lista: ${category}.`,
    unknownReason: 'El filtro de la escuela bloquea esta página.',
    address: 'La dirección era',
    advice: 'Si necesitas esta página para tu trabajo, pregunta a tu maestra o maestro.',
    deniedTitle: 'Acceso denegado',
    denied: 'El acceso a esta dirección no está permitido en la red de la escuela.',
    unavailableHeading: 'El filtro de la escuela no está listo',
    unavailable: 'El filtro de la escuela todavía no está listo, así que por ahora no se puede abrir ninguna página.',
    unavailableAdvice: 'Vuelve a intentarlo en unos minutos. Si sigue así, avisa a tu maestra o maestro.',
  },
  fr: {
    title: 'Page bloquée',
    heading: 'Cette page est bloquée',
    because: (category) => `Le filtre de l’école bloque cette page car elle figure dans la liste : ${category}.`,
    unknownReason: 'Le filtre de l’école bloque cette page.',
    address: 'L’adresse était',
    advice: 'Si tu as besoin de cette page pour ton travail, demande à ton enseignant ou ton enseignante.',
    deniedTitle: 'Accès refusé',
    denied: 'L’accès à cette adresse n’est pas autorisé sur le réseau de l’école.',
    unavailableHeading: 'Le filtre de l’école n’est pas prêt',
    unavailable: 'Le filtre de l’école n’est pas encore prêt : aucune page ne peut être ouverte pour le moment.',
    unavailableAdvice: 'Réessaie dans quelques minutes. Si cela dure, préviens ton enseignant ou ton enseignante.',
  },
};

const CATEGORY_NAMES: Readonly<Record<string, Readonly<Record<Language, string>>>> = {
  adult: { en: 'adult content', es: 'contenido para adultos', fr: 'contenu pour adultes' },
  malware: { en: 'dangerous software', es: 'software peligroso', fr: 'logiciels dangereux' },
  phishing: { en: 'fraud and phishing', es: 'fraude y suplantación', fr: 'fraude et hameçonnage' },
  gambling: { en: 'gambling', es: 'juegos de azar', fr: 'jeux d’argent' },
  games: { en: 'games', es: 'juegos', fr: 'jeux' },
  violence: { en: 'violence', es: 'violencia', fr: 'violence' },
  aggressive: { en: 'aggressive content', es: 'contenido agresivo', fr: 'contenu agressif' },
  drugs: { en: 'drugs', es: 'drogas', fr: 'drogues' },
  dating: { en: 'dating', es: 'citas', fr: 'rencontres' },
  social_networks: { en: 'social networks', es: 'redes sociales', fr: 'réseaux sociaux' },
  chat: { en: 'chat', es: 'chat', fr: 'messagerie instantanée' },
  warez: { en: 'pirated software', es: 'software pirata', fr: 'logiciels piratés' },
  hacking: { en: 'hacking', es: 'hacking', fr: 'piratage' },
  local: { en: 'blocked by the school', es: 'bloqueada por la escuela', fr: 'bloquée par l’école' },
};

/** How a category is shown to readers of `language`. */
export function categoryLabel(category: string, language: Language): string {
  return CATEGORY_NAMES[category]?.[language] ?? category;
}
