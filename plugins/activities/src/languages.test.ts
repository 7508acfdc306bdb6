import { describe, expect, it } from 'vitest';
import { acceptedLanguages, effectiveLanguages, pickTranslation } from './languages.js';

describe('page languages', () => {
  it('orders Accept-Language by quality, then by position', () => {
    expect(acceptedLanguages('fr;q=0.5, es-PE, pt_BR;q=0.9, *;q=0.1, de;q=0')).toEqual(['es_pe', 'pt_br', 'fr']);
    expect(acceptedLanguages('')).toEqual([]);
    expect(acceptedLanguages('en-US,en;q=0.9')).toEqual(['en_us', 'en']);
    expect(acceptedLanguages('<script>, es;q=abc, fr;q=2, it')).toEqual(['it']);
  });

  it('narrows to known locales, falling back from region to language, stopping at English', () => {
    const known = new Set(['es', 'pt_br', 'fr']);
    expect(effectiveLanguages(['es_pe', 'fr'], known)).toEqual(['es', 'fr']);
    expect(effectiveLanguages(['de', 'en', 'fr'], known)).toEqual(['en']);
    expect(effectiveLanguages(['en_us', 'fr'], known)).toEqual(['en']);
    expect(effectiveLanguages(['pt_br'], known)).toEqual(['pt_br']);
    expect(effectiveLanguages(['zh'], known)).toEqual([]);
  });

  it('picks the first translation a bundle has, or none once English comes first', () => {
    const translations = { es: { name: 'Pintar' }, pt_BR: { name: 'Pintura' } };
    expect(pickTranslation(translations, ['fr', 'pt_br', 'es'])).toEqual({ locale: 'pt_BR', translation: { name: 'Pintura' } });
    expect(pickTranslation(translations, ['en', 'es'])).toBeUndefined();
    expect(pickTranslation(translations, [])).toBeUndefined();
  });
});
