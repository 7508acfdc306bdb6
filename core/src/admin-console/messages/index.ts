/** The console's own message catalogues, by language. */
import type { Language } from '../i18n.js';
import { en, type CoreWords } from './en.js';
import { es } from './es.js';
import { fr } from './fr.js';

export type { CoreWords };
export const CORE_WORDS: Readonly<Record<Language, CoreWords>> = { en: en as CoreWords, es, fr };
