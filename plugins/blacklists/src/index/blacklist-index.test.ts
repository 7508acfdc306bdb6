import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveCategories } from '../policy/active-categories.js';
import { BlacklistIndex, Match, MATCH_DOMAIN, MATCH_EXPRESSION, MATCH_URL } from './blacklist-index.js';
import { Decider } from '../squid/decision.js';
import { BlacklistsErrors } from '../errors.js';
import { ALL_ACTIVE, compileFixture, type Compiled } from '../compile/lists.test-support.js';
import { normaliseUrl } from '../squid/normalise.js';

let compiled: Compiled;
const match = new Match();

function lookup(url: string, active = ALL_ACTIVE): { category: string | null; kind: number } {
  compiled.index.match(normaliseUrl(url)!, active, match);
  const category = compiled.index.meta.categories.find((c) => c.id === match.category)?.name ?? null;
  return { category, kind: match.kind };
}

beforeAll(async () => {
  compiled = await compileFixture({
    categories: {
      adult: {
        domains: ['example.com', 'a.example.com', 'b.example.com', 'deep.sub.listed.org', 'both.example', '10.0.0.1', '2001:db8::1'],
        urls: ['pages.example/bad/path', 'pages.example/bad/other', 'www.only-www.example/x', 'whole-host.example'],
        expressions: ['(^|[-/_.])(porno?|sexy?)([-/_.?]|$)'],
      },
      gambling: { domains: ['casino.example', 'both.example', 'b.example.com'], urls: ['pages.example/bad/path/deeper'] },
    },
    allow: ['good.example.com', 'pages.example/bad/path/ok', 'casino.example/homework'],
    block: ['school-blocked.example', 'pages.example/school'],
  });
});
afterAll(() => compiled.cleanup());

describe('domain matching', () => {
  it('blocks a listed domain and every subdomain of it', () => {
    for (const url of ['http://example.com/', 'http://www.example.com/', 'http://x.y.example.com/a', 'example.com:443']) {
      expect(lookup(url), url).toEqual({ category: 'adult', kind: MATCH_DOMAIN });
    }
  });

  it('matches whole labels only', () => {
    for (const url of ['http://notexample.com/', 'http://example.com.evil.org/', 'http://example.co/', 'http://sub.listed.org/']) {
      expect(lookup(url).category, url).toBeNull();
    }
  });

  it('keeps one category per domain: the first in the policy', () => {
    expect(lookup('http://both.example/').category).toBe('adult');
    expect(compiled.index.meta.categories.find((c) => c.name === 'gambling')!.domains).toBe(1);
  });

  it('matches IP addresses exactly, in any spelling', () => {
    expect(lookup('http://10.0.0.1/x').category).toBe('adult');
    expect(lookup('http://167772161/x').category).toBe('adult');
    expect(lookup('http://10.0.0.2/x').category).toBeNull();
    expect(lookup('http://[2001:db8:0::1]/').category).toBe('adult');
  });

  it('uses the school block list as category "local"', () => {
    expect(lookup('http://www.school-blocked.example/').category).toBe('local');
  });
});

describe('the allow list', () => {
  it('beats a block on a parent domain', () => {
    expect(lookup('http://good.example.com/').category).toBe('allow');
    expect(lookup('http://x.good.example.com/').category).toBe('allow');
    expect(lookup('http://bad.example.com/').category).toBe('adult');
  });

  it('beats domain, URL and expression blocks with a URL entry', () => {
    expect(lookup('http://casino.example/homework/sums').category).toBe('allow');
    expect(lookup('http://casino.example/poker').category).toBe('gambling');
    expect(lookup('http://pages.example/bad/path/ok/porn').category).toBe('allow');
  });
});

describe('URL entries', () => {
  it('match by string prefix of the path, as squidGuard does', () => {
    expect(lookup('http://pages.example/bad/path')).toEqual({ category: 'adult', kind: MATCH_URL });
    expect(lookup('http://pages.example/bad/path/x?y=1').category).toBe('adult');
    expect(lookup('http://pages.example/bad/pathq').category).toBe('adult');
    expect(lookup('http://pages.example/bad/pat').category).toBeNull();
    expect(lookup('http://pages.example/').category).toBeNull();
  });

  it('keep the first category in the policy when entries of two categories match', () => {
    expect(lookup('http://pages.example/bad/path/deeper').category).toBe('adult');
  });

  it('match the host with or without www, web or ftp in front; an entry written with www needs it', () => {
    expect(lookup('http://www.pages.example/bad/other').category).toBe('adult');
    expect(lookup('http://ftp2.pages.example/bad/other').category).toBe('adult');
    expect(lookup('http://www.only-www.example/x').category).toBe('adult');
    expect(lookup('http://only-www.example/x').category).toBeNull();
  });

  it('block a whole host when the entry has no path, and no other host', () => {
    expect(lookup('http://whole-host.example/anything').category).toBe('adult');
    expect(lookup('http://whole-host.example.evil/anything').category).toBeNull();
  });

  it('include the school block list', () => {
    expect(lookup('http://pages.example/school/x').category).toBe('local');
  });
});

describe('expressions', () => {
  it('match the URL without scheme and www', () => {
    expect(lookup('http://www.clean.example/videos/porn/1')).toEqual({ category: 'adult', kind: MATCH_EXPRESSION });
    expect(lookup('http://clean.example/sexy.html').category).toBe('adult');
    expect(lookup('http://clean.example/sussex/').category).toBeNull();
  });

  it('apply only while their category is active', () => {
    const gamblingOnly = new Uint8Array(256);
    gamblingOnly[compiled.index.meta.categories.find((c) => c.name === 'gambling')!.id] = 1;
    expect(lookup('http://clean.example/porn/', gamblingOnly).category).toBeNull();
    expect(lookup('http://example.com/', gamblingOnly).category).toBeNull();
    expect(lookup('http://casino.example/', gamblingOnly).category).toBe('gambling');
  });
});

describe('decisions', () => {
  it('name the rule that decided', () => {
    const decider = new Decider(compiled.index, new ActiveCategories(), 'http://schoolserver/blocked');
    const decide = (url: string) => decider.decide(normaliseUrl(url)!);
    expect(decide('http://x.a.example.com/')).toEqual({ blocked: true, category: 'adult', action: 'page', rule: { list: 'domain', entry: 'a.example.com', category: 'adult' } });
    expect(decide('http://www.pages.example/bad/path/z').rule).toEqual({ list: 'url', entry: 'pages.example/bad/path', category: 'adult' });
    expect(decide('http://clean.example/porn').rule).toEqual({ list: 'expression', entry: '(^|[-/_.])(porno?|sexy?)([-/_.?]|$)', category: 'adult' });
    expect(decide('http://good.example.com/')).toEqual({ blocked: false, category: null, action: null, rule: { list: 'domain', entry: 'good.example.com', category: 'allow' } });
    expect(decide('http://clean.example/')).toEqual({ blocked: false, category: null, action: null, rule: null });
  });

  it('never block the block page itself', () => {
    const decider = new Decider(compiled.index, new ActiveCategories(), 'http://example.com/blocked');
    expect(decider.decide(normaliseUrl('http://example.com/blocked?url=x')!).blocked).toBe(false);
    expect(decider.decide(normaliseUrl('http://example.com/other')!).blocked).toBe(true);
  });
});

describe('index files', () => {
  it('load to the same answers', async () => {
    const again = BlacklistIndex.fromBuffer(await readFile(compiled.outcome.file), 'again');
    expect(again.domainCount).toBe(compiled.index.domainCount);
    expect(again.categoryOfHost('casino.example')).toBe(compiled.index.categoryOfHost('casino.example'));
  });

  it('are refused when truncated, damaged or not an index', async () => {
    const bytes = await readFile(compiled.outcome.file);
    const refused = (contents: Buffer) => () => BlacklistIndex.fromBuffer(contents, 'x.idx');
    expect(refused(bytes.subarray(0, bytes.length - 8))).toThrow(/truncated/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 20]! ^= 0xff;
    expect(refused(flipped)).toThrow(/checksum/);
    expect(refused(Buffer.from('not an index at all, not at all, not at all, not at all, not at all, no'))).toThrow(/not a sugar-server/);
    try {
      refused(flipped)();
    } catch (err) {
      expect(BlacklistsErrors.BAD_INDEX.is(err)).toBe(true);
    }
  });
});
