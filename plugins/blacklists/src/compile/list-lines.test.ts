import { describe, expect, it } from 'vitest';
import { DomainLineReader, LINE_ASCII, LINE_BAD, LINE_SKIP, LINE_TEXT, readUrlLine } from './list-lines.js';

function read(line: string) {
  const reader = new DomainLineReader();
  const bytes = Buffer.from(line, 'latin1');
  const kind = reader.read(bytes, 0, bytes.length);
  return { kind, text: kind === LINE_ASCII ? bytes.toString('latin1', reader.start, reader.end) : reader.host, reason: reader.reason };
}

describe('domains list lines', () => {
  it('take the first word, without leading or trailing dots', () => {
    expect(read('Example.COM')).toEqual({ kind: LINE_ASCII, text: 'Example.COM', reason: '' });
    expect(read('  .example.com.  redirect-url\r')).toMatchObject({ kind: LINE_ASCII, text: 'example.com' });
    expect(read('under_score.example')).toMatchObject({ kind: LINE_ASCII });
  });

  it('skip blank lines and comments', () => {
    expect(read('').kind).toBe(LINE_SKIP);
    expect(read('   \r').kind).toBe(LINE_SKIP);
    expect(read('# comment').kind).toBe(LINE_SKIP);
  });

  it('read IP addresses and international names as text', () => {
    expect(read('10.0.0.1')).toMatchObject({ kind: LINE_TEXT, text: '10.0.0.1' });
    expect(read('2001:db8::1')).toMatchObject({ kind: LINE_TEXT, text: '[2001:db8::1]' });
    expect(read(Buffer.from('bücher.example', 'utf8').toString('latin1'))).toMatchObject({ kind: LINE_TEXT, text: 'xn--bcher-kva.example' });
  });

  it('refuse garbage, saying why', () => {
    for (const [line, why] of [
      ['*.wildcard.example', /character "\*"/],
      ['bad..dots.example', /empty label/],
      ['http://x.example/y', /character ":"|URL/],
      ['x.example/y', /URL in a domains list/],
      [`${'x'.repeat(64)}.example`, /label is longer/],
      [`${'a.'.repeat(130)}example`, /longer than 253/],
      ['1.2.3', /IPv4/],
      ['example.123', /neither/],
      ['bang!.example', /character "!"/],
    ] as const) {
      const result = read(line);
      expect(result.kind, line).toBe(LINE_BAD);
      expect(result.reason, line).toMatch(why);
    }
  });
});

describe('urls list lines', () => {
  it('keep the host as written (no www stripping) and the path prefix', () => {
    expect(readUrlLine('www.Example.com/Path/Page.html')).toEqual({ kind: 'url', entry: { host: 'www.example.com', path: '/path/page.html' } });
    expect(readUrlLine('example.com')).toEqual({ kind: 'url', entry: { host: 'example.com', path: '' } });
    expect(readUrlLine('http://user@example.com:8080/x y')).toEqual({ kind: 'url', entry: { host: 'example.com', path: '/x' } });
  });

  it('skip blanks and comments, refuse lines without a usable host', () => {
    expect(readUrlLine('  ')).toEqual({ kind: 'skip' });
    expect(readUrlLine('# x')).toEqual({ kind: 'skip' });
    expect(readUrlLine('http://:80/no-host').kind).toBe('bad');
    expect(readUrlLine('ba\u0001d.example/x').kind).toBe('bad');
  });
});
