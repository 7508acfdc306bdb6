import { describe, expect, it } from 'vitest';
import { formatLease, isSerial, parseLease, signedText } from './lease-line.js';

const KEYID = 'e842349e413bfd424426bdacd1cb46fd8e6c5e516ed80a8a849f410203010001';
const LINE = `act01: SHC005007B7 K 20110512T003512Z sig01: sha256 ${KEYID} 7e65d0d1\n`;

describe('lease lines', () => {
  it('parses an act01 line with its sig01 signature', () => {
    expect(parseLease(LINE, 'line 1')).toEqual({
      serial: 'SHC005007B7',
      expires: '20110512T003512Z',
      sig01: { hash: 'sha256', keyid: KEYID, signature: '7e65d0d1' },
      text: LINE,
    });
  });

  it('adds the newline a line lacks, and formats back to the same text', () => {
    const lease = parseLease(LINE.trimEnd(), 'line 1');
    expect(lease.text).toBe(LINE);
    expect(formatLease(lease.serial, lease.expires, lease.sig01!)).toBe(LINE);
  });

  it('carries delegated (sig02) leases without their signature parts', () => {
    const lease = parseLease('act01: SHC005007B7 K 20110512T003512Z sig02: sha256 abc 20110512T003512Z def', 'line 2');
    expect(lease.sig01).toBeNull();
    expect(lease.serial).toBe('SHC005007B7');
  });

  it.each([
    ['', /expected "act01:/],
    ['dev01: SHC005007B7 K 20110512T003512Z sig01: sha256 x y', /expected "act01:/],
    ['act01: SHC-005 K 20110512T003512Z sig01: sha256 x y', /not a serial number/],
    ['act01: SHC005007B7 K 2011-05-12 sig01: sha256 x y', /is not YYYYMMDDTHHMMSSZ/],
    ['act01: SHC005007B7 K 20110512T003512Z nothing', /no "sig01:" signature/],
  ])('refuses %j naming where it was', (line, message) => {
    expect(() => parseLease(line, 'line 7')).toThrow(message);
    expect(() => parseLease(line, 'line 7')).toThrow(/^line 7: not a lease/);
  });

  it('signs SN:UUID:K:EXP, as make-lease.sh does', () => {
    expect(signedText('SHC005007B7', '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D', '20110512T003512Z'))
      .toBe('SHC005007B7:1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D:K:20110512T003512Z');
  });

  it('knows a serial by its shape', () => {
    expect(isSerial('SHC005007B7')).toBe(true);
    for (const bad of ['', 'SHC 0050', 'a'.repeat(33), 'SHC\n', 42, undefined]) expect(isSerial(bad)).toBe(false);
  });
});
