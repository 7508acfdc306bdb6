import { describe, expect, it } from 'vitest';
import { parseIni, type IniDocument } from './ini.js';

describe('parseIni', () => {
  it('keeps each value with the file and line it came from', () => {
    const doc: IniDocument = new Map();
    const errors = parseIni('# comment\n[HTTP]\n  port = 8080\n; another\naddress=127.0.0.1\n', 'a.conf', doc);
    expect(errors).toEqual([]);
    expect(doc.get('http')?.entries.get('port')).toEqual({ value: '8080', file: 'a.conf', line: 3 });
    expect(doc.get('http')?.entries.get('address')).toEqual({ value: '127.0.0.1', file: 'a.conf', line: 5 });
    expect(doc.get('http')?.origin).toEqual({ file: 'a.conf', line: 2 });
  });

  it('lets a later file override a key and remembers the later place', () => {
    const doc: IniDocument = new Map();
    parseIni('[log]\nlevel = info\n', 'main.conf', doc);
    parseIni('\n[log]\nlevel = debug\n', 'conf.d/10.conf', doc);
    expect(doc.get('log')?.entries.get('level')).toEqual({ value: 'debug', file: 'conf.d/10.conf', line: 3 });
    expect(doc.get('log')?.origin).toEqual({ file: 'main.conf', line: 1 });
  });

  it('keeps # inside values (URLs have fragments) and strips surrounding quotes', () => {
    const doc: IniDocument = new Map();
    parseIni('[x]\nurl = http://h/p#frag\nname = "  spaced  "\nempty =\n', 'f', doc);
    const entries = doc.get('x')!.entries;
    expect(entries.get('url')?.value).toBe('http://h/p#frag');
    expect(entries.get('name')?.value).toBe('  spaced  ');
    expect(entries.get('empty')?.value).toBe('');
  });

  it('reports every bad line with its number and goes on', () => {
    const errors = parseIni('orphan = 1\n[ok]\nnot a pair\n[bad section\nk = v\n', 'f.conf');
    expect(errors).toEqual([
      { file: 'f.conf', line: 1, message: '"orphan" is set before any [section]' },
      { file: 'f.conf', line: 3, message: 'cannot read this line: expected "[section]" or "key = value", got "not a pair"' },
      { file: 'f.conf', line: 4, message: 'cannot read this line: expected "[section]" or "key = value", got "[bad section"' },
    ]);
  });

  it('reads CRLF files', () => {
    const doc: IniDocument = new Map();
    expect(parseIni('[a]\r\nk = v\r\n', 'f', doc)).toEqual([]);
    expect(doc.get('a')?.entries.get('k')?.value).toBe('v');
  });
});
