import { describe, expect, it } from 'vitest';
import { checkNick, checkSerial, checkUuid, isSerial, sameUuid } from './laptop-fields.js';

describe('serials', () => {
  it.each(['SHC0123456A', 'CSN74902B22', 'SHF00000000', 'ABC17049382'])('accepts %s', (serial) => {
    expect(checkSerial(serial)).toBe(serial);
    expect(isSerial(serial)).toBe(true);
  });

  it.each(['shc0123456a', 'SHC0123456', 'SHC0123456AB', 'SH0123456AB', 'SHC0123456G', ' SHC0123456A', 'SHC0123456A\n', '', 'SHC-123456A'])(
    'refuses %j',
    (serial) => {
      expect(() => checkSerial(serial)).toThrow(/is not a laptop serial/);
      expect(isSerial(serial)).toBe(false);
    },
  );

  it('refuses what is not a string, saying what it is', () => {
    expect(() => checkSerial(12345678901)).toThrow('serial number is not a laptop serial');
    expect(() => checkSerial(undefined)).toThrow('serial undefined is not a laptop serial');
  });

  it('cuts a long value short in the message', () => {
    expect(() => checkSerial('A'.repeat(1000))).toThrow(`serial "${'A'.repeat(40)}…" is not`);
  });
});

describe('uuids', () => {
  it.each(['9d2b4d44-1111-2222-3333-444455556666', '9D2B4D44-1111-2222-3333-444455556666', '00000000-0000-0000-0000-000000000000'])(
    'accepts %s as sent',
    (uuid) => expect(checkUuid(uuid)).toBe(uuid),
  );

  it.each(['9d2b4d44111122223333444455556666', '{9d2b4d44-1111-2222-3333-444455556666}', '9d2b4d44-1111-2222-3333-44445555666g', '', 7])(
    'refuses %j',
    (uuid) => expect(() => checkUuid(uuid)).toThrow(expect.objectContaining({ code: 'REGISTRY_ERR_BAD_UUID' })),
  );

  it('compares ignoring case', () => {
    expect(sameUuid('9D2B4D44-1111-2222-3333-444455556666', '9d2b4d44-1111-2222-3333-444455556666')).toBe(true);
    expect(sameUuid('9D2B4D44-1111-2222-3333-444455556666', '9d2b4d44-1111-2222-3333-444455556667')).toBe(false);
  });
});

describe('nicks', () => {
  it.each(['Ana', 'José María', '小明', 'x'.repeat(100), '🦊'.repeat(100)])('accepts %j', (nick) => expect(checkNick(nick)).toBe(nick));

  it.each([
    ['', /is empty/],
    ['   ', /is empty/],
    ['x'.repeat(101), /longer than 100 characters/],
    ['Ana\nBob', /control characters/],
    ['Ana\u0000', /control characters/],
    ['tab\there', /control characters/],
    ['\u0085next', /control characters/],
    ['lone \ud800', /control characters/],
    [null, /must be a string/],
  ])('refuses %j', (nick, message) => {
    expect(() => checkNick(nick)).toThrow(message);
  });
});
