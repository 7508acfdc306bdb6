/**
 * Differential: Debian's squidGuard and sugar-server's helper decide the same
 * stream of URLs over the same generated lists (and the same school allow and
 * block lists). Where they disagree, the difference must be one of the rules
 * the README lists under "Differences from squidGuard": the suite replays
 * squidGuard's algorithm (squidguard-model.ts, itself checked against the real
 * squidGuard on every line) with some of squidGuard's behaviours switched to
 * sugar-server's, and names the switches that explain each difference.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADULT_EXPRESSION, generateLists, streamUrl, type GeneratedLists } from '../fixtures/blacklists/generate.js';
import { blacklistsConfig, BlacklistsServer } from './blacklists/server.js';
import { skipWithout } from '../harness/index.js';
import { prepareSquidGuard, runSquidGuard, SQUIDGUARD_BIN } from './blacklists/squidguard.js';
import { QUIRK_NAMES, SQUIDGUARD, SquidGuardModel, type ModelDecision, type Quirks } from './blacklists/squidguard-model.js';

const STREAM = 20_000;

type Outcome = 'block' | 'pass' | 'broken';

function ours(answer: string): Outcome {
  return answer.startsWith('OK status=302') ? 'block' : answer === 'OK' ? 'pass' : 'broken';
}

function theirs(answer: string): Outcome {
  return answer.startsWith('OK rewrite-url=') ? 'block' : answer === 'ERR' ? 'pass' : 'broken';
}

const urlHost = (entry: string) => entry.slice(0, entry.indexOf('/'));
const urlPath = (entry: string) => entry.slice(entry.indexOf('/'));

function modelled(decision: ModelDecision): Outcome {
  return decision.kind;
}

/** The smallest sets of squidGuard behaviours that, switched to sugar-server's rules, make the model agree with sugar-server. */
function explain(model: SquidGuardModel, line: string, wanted: Outcome): string | null {
  const subsets: (keyof Quirks)[][] = [[]];
  for (const name of QUIRK_NAMES) for (const subset of [...subsets]) subsets.push([...subset, name]);
  subsets.sort((a, b) => a.length - b.length);
  for (const subset of subsets.slice(1)) {
    const quirks = { ...SQUIDGUARD, ...Object.fromEntries(subset.map((name) => [name, false])) } as Quirks;
    if (modelled(model.decide(line, quirks)) === wanted) return subset.join('+');
  }
  return null;
}

describe.skipIf(skipWithout(SQUIDGUARD_BIN !== null))('sugar-server and squidGuard on the same lists', () => {
  let workdir: string;
  let lists: GeneratedLists;
  let server: BlacklistsServer;
  let conf: string;
  let model: SquidGuardModel;
  let lines: string[];
  let sugar: Outcome[];
  let squidguard: Outcome[];

  beforeAll(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'blacklists-differential-'));
    lists = await generateLists(join(workdir, 'lists'), {
      seed: 11,
      categories: { adult: { domains: 20_000, urls: 3_000, expressions: true }, malware: { domains: 3_000, urls: 300 }, phishing: { domains: 2_000, urls: 200 } },
      garbagePerFile: 3,
    });
    const allowDomains = [lists.domain('adult', 13), `sub.${lists.domain('malware', 7)}`];
    const allowUrls = [`${lists.domain('adult', 21)}/homework`];
    const blockDomains = ['blocked-here.example', 'www.news.example'];
    const blockUrls = ['videos.example/kids/bad'];
    server = await BlacklistsServer.start(blacklistsConfig(lists.root, 'categories = adult, malware, phishing\n'), {
      'blacklists-allow.txt': [...allowDomains, ...allowUrls].join('\n'),
      'blacklists-block.txt': [...blockDomains, ...blockUrls].join('\n'),
    });

    // squidGuard gets the same lists; the school's are split into domains and urls as its dests need.
    const sg = join(workdir, 'squidguard');
    await mkdir(join(sg, 'white'), { recursive: true });
    await mkdir(join(sg, 'local'), { recursive: true });
    await writeFile(join(sg, 'white', 'domains'), `${allowDomains.join('\n')}\n`);
    await writeFile(join(sg, 'white', 'urls'), `${allowUrls.join('\n')}\n`);
    await writeFile(join(sg, 'local', 'domains'), `${blockDomains.join('\n')}\n`);
    await writeFile(join(sg, 'local', 'urls'), `${blockUrls.join('\n')}\n`);
    // squidGuard dies (SIGSEGV) on an expression regcomp refuses, so it gets only the valid one.
    await writeFile(join(sg, 'expressions'), `${ADULT_EXPRESSION}\n`);
    const category = (name: string) => ({ name, domains: join(lists.root, name, 'domains'), urls: join(lists.root, name, 'urls') });
    const dests = [
      { name: 'white', domains: join(sg, 'white', 'domains'), urls: join(sg, 'white', 'urls') },
      { name: 'local', domains: join(sg, 'local', 'domains'), urls: join(sg, 'local', 'urls') },
      { ...category('adult'), expressions: join(sg, 'expressions') },
      category('malware'),
      category('phishing'),
    ];
    conf = await prepareSquidGuard(sg, dests, { white: 'white' });
    const adultExpression = new RegExp(ADULT_EXPRESSION.replace('[-\\?+=/_.]', '[-\\\\?+=/_.]').replace('[-\\?+=&/_.]', '[-\\\\?+=&/_.]'));
    model = new SquidGuardModel(dests.map((d) => ({ ...d, pass: d.name === 'white', expressions: d.name === 'adult' ? [adultExpression] : undefined })));

    const urls = Array.from({ length: STREAM }, (_, i) => streamUrl(lists, i).url);
    const edges = [
      `http://${lists.domain('adult', 13)}/`,
      `http://deep.sub.${lists.domain('malware', 7)}/`,
      `http://${lists.domain('adult', 21)}/homework/1`,
      `http://${lists.domain('adult', 21)}/other`,
      'http://a.b.blocked-here.example/',
      'http://www.news.example:8080/x',
      'http://videos.example/kids/bad/1',
      `http://${lists.domain('adult', 30)}.evil.example/`,
      `http://${lists.url('adult', 9)}?q=1`,
      `http://web7.${lists.url('phishing', 2).replace(/^www\./, '')}`,
      `https://${lists.domain('phishing', 4)}:443/`,
      `http://${lists.domain('adult', 50)}/%70orn/`,
      `http://${urlHost(lists.url('adult', 5))}/elsewhere/..${urlPath(lists.url('adult', 5))}`,
      `http://${urlHost(lists.url('malware', 6))}/elsewhere/%2E%2e${urlPath(lists.url('malware', 6))}`,
      `http://homework.example%2F@${lists.domain('adult', 60)}/`,
      `http://${lists.domain('adult', 61)}\\@homework.example/`,
    ];
    lines = [...urls, ...edges].map((url) => `${url} 10.0.0.5/- - GET`);
    const input = `${lines.join('\n')}\n`;
    const sgRun = await runSquidGuard(['-c', conf], input);
    squidguard = sgRun.stdout.split('\n').slice(0, lines.length).map(theirs);
    const ourRun = await server.helper(input);
    sugar = ourRun.stdout.split('\n').slice(0, lines.length).map(ours);
  }, 180_000);

  afterAll(async () => {
    await server?.dispose();
    await rm(workdir, { recursive: true, force: true });
  });

  it('both answer every line', () => {
    expect(squidguard).toHaveLength(lines.length);
    expect(sugar).toHaveLength(lines.length);
    expect(sugar.filter((o) => o === 'broken')).toEqual([]);
    expect(squidguard.filter((o) => o === 'broken')).toEqual([]);
  });

  it('the model of squidGuard decides exactly as squidGuard does', () => {
    const wrong = lines.filter((line, i) => modelled(model.decide(line)) !== squidguard[i]);
    expect(wrong.slice(0, 10)).toEqual([]);
  });

  it('agree on almost every URL, and every difference is a documented rule', () => {
    const byRule = new Map<string, number>();
    const unexplained: string[] = [];
    let agree = 0;
    lines.forEach((line, i) => {
      if (sugar[i] === squidguard[i]) {
        agree++;
        return;
      }
      const rule = explain(model, line, sugar[i]!);
      if (rule) byRule.set(rule, (byRule.get(rule) ?? 0) + 1);
      else unexplained.push(`${line} -> sugar-server ${sugar[i]}, squidGuard ${squidguard[i]}`);
    });
    console.log(`differential: ${lines.length} URLs, ${agree} decided alike; differences by rule: ${JSON.stringify(Object.fromEntries(byRule))}`);
    expect(unexplained.slice(0, 10)).toEqual([]);
    expect(agree / lines.length).toBeGreaterThan(0.97);
  });

  it('treat the school lists as squidGuard treats a white dest and a dest of its own', () => {
    const decided = (url: string) => {
      const i = lines.indexOf(`${url} 10.0.0.5/- - GET`);
      return { sugar: sugar[i], squidguard: squidguard[i] };
    };
    expect(decided(`http://deep.sub.${lists.domain('malware', 7)}/`)).toEqual({ sugar: 'pass', squidguard: 'pass' });
    expect(decided(`http://${lists.domain('adult', 21)}/homework/1`)).toEqual({ sugar: 'pass', squidguard: 'pass' });
    expect(decided(`http://${lists.domain('adult', 21)}/other`)).toEqual({ sugar: 'block', squidguard: 'block' });
    expect(decided('http://a.b.blocked-here.example/')).toEqual({ sugar: 'block', squidguard: 'block' });
    expect(decided('http://videos.example/kids/bad/1')).toEqual({ sugar: 'block', squidguard: 'block' });
  });
});

describe.skipIf(skipWithout(SQUIDGUARD_BIN !== null))('each difference from squidGuard, on lists made to show it', () => {
  let workdir: string;
  let server: BlacklistsServer;
  const decisions = new Map<string, { sugar: Outcome; squidguard: Outcome }>();
  const cases = [
    // A subdomain is missed when another listed subdomain of its parent sorts between them.
    'http://www.example.com/',
    // A host that merely begins with a listed domain is blocked when the lookup lands on it.
    'http://example.com.evil.org/',
    // A URL entry is missed when the next entry starts with it.
    'http://pages.example/bad/path/more',
    // The port stays in the URL squidGuard matches entries written with www against.
    'http://www.port.example:8080/x',
    // IPv4 written as one number is the same address.
    'http://3232235777/',
    // A URL entry without a path covers its host only.
    'http://whole.example.evil.org/',
    // Only the host loses a trailing dot; squidGuard drops the first "./" anywhere.
    'http://dots.example/a./b',
    // URL entries are normalised like requests (here: the scheme).
    'http://scheme.example/x/1',
    // Dot segments are resolved: this is pages.example/bad/path/1.
    'http://pages.example/other/../bad/path/1',
    // The URL is split before it is decoded, as browsers split it: these go to example.com.
    'http://example.com\\@clean.example/',
    'http://clean.example%2F@example.com/',
    // Listed domains themselves, and clean sites, agree.
    'http://a.example.com/',
    'http://clean.example/',
  ];

  beforeAll(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'blacklists-differences-'));
    const root = join(workdir, 'blacklists');
    await mkdir(join(root, 'adult'), { recursive: true });
    await writeFile(join(root, 'adult', 'domains'), 'example.com\na.example.com\n192.168.1.1\n');
    await writeFile(join(root, 'adult', 'urls'), 'pages.example/bad/path\npages.example/bad/path2\nwww.port.example/x\nwhole.example\ndots.example/a/b\nhttp://scheme.example/x\n');
    server = await BlacklistsServer.start(blacklistsConfig(root, 'categories = adult\n'));
    const conf = await prepareSquidGuard(join(workdir, 'squidguard'), [{ name: 'adult', domains: join(root, 'adult', 'domains'), urls: join(root, 'adult', 'urls') }]);
    const input = cases.map((url) => `${url} 10.0.0.5/- - GET\n`).join('');
    const theirLines = (await runSquidGuard(['-c', conf], input)).stdout.split('\n');
    const ourLines = (await server.helper(input)).stdout.split('\n');
    cases.forEach((url, i) => decisions.set(url, { sugar: ours(ourLines[i]!), squidguard: theirs(theirLines[i]!) }));
  }, 120_000);

  afterAll(async () => {
    await server?.dispose();
    await rm(workdir, { recursive: true, force: true });
  });

  it('a subdomain of a listed domain is always blocked', () => {
    expect(decisions.get('http://www.example.com/')).toEqual({ sugar: 'block', squidguard: 'pass' });
  });

  it('only whole labels match', () => {
    expect(decisions.get('http://example.com.evil.org/')).toEqual({ sugar: 'pass', squidguard: 'block' });
  });

  it('every URL entry that is a prefix matches', () => {
    expect(decisions.get('http://pages.example/bad/path/more')).toEqual({ sugar: 'block', squidguard: 'pass' });
  });

  it('ports never matter', () => {
    expect(decisions.get('http://www.port.example:8080/x')).toEqual({ sugar: 'block', squidguard: 'pass' });
  });

  it('IPv4 addresses match in any spelling', () => {
    expect(decisions.get('http://3232235777/')).toEqual({ sugar: 'block', squidguard: 'pass' });
  });

  it('a URL entry is matched per host', () => {
    expect(decisions.get('http://whole.example.evil.org/')).toEqual({ sugar: 'pass', squidguard: 'block' });
  });

  it('only the host loses its trailing dots', () => {
    expect(decisions.get('http://dots.example/a./b')).toEqual({ sugar: 'pass', squidguard: 'block' });
  });

  it('list entries are normalised like requests', () => {
    expect(decisions.get('http://scheme.example/x/1')).toEqual({ sugar: 'block', squidguard: 'pass' });
  });

  it('dot segments are resolved', () => {
    expect(decisions.get('http://pages.example/other/../bad/path/1')).toEqual({ sugar: 'block', squidguard: 'pass' });
  });

  it('the URL is split as browsers split it, then decoded', () => {
    expect(decisions.get('http://example.com\\@clean.example/')).toEqual({ sugar: 'block', squidguard: 'pass' });
    expect(decisions.get('http://clean.example%2F@example.com/')).toEqual({ sugar: 'block', squidguard: 'pass' });
  });

  it('and where no rule applies, both decide alike', () => {
    expect(decisions.get('http://a.example.com/')).toEqual({ sugar: 'block', squidguard: 'block' });
    expect(decisions.get('http://clean.example/')).toEqual({ sugar: 'pass', squidguard: 'pass' });
  });
});
