import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Match } from '../index/blacklist-index.js';
import { combineExpressions, linearFallbackEnabled, MAX_MATCH_LENGTH, translateExpression } from './expressions.js';
import { compileFixture, type Compiled } from './lists.test-support.js';
import { normaliseUrl } from '../squid/normalise.js';

const source = (ere: string) => {
  const t = translateExpression(ere);
  if (!t.ok) throw new Error(t.reason);
  return t.source;
};
const refused = (ere: string) => {
  const t = translateExpression(ere);
  return t.ok ? null : t.reason;
};

describe('POSIX expressions, translated', () => {
  it('match case-insensitively by lower-casing the pattern (URLs arrive lower-case)', () => {
    expect(source('Porn|SEX')).toBe('porn|sex');
    expect(new RegExp(source('[A-Z]+tube')).test('xtube')).toBe(true);
  });

  it('read brackets the POSIX way: ] first is a member, \\ is literal, [:classes:]', () => {
    const re = new RegExp(source('^[]a\\[:digit:]]+$'));
    expect(re.test(']a\\7')).toBe(true);
    expect(new RegExp(source('[[:alpha:]][[:digit:]]')).test('x9')).toBe(true);
    expect(new RegExp(source('[^[:alnum:]]')).test('abc')).toBe(false);
  });

  it('keep GNU escapes and word boundaries, make groups non-capturing', () => {
    expect(source('\\<sex\\>')).toBe('\\bsex\\b');
    expect(source('(a|b)\\.c')).toBe('(?:a|b)\\.c');
    expect(source('a{2,3}')).toBe('a{2,3}');
  });

  it('treat the UT1-style expression as squidGuard does', () => {
    const re = new RegExp(source('(^|[-\\?+=/_])(porno?|sexy?)s?([-\\?+=&/_]|$)'));
    expect(re.test('example.com/porn/')).toBe(true);
    expect(re.test('example.com/sussex/')).toBe(false);
  });

  it('refuse what could backtrack for ever or is not POSIX', () => {
    expect(refused('(a+)+$')).toMatch(/exponential/);
    expect(refused('(x*y*)*z')).toMatch(/exponential/);
    expect(refused('(x)\\1')).toMatch(/back-references/);
    expect(refused('[unterminated')).toMatch(/unterminated/);
    expect(refused('(?:x)')).toMatch(/not POSIX/);
    expect(refused('a{300}')).toMatch(/count/);
    expect(refused('(open')).toMatch(/unbalanced/);
    expect(refused('*x')).toMatch(/repeats nothing/);
    expect(refused('x'.repeat(5000))).toMatch(/longer/);
    expect(refused('(ab)+c')).toBeNull();
  });

  // How long a pathological pattern takes is measured by the benchmark (test/bench/blacklists.ts), not here.
  it('run with V8\'s linear-time fallback switched on, and still give the right answer on a long URL', () => {
    const re = combineExpressions([source('.*a.*a.*b')])!;
    expect(linearFallbackEnabled()).toBe(true);
    expect(re.test('a'.repeat(MAX_MATCH_LENGTH))).toBe(false);
    expect(re.test(`${'a'.repeat(MAX_MATCH_LENGTH - 1)}b`)).toBe(true);
  });
});

describe('expressions in lookups', () => {
  let compiled: Compiled;
  beforeAll(async () => {
    compiled = await compileFixture({ categories: { adult: { expressions: ['zzz'] } } });
  });
  afterAll(() => compiled.cleanup());

  it('see at most the first MAX_MATCH_LENGTH characters of a URL, so their work is bounded by it', () => {
    const blocked = (url: string) => {
      const match = new Match();
      compiled.index.match(normaliseUrl(url)!, new Uint8Array(256).fill(1), match);
      return match.category >= 0;
    };
    const padding = 'a'.repeat(MAX_MATCH_LENGTH);
    expect(blocked(`http://x.example/zzz/${padding}`)).toBe(true);
    expect(blocked(`http://x.example/${padding}/zzz`)).toBe(false);
  });
});
