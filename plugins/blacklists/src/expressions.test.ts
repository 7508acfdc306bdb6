import { describe, expect, it } from 'vitest';
import { combineExpressions, translateExpression } from './expressions.js';

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

  it('run a slow pattern on a long URL in bounded time (linear-time fallback)', () => {
    const re = combineExpressions([source('.*a.*a.*b')])!;
    const started = performance.now();
    expect(re.test('a'.repeat(4096))).toBe(false);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
