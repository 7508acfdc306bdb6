/**
 * Real squid with our helper: a daemon compiles generated lists, squid runs
 * `sugar-server blacklists helper` as url_rewrite_program and as an
 * external_acl_type (both with concurrency), and requests go through the proxy
 * to an origin server on loopback. Blocked addresses get the redirect to the
 * block page (from the helper, or from squid's deny_info for what the ACL
 * refuses) without squid ever connecting to them; allowed ones reach the origin.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateLists, type GeneratedLists } from '../fixtures/blacklists/generate.js';
import { blacklistsConfig, BlacklistsServer } from './blacklists/server.js';
import { skipWithout } from '../harness/index.js';
import { freePort, Squid, SQUID } from './blacklists/squid.js';

describe.skipIf(skipWithout(SQUID !== null))('squid with the blacklists helper', () => {
  let workdir: string;
  let lists: GeneratedLists;
  let server: BlacklistsServer;
  let origin: Server;
  let originPort: number;
  let squid: Squid;
  const originHits: string[] = [];
  const pageUrl = 'http://schoolserver/blocked';

  beforeAll(async () => {
    workdir = await mkdtemp(join(tmpdir(), 'blacklists-squid-'));
    lists = await generateLists(join(workdir, 'lists'), { seed: 3, categories: { adult: { domains: 2000, urls: 200, expressions: true }, malware: { domains: 300, urls: 20 } } });
    server = await BlacklistsServer.start(
      blacklistsConfig(lists.root, `categories = adult, malware\ndeny = malware\npage_url = ${pageUrl}\n`),
      { 'blacklists-block.txt': '127.0.0.9\n', 'blacklists-allow.txt': `${lists.domain('adult', 40)}\n` },
    );
    originPort = await freePort();
    origin = createServer((req, res) => {
      originHits.push(`${req.headers.host}${req.url}`);
      res.end('origin says hello');
    });
    await new Promise<void>((resolve) => origin.listen(originPort, '127.0.0.1', resolve));
    squid = await Squid.start(join(workdir, 'squid'), {
      root: server.root,
      hosts: ['allowed.example', lists.domain('adult', 40), `www.${lists.domain('adult', 40)}`],
      concurrency: 10,
      pageUrl,
    });
  });

  afterAll(async () => {
    await squid?.stop();
    await new Promise((resolve) => origin?.close(resolve));
    await server?.dispose();
    await rm(workdir, { recursive: true, force: true });
  });

  it('redirects a blocked site to the block page without fetching it', async () => {
    const blocked = `http://www.${lists.domain('adult', 11)}:${originPort}/some/page?x=1`;
    const answer = await squid.get(blocked);
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(`${pageUrl}?url=${encodeURIComponent(blocked)}&category=adult`);
    expect(originHits.some((hit) => hit.includes('some/page'))).toBe(false);
  });

  it('redirects URL-list and expression hits, and blocked IP addresses', async () => {
    const urlHit = await squid.get(`http://${lists.url('adult', 3)}`);
    expect(urlHit.status).toBe(302);
    const expressionHit = await squid.get(`http://127.0.0.1:${originPort}/videos/porn/1`);
    expect(expressionHit.location).toContain('category=adult');
    const ipHit = await squid.get(`http://127.0.0.9:${originPort}/`);
    expect(ipHit.location).toContain('category=local');
  });

  it('redirects a listed path reached through dot segments, escaped or not, and never fetches it', async () => {
    const entry = lists.url('adult', 5);
    const [host, path] = [entry.slice(0, entry.indexOf('/')), entry.slice(entry.indexOf('/'))];
    for (const dots of ['..', '%2e%2E']) {
      const answer = await squid.get(`http://${host}:${originPort}/elsewhere/${dots}${path}/dots`);
      expect(answer.status, dots).toBe(302);
      expect(answer.location).toContain('category=adult');
    }
    expect(originHits.some((hit) => hit.includes('/dots'))).toBe(false);
  });

  it('lets squid refuse deny categories itself through the external ACL, deny_info naming the category', async () => {
    const answer = await squid.get(`http://${lists.domain('malware', 2)}:${originPort}/`);
    expect(answer.status).toBe(302);
    expect(answer.location).toMatch(new RegExp(`^${pageUrl}\\?category=malware&url=`));
    expect(originHits.some((hit) => hit.startsWith(lists.domain('malware', 2)))).toBe(false);
  });

  it('lets allowed requests reach the origin, by IP and by name, allow-listed ones included', async () => {
    expect(await squid.get(`http://127.0.0.1:${originPort}/lessons/1`)).toMatchObject({ status: 200, body: 'origin says hello' });
    expect(await squid.get(`http://allowed.example:${originPort}/maths`)).toMatchObject({ status: 200 });
    expect(await squid.get(`http://www.${lists.domain('adult', 40)}:${originPort}/homework`)).toMatchObject({ status: 200 });
    expect(originHits).toEqual(expect.arrayContaining([`127.0.0.1:${originPort}/lessons/1`, `allowed.example:${originPort}/maths`]));
  });

  it('keeps answering many requests at once', async () => {
    const answers = await Promise.all(Array.from({ length: 60 }, (_, i) =>
      squid.get(i % 2 ? `http://${lists.domain('adult', 100 + i)}/p${i}` : `http://127.0.0.1:${originPort}/ok${i}`)));
    const log = await squid.log();
    answers.forEach((answer, i) => expect(answer.status, `${i}: ${log.slice(-3000)}`).toBe(i % 2 ? 302 : 200));
    expect(await squid.log()).not.toMatch(/helper.*(crash|died|BH)/i);
  });
});
