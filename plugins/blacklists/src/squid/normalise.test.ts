import { describe, expect, it } from 'vitest';
import { byteString, normaliseUrl, percentDecode, stripWwwPrefix } from './normalise.js';

const norm = (url: string) => normaliseUrl(url);

describe('URL normalisation (each rule of the README)', () => {
  it('drops the scheme, whatever it is', () => {
    expect(norm('http://example.com/a')).toMatchObject({ host: 'example.com', path: '/a' });
    expect(norm('https://example.com/a')).toMatchObject({ host: 'example.com', path: '/a' });
    expect(norm('ftp://example.com/a')).toMatchObject({ host: 'example.com', path: '/a' });
  });

  it('reads authority-form (CONNECT host:port) and bare host names', () => {
    expect(norm('example.com:443')).toMatchObject({ host: 'example.com', path: '' });
    expect(norm('example.com/page')).toMatchObject({ host: 'example.com', path: '/page' });
  });

  it('drops the port and any user:password@', () => {
    expect(norm('http://user:pw@example.com:8080/x')).toMatchObject({ host: 'example.com', path: '/x' });
  });

  it('lower-cases the host and the path (squidGuard matches without case)', () => {
    expect(norm('HTTP://Example.COM/Some/Path?Q=1')).toMatchObject({ host: 'example.com', path: '/some/path?q=1' });
  });

  it('keeps the query, drops the fragment', () => {
    expect(norm('http://example.com/a?b=c#frag')).toMatchObject({ path: '/a?b=c' });
    expect(norm('http://example.com?x=1')).toMatchObject({ host: 'example.com', path: '/?x=1' });
  });

  it('drops trailing dots of the host', () => {
    expect(norm('http://example.com./x')).toMatchObject({ host: 'example.com' });
    expect(norm('http://example.com..:80/')).toMatchObject({ host: 'example.com' });
    // Found by fuzzing: a host the URL parser ends at a backslash kept its dots, or was nothing but dots.
    expect(norm('tp://u:p@0..\\0.0: 0000/aaaaaaa')).toMatchObject({ host: '0' });
    expect(norm('gopher://u:p@.\\*>6.8.1:19735/%_,%!;,')).toBeNull();
  });

  it('strips www, web and ftp labels (with digits) for URL lists and expressions only', () => {
    expect(norm('http://www.example.com/')).toMatchObject({ host: 'www.example.com', strippedHost: 'example.com' });
    expect(norm('http://www2.example.com/')).toMatchObject({ strippedHost: 'example.com' });
    expect(norm('http://web.example.com/')).toMatchObject({ strippedHost: 'example.com' });
    expect(norm('http://ftp.example.com/')).toMatchObject({ strippedHost: 'example.com' });
    expect(norm('http://wwwx.example.com/')).toMatchObject({ strippedHost: 'wwwx.example.com' });
    expect(stripWwwPrefix('www')).toBe('www');
  });

  it('decodes %XX once, everywhere, as squidGuard does; a stray % stays', () => {
    expect(norm('http://ex%61mple.com/%70ath%2Fmore')).toMatchObject({ host: 'example.com', path: '/path/more' });
    expect(norm('http://example.com/%2541')).toMatchObject({ path: '/%41' });
    expect(percentDecode('100%')).toBe('100%');
    expect(percentDecode('%zz%4')).toBe('%zz%4');
  });

  it('collapses repeated slashes before the query', () => {
    expect(norm('http://example.com//a///b?c=//d')).toMatchObject({ path: '/a/b?c=//d' });
  });

  it('turns international names into punycode', () => {
    expect(norm(byteString('http://bücher.example/'))).toMatchObject({ host: 'xn--bcher-kva.example' });
    expect(norm('http://b%C3%BCcher.example/')).toMatchObject({ host: 'xn--bcher-kva.example' });
    expect(norm('http://B\u00c3\u00bcCHER.example/')).toMatchObject({ host: 'xn--bcher-kva.example' });
    expect(byteString('ü')).toBe('\u00c3\u00bc');
  });

  it('writes IPv4 hosts in dotted decimal whatever their spelling, and marks IP hosts', () => {
    expect(norm('http://10.0.0.1/')).toMatchObject({ host: '10.0.0.1', isIp: true });
    expect(norm('http://167772161/')).toMatchObject({ host: '10.0.0.1', isIp: true });
    expect(norm('http://0x0a.0.0.1/')).toMatchObject({ host: '10.0.0.1', isIp: true });
    expect(norm('http://012.0.0.1/')).toMatchObject({ host: '10.0.0.1', isIp: true });
    expect(norm('http://[2001:DB8:0:0::1]:8080/x')).toMatchObject({ host: '[2001:db8::1]', isIp: true, path: '/x' });
    expect(norm('http://www.example.com/')).toMatchObject({ isIp: false });
  });

  it('gives nothing for a URL without a host', () => {
    expect(norm('http://')).toBeNull();
    expect(norm('http://:8080/path')).toBeNull();
    expect(norm('http://user@/path')).toBeNull();
    expect(norm(':8080')).toBeNull();
    expect(norm('')).toBeNull();
  });
});
