import { describe, expect, it } from 'vitest';
import { encodeRecord, JOURNAL_MAGIC, readJournal } from './journal.js';

const records = (n: number) => Array.from({ length: n }, (_, i) => `[[0,["k${i}"],${i}]]`);
const journal = (payloads: string[]) => Buffer.concat([JOURNAL_MAGIC, ...payloads.map(encodeRecord)]);
const read = (bytes: Buffer, tailMayBeTorn = true) => readJournal(bytes, '/x/journal-00000001.log', { tailMayBeTorn });

describe('the journal', () => {
  it('reads back every record it was given', () => {
    const bytes = journal(records(5));
    expect(read(bytes)).toMatchObject({ payloads: records(5), end: bytes.length, tornBytes: 0 });
  });

  it('drops a last record cut short, and says where the good ones end', () => {
    const whole = journal(records(3));
    const cut = Buffer.concat([whole, encodeRecord('[[0,["late"],1]]').subarray(0, 11)]);
    expect(read(cut)).toMatchObject({ payloads: records(3), end: whole.length, tornBytes: 11 });
  });

  it('drops a zero-filled tail (a file extended but never written)', () => {
    const whole = journal(records(2));
    expect(read(Buffer.concat([whole, Buffer.alloc(4096)]))).toMatchObject({ payloads: records(2), end: whole.length, tornBytes: 4096 });
  });

  it('drops a last record whose bytes were garbled', () => {
    const bytes = journal(records(3));
    bytes[bytes.length - 3] ^= 0xff;
    expect(read(bytes).payloads).toEqual(records(2));
  });

  it('stops at damage in the middle, naming the file and the offset', () => {
    const bytes = journal(records(5));
    const second = JOURNAL_MAGIC.length + encodeRecord(records(1)[0]!).length;
    bytes[second + 10] ^= 0xff;
    expect(() => read(bytes)).toThrow(expect.objectContaining({ code: 'SERVER_ERR_STORE_JOURNAL_CORRUPT', message: expect.stringContaining(`journal-00000001.log is damaged at byte ${second} (checksum mismatch)`) }));
  });

  it('stops at a damaged length in the middle, though it looks like a record running past the end', () => {
    const bytes = journal(records(5));
    const second = JOURNAL_MAGIC.length + encodeRecord(records(1)[0]!).length;
    bytes.writeUInt32BE(0x00ffffff, second);
    expect(() => read(bytes)).toThrow(expect.objectContaining({ code: 'SERVER_ERR_STORE_JOURNAL_CORRUPT' }));
  });

  it('allows no torn tail in a journal that was closed whole', () => {
    const bytes = journal(records(3));
    expect(() => read(bytes.subarray(0, bytes.length - 2), false)).toThrow(expect.objectContaining({ code: 'SERVER_ERR_STORE_JOURNAL_CORRUPT' }));
  });

  it('refuses a file that is not a journal', () => {
    expect(() => read(Buffer.from('{"json": true}'))).toThrow(expect.objectContaining({ code: 'SERVER_ERR_STORE_JOURNAL_CORRUPT', message: expect.stringContaining('bad magic') }));
  });
});
