import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HelperAnswerer } from './helper-answerer.js';
import { compileFixture, type Compiled } from '../compile/lists.test-support.js';

let compiled: Compiled;
beforeAll(async () => {
  compiled = await compileFixture({
    categories: { adult: { domains: ['adult.example'] }, malware: { domains: ['virus.example'] } },
    deny: ['malware'],
    allow: ['ok.adult.example'],
  });
});
afterAll(() => compiled.cleanup());

const PAGE = 'http://schoolserver/blocked';

function answers(mode: 'rewrite' | 'acl', lines: string[], options: { only?: 'page' | 'deny'; noIndex?: boolean; whenUnavailable?: 'block' | 'allow' } = {}): string[] {
  const answerer = new HelperAnswerer({ mode, only: options.only, pageUrl: PAGE, whenUnavailable: options.whenUnavailable ?? 'block' });
  const index = options.noIndex ? null : compiled.index;
  const active = answerer.activeFor(index);
  return lines.map((line) => answerer.answerLine(line, index, active));
}

describe('the helper as url_rewrite_program', () => {
  it('redirects blocked URLs to the block page with the URL and category, and lets the rest through', () => {
    expect(answers('rewrite', [
      'http://www.adult.example/a?b=c 10.0.0.5/- - GET myip=10.0.0.1 myport=3128',
      'http://ok.adult.example/ 10.0.0.5/- - GET',
      'http://clean.example/ 10.0.0.5/- - GET',
    ])).toEqual([
      `OK status=302 url="${PAGE}?url=http%3A%2F%2Fwww.adult.example%2Fa%3Fb%3Dc&category=adult"`,
      'OK',
      'OK',
    ]);
  });

  it('echoes channel IDs, and marks categories set to deny', () => {
    expect(answers('rewrite', ['7 http://virus.example/x 10.0.0.5/- - GET', '8 http://clean.example/ -'])).toEqual([
      `7 OK status=302 url="${PAGE}?url=http%3A%2F%2Fvirus.example%2Fx&category=malware&action=deny"`,
      '8 OK',
    ]);
  });

  it('answers BH for lines without a URL or a host', () => {
    expect(answers('rewrite', ['', '3', '4 http://:80/nohost'])).toEqual([
      'BH message="no URL on this line"',
      '3 BH message="no URL on this line"',
      '4 BH message="the URL holds no host"',
    ]);
  });

  it('without an index, sends everything but the block page there (when_unavailable = block), or lets it through (allow)', () => {
    expect(answers('rewrite', ['1 http://clean.example/', 'http://schoolserver/blocked?reason=unavailable'], { noIndex: true })).toEqual([
      `1 OK status=302 url="${PAGE}?url=http%3A%2F%2Fclean.example%2F&reason=unavailable"`,
      'OK',
    ]);
    expect(answers('rewrite', ['1 http://adult.example/'], { noIndex: true, whenUnavailable: 'allow' })).toEqual(['1 OK']);
  });

  it('never redirects the block page itself', () => {
    expect(answers('rewrite', ['http://schoolserver/blocked?url=http%3A%2F%2Fadult.example'])).toEqual(['OK']);
  });
});

describe('the helper as external_acl_type', () => {
  it('answers OK (match) with the category for blocked URLs, ERR otherwise', () => {
    expect(answers('acl', ['0 http://adult.example/%2541', '1 http://clean.example/', 'adult.example:443'])).toEqual(['0 OK message="adult"', '1 ERR', 'OK message="adult"']);
  });

  it('without an index, denies everything (when_unavailable = block, whatever --only says) or nothing (allow)', () => {
    expect(answers('acl', ['0 http://clean.example/'], { noIndex: true })).toEqual(['0 OK message="unavailable"']);
    expect(answers('acl', ['0 http://clean.example/'], { noIndex: true, only: 'deny' })).toEqual(['0 OK message="unavailable"']);
    expect(answers('acl', ['0 http://adult.example/'], { noIndex: true, whenUnavailable: 'allow' })).toEqual(['0 ERR']);
  });

  it('answers OK only for one action with --only', () => {
    expect(answers('acl', ['0 http://adult.example/', '1 http://virus.example/'], { only: 'deny' })).toEqual(['0 ERR', '1 OK message="malware"']);
  });
});

describe('the redirect address', () => {
  it('carries bytes beyond ASCII as they came', () => {
    const [line] = answers('rewrite', ['http://adult.example/caf\u00c3\u00a9']);
    expect(line).toContain('url=http%3A%2F%2Fadult.example%2Fcaf%C3%A9&category=adult');
  });
});
