/**
 * Spellings of a URL meant to reach a listed place while looking like
 * another. The squid helper and the HTTP check (the Decider) must judge each
 * by the host and path a browser and the origin server would use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveCategories } from '../policy/active-categories.js';
import { Decider } from './decision.js';
import { HelperAnswerer } from './helper-answerer.js';
import { compileFixture, type Compiled } from '../compile/lists.test-support.js';
import { byteString, normaliseUrl } from './normalise.js';

let compiled: Compiled;
beforeAll(async () => {
  compiled = await compileFixture({
    categories: { adult: { domains: ['blocked.example', '10.1.2.3'], urls: ['urlblock.example/adult/'] } },
  });
});
afterAll(() => compiled.cleanup());

const PAGE = 'http://schoolserver/blocked';

/** Blocked or not, as the helper (url_rewrite_program: the URL as squid has it) and as the check both see it. */
function judged(url: string): { helper: boolean; check: boolean } {
  const answerer = new HelperAnswerer({ mode: 'rewrite', pageUrl: PAGE, whenUnavailable: 'block' });
  const helper = answerer.answerLine(url, compiled.index, answerer.activeFor(compiled.index));
  const normalised = normaliseUrl(byteString(url));
  const check = normalised ? new Decider(compiled.index, new ActiveCategories(), PAGE).decide(normalised).blocked : false;
  return { helper: helper.startsWith('OK status=302'), check };
}

const BLOCKED = { helper: true, check: true };
const ALLOWED = { helper: false, check: false };

describe('dot segments', () => {
  it('are resolved before URL entries are matched', () => {
    expect(judged('http://urlblock.example/adult/x')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/other/../adult/x')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/./adult/x')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/adult/./x')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/a/b/../../adult/x')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/../adult/x')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/other/x')).toEqual(ALLOWED);
    expect(judged('http://urlblock.example/adult/../x')).toEqual(ALLOWED);
  });

  it('are resolved when their dots are percent-escaped, in any case', () => {
    for (const dots of ['%2e%2e', '%2E%2E', '%2e%2E', '.%2e', '%2E.']) {
      expect(judged(`http://urlblock.example/other/${dots}/adult/x`)).toEqual(BLOCKED);
    }
    expect(judged('http://urlblock.example/%2e/adult/x')).toEqual(BLOCKED);
  });

  it('are resolved behind backslashes, which browsers read as slashes', () => {
    expect(judged('http://urlblock.example/other\\..\\adult\\x')).toEqual(BLOCKED);
  });

  it('leave the query alone', () => {
    expect(normaliseUrl('http://a.example/x?y=/../z')).toMatchObject({ path: '/x?y=/../z' });
  });
});

describe('the authority', () => {
  it('is split before escapes are decoded, so an escaped # ? or / in the user part does not move the host', () => {
    expect(judged('http://allowed.example%23@blocked.example/')).toEqual(BLOCKED);
    expect(judged('http://allowed.example%3F@blocked.example/')).toEqual(BLOCKED);
    expect(judged('http://allowed.example%2F@blocked.example/')).toEqual(BLOCKED);
    expect(judged('http://allowed.example%2f@blocked.example/')).toEqual(BLOCKED);
    expect(judged('http://blocked.example%2F@allowed.example/')).toEqual(ALLOWED);
  });

  it('ends at a backslash, as browsers read it for http and https', () => {
    expect(judged('http://blocked.example\\@allowed.example/')).toEqual(BLOCKED);
    expect(judged('https://blocked.example\\@allowed.example/')).toEqual(BLOCKED);
    expect(judged('http:\\\\blocked.example\\x')).toEqual(BLOCKED);
  });

  it('takes the host after the last @, as browsers do', () => {
    expect(judged('http://a@b@blocked.example/')).toEqual(BLOCKED);
    expect(judged('http://blocked.example@allowed.example/')).toEqual(ALLOWED);
  });

  it('still decodes escapes inside the host itself, and upper-case letters they spell match too', () => {
    expect(judged('http://blo%63ked.example/')).toEqual(BLOCKED);
    expect(judged('http://%42LOCKED.example/')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/%41dult/x')).toEqual(BLOCKED);
    expect(judged('http://urlblock.example/other/%2E%2E/%41DULT/x')).toEqual(BLOCKED);
  });

  it('reads a host whose escapes spell a port or a path up to them (browsers refuse such URLs)', () => {
    expect(judged('http://blocked.example%3A8080/')).toEqual(BLOCKED);
    expect(judged('http://blocked.example%2Fx/')).toEqual(BLOCKED);
  });

  it('reads IPv4-mapped IPv6 as the IPv4 address', () => {
    expect(judged('http://[::ffff:10.1.2.3]/')).toEqual(BLOCKED);
    expect(judged('http://[::FFFF:a01:203]:80/')).toEqual(BLOCKED);
    expect(judged('http://[::ffff:10.1.2.4]/')).toEqual(ALLOWED);
  });

  it('keeps CONNECT and bare authority forms working', () => {
    expect(judged('blocked.example:443')).toEqual(BLOCKED);
    expect(judged('user@blocked.example:443')).toEqual(BLOCKED);
    expect(judged('10.1.2.3:443')).toEqual(BLOCKED);
    expect(judged('[::ffff:10.1.2.3]:443')).toEqual(BLOCKED);
    expect(judged('urlblock.example/adult/x')).toEqual(BLOCKED);
    expect(judged('allowed.example:443')).toEqual(ALLOWED);
  });
});

describe('the host a browser would contact', () => {
  // Node's URL is the WHATWG parser browsers follow: the host found here must be its host.
  const spellings = [
    'http://allowed.example%23@blocked.example/',
    'http://allowed.example%3F@blocked.example/x',
    'http://blocked.example\\@allowed.example/',
    'http://user:pass@host.example:8080/p',
    'HTTP://Host.Example/P',
    'http:/\\host.example/x',
    'https:host.example',
    'http://a@b@host.example/',
    'http://host.example?x@y/',
    'http://host.example#x@y/',
    'http://[::ffff:10.1.2.3]/',
    'http://0x7f.1/',
    'http://ex%61mple.com/',
    'http://%42LOCKED.example/',
    'http://b%C3%BCcher.example/',
    'ftp://host.example/file',
  ];
  it.each(spellings)('%s', (url) => {
    const host = new URL(url).hostname;
    const expected = host.startsWith('[::ffff:') ? '10.1.2.3' : host;
    expect(normaliseUrl(url)?.host).toBe(expected);
  });
});
