import { describe, expect, it } from 'vitest';
import { answer, brokenAnswer, quoteValue, readRequest, redirectAnswer, unescapeValue } from './squid-protocol.js';

describe('squid helper lines', () => {
  it('read url_rewrite lines without concurrency: URL, then extras', () => {
    expect(readRequest('http://a.example/x 10.0.0.5/- - GET myip=10.0.0.1 myport=3128', 'rewrite')).toEqual({ channel: null, url: 'http://a.example/x' });
    expect(readRequest('a.example:443 10.0.0.5/- - CONNECT', 'rewrite')).toEqual({ channel: null, url: 'a.example:443' });
    expect(readRequest('http://a.example/', 'rewrite')).toEqual({ channel: null, url: 'http://a.example/' });
  });

  it('read the channel ID that concurrency=N puts in front', () => {
    expect(readRequest('0 http://a.example/x 10.0.0.5/- - GET', 'rewrite')).toEqual({ channel: '0', url: 'http://a.example/x' });
    expect(readRequest('17 http://a.example/x\r', 'rewrite')).toEqual({ channel: '17', url: 'http://a.example/x' });
  });

  it('unescape external ACL values (squid URL-escapes them)', () => {
    expect(readRequest('3 http://a.example/%2541%20b', 'acl')).toEqual({ channel: '3', url: 'http://a.example/%41 b' });
    expect(unescapeValue('%zz')).toBe('%zz');
  });

  it('find no URL on empty lines, bare channel IDs and "-"', () => {
    expect(readRequest('', 'rewrite').url).toBeNull();
    expect(readRequest('5', 'rewrite')).toEqual({ channel: '5', url: null });
    expect(readRequest('5 -', 'acl')).toEqual({ channel: '5', url: null });
  });

  it('write answers with the channel ID echoed and values quoted', () => {
    expect(answer('4', 'OK')).toBe('4 OK');
    expect(answer(null, 'ERR')).toBe('ERR');
    expect(redirectAnswer('http://s/blocked?url=a')).toBe('OK status=302 url="http://s/blocked?url=a"');
    expect(brokenAnswer('bad "line"\n')).toBe('BH message="bad \\"line\\"\\n"');
    expect(quoteValue('a\\b')).toBe('"a\\\\b"');
  });
});
