import { describe, expect, it } from 'vitest';
import { laptopsToCsv, readLaptopsCsv } from './laptops-csv.js';
import type { RegisteredLaptop } from './service.js';

const HEADER = 'serial,uuid,nick,key,class group';
const UUID = '9d2b4d44-1111-2222-3333-444455556666';

const laptop = (nick: string, classGroup: string | null = null): RegisteredLaptop => ({
  serial: 'SHC0123456A', uuid: UUID, nick, pubkey: 'AAAA', keyType: 'ssh-dss', classGroup,
  firstRegistered: '2026-01-01T00:00:00.000Z', lastRegistered: '2026-01-01T00:00:00.000Z',
});

describe('laptopsToCsv', () => {
  it('writes a header, then a row a laptop with the key as a whole line', () => {
    expect(laptopsToCsv([laptop('Ana, "la grande"', '5B')])).toBe(`${HEADER}\nSHC0123456A,${UUID},"Ana, ""la grande""",ssh-dss AAAA,5B\n`);
  });

  it.each(['=1+1', '+1', '-1', '@SUM(A1)'])('defuses %s, which a spreadsheet would run as a formula, and reads it back as it was', (nick) => {
    const csv = laptopsToCsv([laptop(nick)]);
    expect(csv).toContain(`'${nick}`);
    expect(readLaptopsCsv(csv).rows[0]!.entry.nick).toBe(nick);
  });
});

describe('readLaptopsCsv', () => {
  it('reads the columns in any order and spelling, skipping a byte order mark and empty lines, trimming fields', () => {
    const { rows, problems } = readLaptopsCsv(`\uFEFFClass_Group,KEY,Nick,UUID,Serial\r\n\r\n 5B ,ssh-dss AAAA,Ana,${UUID},SHC0123456A\r\n`);
    expect(problems).toEqual([]);
    expect(rows).toEqual([{ line: 3, entry: { serial: 'SHC0123456A', uuid: UUID, nick: 'Ana', pubkey: 'ssh-dss AAAA', classGroup: '5B' } }]);
  });

  it('numbers rows by the line they start on, past quoted line breaks, and reports rows of the wrong length', () => {
    const { rows, problems } = readLaptopsCsv(`${HEADER}\nSHC0123456A,${UUID},"Ana\nMaría",k,\nSHC0123456B,${UUID}\nSHC0123456C,${UUID},Bo,k,,extra\nSHC0123456D,${UUID},Cy,k,\n`);
    expect(rows.map((row) => row.line)).toEqual([2, 6]);
    expect(problems).toEqual([
      { line: 4, message: 'has 2 fields; the header names 5' },
      { line: 5, message: 'has 6 fields; the header names 5' },
    ]);
  });

  it.each([
    ['', /the file is empty/],
    ['serial,uuid,nick,key\n', /the header lacks "class group"/],
    [`${HEADER},serial\n`, /column "serial" appears twice/],
    [`${HEADER}\n"SHC0123456A,${UUID}\n`, /Quote Not Closed/i],
  ])('refuses %j as a whole', (text, message) => {
    expect(() => readLaptopsCsv(text)).toThrow(message);
  });
});
