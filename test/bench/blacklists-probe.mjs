/**
 * Run by the blacklists benchmark in a fresh process: how long one index file
 * takes to load, how much resident memory it adds, and how many lookups
 * (normalisation included) one thread answers per second.
 * Usage: node --expose-gc blacklists-probe.mjs INDEX URLS-FILE
 */
import { readFileSync } from 'node:fs';
import { BlacklistIndex, Match, normaliseUrl } from 'sugar-server-blacklists';

const [indexFile, urlsFile] = process.argv.slice(2);
const ROUNDS = 5;

globalThis.gc();
const rssBefore = process.memoryUsage().rss;
const started = performance.now();
const index = await BlacklistIndex.load(indexFile);
const loadMs = performance.now() - started;
globalThis.gc();
const rssAfter = process.memoryUsage().rss;

const urls = readFileSync(urlsFile, 'latin1').split('\n').filter(Boolean);
const active = new Uint8Array(256).fill(1);
const match = new Match();
let blocked = 0;
const rates = [];
for (let round = 0; round < ROUNDS; round++) {
  const t = performance.now();
  for (const url of urls) {
    index.match(normaliseUrl(url), active, match);
    if (match.category > 0) blocked++;
  }
  rates.push(urls.length / ((performance.now() - t) / 1000));
}
rates.sort((a, b) => a - b);
console.log(JSON.stringify({
  loadMs,
  residentBytes: rssAfter - rssBefore,
  fileBytes: index.byteLength,
  domains: index.domainCount,
  urls: index.urlCount,
  lookupsPerSecond: rates[Math.floor(rates.length / 2)],
  blockedShare: blocked / (urls.length * ROUNDS),
}));
