import { describe, expect, it } from 'vitest';
import { escapeHtml, renderBlockPage } from './block-page.js';
import { pickLanguage } from './messages.js';

describe('the block page', () => {
  it('explains in the reader\'s language, with the category named for people', () => {
    expect(renderBlockPage({ language: 'en', url: 'http://a.example/', category: 'adult', deny: false })).toContain('listed as: adult content');
    expect(renderBlockPage({ language: 'es', url: null, category: 'gambling', deny: false })).toContain('juegos de azar');
    expect(renderBlockPage({ language: 'fr', url: null, category: 'local', deny: false })).toContain('bloquée par l’école');
    expect(renderBlockPage({ language: 'fr', url: null, category: null, deny: false })).toContain('<html lang="fr">');
  });

  it('escapes everything that came with the request', () => {
    const html = renderBlockPage({ language: 'en', url: 'http://x/"><script>alert(1)</script>', category: 'odd<b>', deny: false });
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<b>');
    expect(html).toContain('&#60;script&#62;');
    expect(escapeHtml(`&<>"'`)).toBe('&#38;&#60;&#62;&#34;&#39;');
  });

  it('shortens long addresses', () => {
    expect(renderBlockPage({ language: 'en', url: `http://a/${'x'.repeat(500)}`, category: null, deny: false })).toContain('x…</code>');
  });

  it('says only "access denied" for deny categories', () => {
    const html = renderBlockPage({ language: 'es', url: 'http://a/', category: 'malware', deny: true });
    expect(html).toContain('Acceso denegado');
    expect(html).not.toContain('http://a/');
  });
});

describe('the page while filtering is not ready', () => {
  it('says so, in the reader\'s language, instead of naming a category', () => {
    const html = renderBlockPage({ language: 'es', url: 'http://a.example/', category: null, deny: false, unavailable: true });
    expect(html).toContain('no está listo');
    expect(html).toContain('http://a.example/');
    expect(html).not.toContain('bloquea esta página');
  });
});

describe('choosing the language', () => {
  it('prefers ?lang=, then Accept-Language by quality, then English', () => {
    expect(pickLanguage('fr', 'es')).toBe('fr');
    expect(pickLanguage(undefined, 'de-DE, es;q=0.9, fr;q=0.95')).toBe('fr');
    expect(pickLanguage(undefined, 'es-PE,en;q=0.5')).toBe('es');
    expect(pickLanguage('xx', 'de')).toBe('en');
    expect(pickLanguage(undefined, undefined)).toBe('en');
    expect(pickLanguage(undefined, 'fr;q=0, es;q=0.1')).toBe('es');
  });
});
