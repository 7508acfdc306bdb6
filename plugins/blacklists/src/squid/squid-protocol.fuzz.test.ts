import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../../test/fuzz/settings.js';
import { answer, readRequest, unescapeValue, type HelperMode } from './squid-protocol.js';

const urlChar = fc.constantFrom(...'abcxyz019.-_/?=&:@%#[]~+!$\'()*,;');
const host = fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,20}$/);
const url = fc.oneof(
  fc.tuple(fc.constantFrom('http://', 'https://', 'ftp://'), host, fc.string({ unit: urlChar, maxLength: 40 })).map(([s, h, p]) => `${s}${h}/${p}`),
  // CONNECT: host:port, no scheme.
  fc.tuple(host, fc.integer({ min: 1, max: 65535 })).map(([h, port]) => `${h}:${port}`),
  fc.string({ unit: urlChar, minLength: 1, maxLength: 40 }),
).filter((u) => !/^\d+$/.test(u) && u !== '-' && !u.includes(' '));
const channel = fc.option(fc.integer({ min: 0, max: 9_999_999 }).map(String), { nil: null });
const extras = fc.array(fc.constantFrom('10.0.0.5/-', '-', 'GET', 'CONNECT', 'myip=10.0.0.1', 'myport=3128', 'user%20name'), { maxLength: 5 });
const mode = fc.constantFrom<HelperMode>('rewrite', 'acl');
const line = fc.tuple(channel, url, extras, fc.boolean()).map(([c, u, e, cr]) => `${c === null ? '' : `${c} `}${[u, ...e].join(' ')}${cr ? '\r' : ''}`);
/** Squid's escaping of an external ACL value: every byte outside a safe set as %XX. */
const escape = (text: string) => text.replace(/[^A-Za-z0-9./:_-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

describe('squid helper lines under fuzzing', () => {
  it('reads the channel ID and the URL squid wrote, with and without concurrency, escaped in ACL mode', () => {
    fc.assert(
      boundedProperty(channel, url, extras, fc.boolean(), (c, u, e, cr) => {
        const head = c === null ? '' : `${c} `;
        const tail = `${e.length ? ` ${e.join(' ')}` : ''}${cr ? '\r' : ''}`;
        expect(readRequest(`${head}${u}${tail}`, 'rewrite')).toEqual({ channel: c, url: u });
        expect(readRequest(`${head}${escape(u)}${tail}`, 'acl')).toEqual({ channel: c, url: u });
        // The answer carries the same channel ID back.
        expect(answer(c, 'OK')).toBe(c === null ? 'OK' : `${c} OK`);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('gives a URL without spaces or nothing (BH), never an exception, for any line', () => {
    fc.assert(
      boundedProperty(fc.oneof(mutatedText(line), fc.string({ maxLength: 120 }), fc.string({ unit: 'binary', maxLength: 120 })), mode, (text, m) => {
        const request = readRequest(text, m);
        if (request.channel !== null) expect(request.channel).toMatch(/^\d{1,10}$/);
        if (request.url !== null) {
          expect(request.url.length).toBeGreaterThan(0);
          if (m === 'rewrite') expect(request.url).not.toMatch(/ /);
        }
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('undoes %XX once and leaves malformed escapes as they are', () => {
    fc.assert(
      boundedProperty(fc.string({ unit: fc.oneof(fc.constantFrom('%', '%2', '%zz', '%4', '1', 'f', 'G'), fc.string({ maxLength: 1 })), maxLength: 60 }), (value) => {
        const once = unescapeValue(value);
        expect(once.length).toBeLessThanOrEqual(value.length);
        expect(unescapeValue(escape(value))).toBe(value);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
