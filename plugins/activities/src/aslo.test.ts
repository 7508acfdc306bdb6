import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isUsableHost, renderUpdateRdf } from './aslo.js';

const OFFER = { id: 'org.laptop.Paint', version: '34', url: 'http://schoolserver/activities/bundles/org.laptop.Paint-34.xo', size: 1_500_000, sha256: 'ab'.repeat(32) };

/** Reads an answer exactly as aslo.py's `__downloader_complete_cb` does, with Python's ElementTree. */
const SUGAR_READER = `
import json, sys
from xml.etree.ElementTree import XML
R = '{http://www.w3.org/1999/02/22-rdf-syntax-ns#}'
E = '{http://www.mozilla.org/2004/em-rdf#}'
doc = XML(sys.stdin.buffer.read())
if doc.find('.//' + R + 'Description') is None:
    print(json.dumps(None))
else:
    print(json.dumps({'version': doc.find('.//' + E + 'version').text, 'link': doc.find('.//' + E + 'updateLink').text,
                      'size': int(doc.find('.//' + E + 'updateSize').text) * 1024}))
`;
const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('ASLO update answers', () => {
  it('offers the version, link and size in KiB, rounded up', () => {
    const rdf = renderUpdateRdf(OFFER);
    expect(rdf).toContain('<em:version>34</em:version>');
    expect(rdf).toContain(`<em:updateLink>${OFFER.url}</em:updateLink>`);
    expect(rdf).toContain('<em:updateSize>1465</em:updateSize>');
  });

  it('says "no update" with a document holding no RDF:Description', () => {
    expect(renderUpdateRdf(undefined)).not.toContain('Description');
  });

  it('escapes what it puts into the XML', () => {
    const rdf = renderUpdateRdf({ ...OFFER, url: 'http://h/a?b=1&c=<2>' });
    expect(rdf).toContain('http://h/a?b=1&amp;c=&lt;2&gt;');
  });

  // Under CI a missing python3 fails the test instead of skipping it.
  it.skipIf(!hasPython && process.env.CI !== 'true')('is read by Python\'s ElementTree as Sugar reads it', () => {
    const read = (rdf: string) => JSON.parse(spawnSync('python3', ['-c', SUGAR_READER], { input: rdf, encoding: 'utf8' }).stdout);
    expect(read(renderUpdateRdf(OFFER))).toEqual({ version: '34', link: OFFER.url, size: 1465 * 1024 });
    expect(read(renderUpdateRdf(undefined))).toBeNull();
  });

  it('builds links only from plain Host headers', () => {
    for (const host of ['schoolserver', 'schoolserver:8080', '10.0.0.1', '[fe80::abcd:ef02]:80', 'xs.school.example.org.']) expect(isUsableHost(host), host).toBe(true);
    for (const host of ['', 'a b', 'evil.com/x', 'h"><script>', 'user@host', 'host:port', '[::1', '-bad.example']) expect(isUsableHost(host), host).toBe(false);
  });
});
