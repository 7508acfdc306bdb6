import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../../test/fuzz/settings.js';
import { byteString, normaliseUrl, percentDecode } from './normalise.js';

const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const name = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
const ipv4 = fc.ipV4();
const ipv6 = fc.ipV6().map((a) => `[${a}]`);
const host = fc.oneof({ weight: 4, arbitrary: name }, { weight: 1, arbitrary: ipv4 }, { weight: 1, arbitrary: ipv6 }, { weight: 1, arbitrary: fc.constantFrom('www.example.org', 'WWW2.Example.ORG.', 'xn--bcher-kva.example', 'bücher.example', '0x7f.1', '2130706433', '[::ffff:10.1.2.3]') });
const pathChar = fc.constantFrom(...'abcAZ09/._-~%?=&#\\@:;+!$,');
const url = fc
  .tuple(
    fc.constantFrom('http://', 'https://', 'HTTP://', 'ftp://', 'http:\\\\', 'http:', '', 'gopher://'),
    fc.option(fc.constantFrom('user@', 'u:p@', 'a%40b@', 'evil.example@'), { nil: '' }),
    host,
    fc.option(fc.integer({ min: 0, max: 65535 }).map((p) => `:${p}`), { nil: '' }),
    fc.string({ unit: pathChar, maxLength: 40 }),
  )
  .map(([scheme, user, h, port, path]) => `${scheme}${user}${h}${port}${path ? `/${path}` : ''}`);

describe('normaliseUrl under fuzzing', () => {
  it('returns a normalised URL or null, never an exception, for URLs, near-misses and any bytes', () => {
    fc.assert(
      boundedProperty(fc.oneof(url, mutatedText(url), fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 }).map(byteString)), (raw) => {
        const result = normaliseUrl(raw);
        if (result === null) return;
        expect(result.host.length).toBeGreaterThan(0);
        expect(result.host).not.toMatch(/[A-Z]/);
        expect(result.host.endsWith('.')).toBe(false);
        expect(result.host.endsWith(result.strippedHost)).toBe(true);
        expect(result.path).not.toMatch(/[A-Z]/);
        if (result.path) expect(result.path.startsWith('/')).toBe(true);
        expect(result.path.split('?')[0]).not.toMatch(/\/\//);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('reads the host a browser reads, for every URL a browser accepts', () => {
    fc.assert(
      boundedProperty(fc.oneof(url, mutatedText(url, fc.constantFrom('%', '@', ':', '.', '/', '\\', '[', ']', '#', '?', '0', 'x'))), (raw) => {
        let browser: URL;
        try {
          browser = new URL(raw);
        } catch {
          return;
        }
        if (!['http:', 'https:', 'ftp:'].includes(browser.protocol) || browser.hostname === '') return;
        const result = normaliseUrl(byteString(raw));
        // Trailing dots are dropped (README rule 7); a browser reads "10.0.0.1.." as a name, which no DNS answers.
        if (/\.\.$/.test(browser.hostname)) return;
        const expected = browser.hostname.replace(/\.$/, '');
        if (expected === '') return;
        expect(result?.host).toBe(/^\[::ffff:/.test(expected) ? result?.host : expected);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('is stable: the normalised host read again is the same host', () => {
    fc.assert(
      boundedProperty(url, (raw) => {
        const result = normaliseUrl(byteString(raw));
        if (result === null) return;
        expect(normaliseUrl(`http://${result.host}/`)?.host).toBe(result.host);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('decodes every %XX once', () => {
    fc.assert(
      boundedProperty(fc.string({ unit: fc.oneof(fc.constantFrom('%', '%4', '%41', '%2e', '%%', '%g1'), fc.string({ unit: 'binary-ascii', maxLength: 1 })), maxLength: 40 }), (text) => {
        expect(percentDecode(text)).toBe(text.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
