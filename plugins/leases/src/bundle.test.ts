import { describe, expect, it } from 'vitest';
import { formatBundle, parseBundle } from './bundle.js';

const KEYID = 'e842349e413bfd424426bdacd1cb46fd8e6c5e516ed80a8a849f410203010001';
const lease = (serial: string, exp = '20300101T000000Z', sig = 'aa') => `act01: ${serial} K ${exp} sig01: sha256 ${KEYID} ${sig}\n`;

describe('parseBundle: lease lines', () => {
  it('reads a single lease', () => {
    const bundle = parseBundle(lease('SHC00000001'));
    expect(bundle.form).toBe('lines');
    expect(bundle.entries).toHaveLength(1);
    expect(bundle.entries[0]!.leases[0]!.text).toBe(lease('SHC00000001'));
    expect(bundle.problems).toEqual([]);
  });

  it('groups several leases of one serial, keeping their order', () => {
    const text = lease('SHC00000001', '20300101T000000Z') + lease('SHC00000002') + lease('SHC00000001', '20310101T000000Z');
    const bundle = parseBundle(Buffer.from(text));
    expect(bundle.entries.map((e) => e.serial)).toEqual(['SHC00000001', 'SHC00000002']);
    expect(bundle.entries[0]!.leases.map((l) => l.expires)).toEqual(['20300101T000000Z', '20310101T000000Z']);
  });

  it('reports a broken line with the serial it seems to be for, and keeps the rest', () => {
    const bundle = parseBundle(`${lease('SHC00000001')}act01: SHC00000002 K never sig01: x\n\n`);
    expect(bundle.entries.map((e) => e.serial)).toEqual(['SHC00000001']);
    expect(bundle.problems).toEqual([
      { serial: 'SHC00000002', code: 'LEASES_ERR_BAD_LEASE', reason: expect.stringMatching(/^line 2: not a lease: expiry "never"/) },
    ]);
  });
});

describe('parseBundle: canonical JSON', () => {
  it('reads [1,{SN: leases}] with several leases in one string', () => {
    const text = JSON.stringify([1, { SHC00000001: lease('SHC00000001') + lease('SHC00000001', '20310101T000000Z'), SHC00000002: lease('SHC00000002') }]);
    expect(text.startsWith('[1,{"')).toBe(true);
    const bundle = parseBundle(text);
    expect(bundle.form).toBe('json');
    expect(bundle.entries.map((e) => [e.serial, e.leases.length])).toEqual([['SHC00000001', 2], ['SHC00000002', 1]]);
  });

  it('refuses an entry whose lease names another serial, and keeps the others', () => {
    const bundle = parseBundle(JSON.stringify([1, { SHC00000001: lease('SHC00000009'), SHC00000002: lease('SHC00000002') }]));
    expect(bundle.entries.map((e) => e.serial)).toEqual(['SHC00000002']);
    expect(bundle.problems).toEqual([{ serial: 'SHC00000001', code: 'LEASES_ERR_BAD_LEASE', reason: 'entry SHC00000001: not a lease: a lease in it is for SHC00000009' }]);
  });

  it('refuses bad keys and values per entry', () => {
    const bundle = parseBundle(JSON.stringify([1, { 'not a serial': lease('SHC00000001'), SHC00000002: 42, SHC00000003: '', SHC00000004: lease('SHC00000004') }]));
    expect(bundle.entries.map((e) => e.serial)).toEqual(['SHC00000004']);
    expect(bundle.problems.map((p) => [p.serial, p.code])).toEqual([
      [null, 'LEASES_ERR_BAD_SERIAL'],
      ['SHC00000002', 'LEASES_ERR_BAD_LEASE'],
      ['SHC00000003', 'LEASES_ERR_BAD_LEASE'],
    ]);
  });

  it('accepts an empty bundle', () => {
    expect(parseBundle('[1,{}]').entries).toEqual([]);
  });
});

describe('parseBundle: garbage', () => {
  it.each([
    ['', /the file is empty/],
    ['\n\n', /the file is empty/],
    ['hello world\n', /expected "act01:/],
    ['[1,{"SHC00000001":', /invalid JSON/],
    ['[2,{}]', /version 2 is not supported/],
    ['[1,[]]', /must be an object/],
    ['{"SHC00000001":"x"}', /expected "act01:/],
    ['\x89PNG\0\0', /binary data/],
    ['[1,{"SHC00000001":"garbage"}]', /not a lease/],
  ])('refuses %j as a whole with LEASES_ERR_BAD_BUNDLE', (text, message) => {
    expect(() => parseBundle(text)).toThrow(message);
    expect(() => parseBundle(text)).toThrow(expect.objectContaining({ code: 'LEASES_ERR_BAD_BUNDLE' }));
  });
});

describe('formatBundle', () => {
  it('writes canonical JSON: sorted keys, no spaces, the XO\'s 5-byte magic first', () => {
    const text = formatBundle([['SHC00000002', lease('SHC00000002')], ['SHC00000001', lease('SHC00000001')]]);
    expect(text.slice(0, 5)).toBe('[1,{"');
    expect(text).toBe(`[1,{"SHC00000001":${JSON.stringify(lease('SHC00000001'))},"SHC00000002":${JSON.stringify(lease('SHC00000002'))}}]`);
    expect(text).toContain('"SHC00000001":"act01: SHC00000001 K');
    expect(parseBundle(text).entries.map((e) => e.serial)).toEqual(['SHC00000001', 'SHC00000002']);
  });

  it('writes an empty bundle that reads back empty', () => {
    expect(formatBundle([])).toBe('[1,{}]');
  });

  it('keeps serials made only of digits in byte order too (JavaScript objects put such keys first)', () => {
    const text = formatBundle([['9', lease('9')], ['1A', lease('1A')], ['12', lease('12')]]);
    expect(text).toBe(`[1,{"12":${JSON.stringify(lease('12'))},"1A":${JSON.stringify(lease('1A'))},"9":${JSON.stringify(lease('9'))}}]`);
  });
});
