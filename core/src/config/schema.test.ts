import { describe, expect, it } from 'vitest';
import { parseIni, type IniDocument } from './ini.js';
import { option } from './options.js';
import { checkCoreSections, checkSection } from './schema.js';

function doc(text: string): IniDocument {
  const d: IniDocument = new Map();
  expect(parseIni(text, 'test.conf', d)).toEqual([]);
  return d;
}

describe('options', () => {
  const parse = <T>(opt: { safeParse(v: unknown): { success: boolean; data?: T; error?: { issues: { message: string }[] } } }, raw: string | undefined) => {
    const r = opt.safeParse(raw);
    return r.success ? r.data : `error: ${r.error!.issues[0]!.message}`;
  };

  it('reads flags in the words admins use, and nothing else', () => {
    for (const word of ['on', 'ON', 'true', 'yes', '1']) expect(parse(option.flag(), word)).toBe(true);
    for (const word of ['off', 'False', 'no', '0']) expect(parse(option.flag(), word)).toBe(false);
    expect(parse(option.flag(), 'maybe')).toBe('error: expected on or off (also true/false, yes/no, 1/0), got "maybe"');
    expect(parse(option.flag(true), undefined)).toBe(true);
  });

  it('reads durations, sizes, ports, addresses, lists, paths and URLs', () => {
    expect(parse(option.duration(), '500ms')).toBe(500);
    expect(parse(option.duration(), '10')).toBe(10_000);
    expect(parse(option.duration(), '2h')).toBe(7_200_000);
    expect(parse(option.duration(), 'soon')).toMatch(/^error: expected a duration/);
    expect(parse(option.size(), '64k')).toBe(65_536);
    expect(parse(option.size(), '1M')).toBe(1_048_576);
    expect(parse(option.size(), '2GiB')).toBe(2 * 1024 ** 3);
    expect(parse(option.port(), '65536')).toBe('error: expected a port number from 0 to 65535, got "65536"');
    expect(parse(option.address(), 'example.org')).toMatch(/^error: expected an IP address/);
    expect(parse(option.address(), '::1')).toBe('::1');
    expect(parse(option.list(), 'a, b  c')).toEqual(['a', 'b', 'c']);
    expect(parse(option.list(['x']), '')).toEqual([]);
    expect(parse(option.path(), 'relative/dir')).toBe('error: expected an absolute path, got "relative/dir"');
    expect(parse(option.url(), 'ftp://x')).toBe('error: expected an http or https URL, got "ftp://x"');
    expect(parse(option.integer({ min: 1, max: 10 }), '11')).toBe('error: must be at most 10, got 11');
    expect(parse(option.oneOf(['a', 'b'] as const), 'c')).toBe('error: expected one of a, b, got "c"');
  });

  it('refuses a duration longer than a timer holds, unless the option allows more', () => {
    expect(parse(option.duration(), '24d')).toBe(24 * 86_400_000);
    expect(parse(option.duration(), '30d')).toBe('error: must be at most 24d, got "30d"');
    expect(parse(option.duration(), '99999999999')).toBe('error: must be at most 24d, got "99999999999"');
    expect(parse(option.duration(undefined, { max: 365 * 86_400_000 }), '30d')).toBe(30 * 86_400_000);
    expect(parse(option.duration(undefined, { max: 365 * 86_400_000 }), '400d')).toBe('error: must be at most 365d, got "400d"');
  });
});

describe('checkSection', () => {
  const shape = { port: option.port(191), stolen: option.flag(false), upstream: option.url() };

  it('fills defaults and types the values', () => {
    const checked = checkSection('leases', doc('[leases]\nupstream = https://mothership.example/leases\nstolen = yes\n').get('leases'), shape);
    expect(checked).toEqual({ ok: true, value: { port: 191, stolen: true, upstream: 'https://mothership.example/leases' } });
  });

  it('names file:line, section and key for every problem', () => {
    const checked = checkSection('leases', doc('[leases]\nport = 99999\nstolne = on\n').get('leases'), shape);
    expect(checked.ok).toBe(false);
    expect(!checked.ok && checked.problems).toEqual([
      'test.conf:2: [leases] port: expected a port number from 0 to 65535, got "99999"',
      'test.conf:1: [leases] upstream: must be set',
      'test.conf:3: [leases] stolne: unknown key (known keys: port, stolen, upstream)',
    ]);
  });

  it('refuses __proto__, constructor and prototype like any unknown key', () => {
    for (const key of ['__proto__', 'constructor', 'prototype']) {
      const checked = checkSection('leases', doc(`[leases]\nupstream = https://m.example/\n${key} = {}\n`).get('leases'), shape);
      expect(!checked.ok && checked.problems).toEqual([`test.conf:3: [leases] ${key}: unknown key (known keys: port, stolen, upstream)`]);
    }
    const core = checkCoreSections(doc('[http]\n__proto__ = x\n'));
    expect(!core.ok && core.problems).toEqual(['test.conf:2: [http] __proto__: unknown key (known keys: address, port, body_limit)']);
  });

  it('hands out sections as objects without a prototype', () => {
    const checked = checkSection('leases', doc('[leases]\nupstream = https://m.example/\n').get('leases'), shape);
    expect(checked.ok && Object.getPrototypeOf(checked.value)).toBeNull();
    const core = checkCoreSections(new Map());
    expect(core.ok && Object.getPrototypeOf(core.value)).toBeNull();
    expect(core.ok && Object.getPrototypeOf(core.value.http)).toBeNull();
  });

  it('says so when a required key is missing from an absent section', () => {
    const checked = checkSection('leases', undefined, shape);
    expect(!checked.ok && checked.problems).toEqual(['config: [leases] upstream: must be set']);
  });
});

describe('checkCoreSections', () => {
  it('names file:line for a timeout past the longest a timer holds', () => {
    const checked = checkCoreSections(doc('[core]\nstart_timeout = 30d\n'));
    expect(!checked.ok && checked.problems).toEqual(['test.conf:2: [core] start_timeout: must be at most 24d, got "30d"']);
  });

  it('gives the shipped defaults for an empty configuration', () => {
    const checked = checkCoreSections(new Map());
    expect(checked.ok && checked.value.http).toEqual({ address: '::', port: 80, body_limit: 1024 * 1024 });
    expect(checked.ok && checked.value.core.start_timeout).toBe(10_000);
    expect(checked.ok && checked.value.core.plugin_dirs).toEqual(['/usr/lib/sugar-server/plugins']);
  });
});
