import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../test/fuzz/settings.js';
import { parseIni, where, type IniDocument } from './ini.js';

const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,16}$/);
/** Values as admins write them: URLs with fragments, spaces, quotes, `#` and `;` inside; never a line break. */
const value = fc.string({ unit: fc.oneof(fc.constantFrom(...'abc XYZ 019#;="\'[]:/\\\t'), fc.constantFrom('é', '𝄞', '\u00a0')), maxLength: 30 });
const section = fc.record({ name, entries: fc.array(fc.tuple(name, value), { maxLength: 6 }) });
const sections = fc.array(section, { maxLength: 5 });
const blank = fc.constantFrom('', '   ', '# a comment', '; another', '\t# [not] = a section');

/** An INI writer for the test: every value quoted, so leading spaces and quotes survive. */
function write(list: readonly { name: string; entries: readonly (readonly [string, string])[] }[], filler: readonly string[], crlf: boolean): string {
  const lines: string[] = [];
  let f = 0;
  const pad = () => filler[f++ % Math.max(filler.length, 1)] ?? '';
  for (const s of list) {
    lines.push(pad(), `[${s.name}]`);
    for (const [key, v] of s.entries) lines.push(pad(), `  ${key} = "${v}"`);
  }
  return lines.join(crlf ? '\r\n' : '\n');
}
const iniText = fc.tuple(sections, fc.array(blank, { maxLength: 4 }), fc.boolean()).map(([s, b, c]) => write(s, b, c));

describe('parseIni under fuzzing', () => {
  it('reads back every section and value written, later lines winning, each with the file:line it came from', () => {
    fc.assert(
      boundedProperty(sections, fc.array(blank, { maxLength: 4 }), fc.boolean(), (list, filler, crlf) => {
        const text = write(list, filler, crlf);
        const doc: IniDocument = new Map();
        expect(parseIni(text, '/etc/sugar-server/conf.d/50-local.conf', doc)).toEqual([]);
        const lines = text.split(/\r?\n/);
        const expected = new Map<string, Map<string, string>>();
        for (const s of list) {
          const entries = expected.get(s.name.toLowerCase()) ?? new Map<string, string>();
          for (const [key, v] of s.entries) entries.set(key.toLowerCase(), v);
          expected.set(s.name.toLowerCase(), entries);
        }
        expect([...doc.keys()]).toEqual([...expected.keys()]);
        for (const [sectionName, entries] of expected) {
          const read = doc.get(sectionName)!;
          expect(lines[read.origin.line - 1]!.trim().toLowerCase()).toBe(`[${sectionName}]`);
          expect(new Map([...read.entries].map(([k, e]) => [k, e.value]))).toEqual(entries);
          for (const [key, entry] of read.entries) {
            expect(where(entry)).toBe(`/etc/sugar-server/conf.d/50-local.conf:${entry.line}`);
            expect(lines[entry.line - 1]!.trim().toLowerCase().startsWith(`${key} =`)).toBe(true);
          }
        }
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('never throws, and every problem names a line of the file that holds something', () => {
    fc.assert(
      boundedProperty(fc.oneof(mutatedText(iniText), fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        const doc: IniDocument = new Map();
        const errors = parseIni(text, 'a.conf', doc);
        const lines = text.split(/\r?\n/);
        for (const error of errors) {
          expect(error.file).toBe('a.conf');
          expect(Number.isInteger(error.line) && error.line >= 1 && error.line <= lines.length).toBe(true);
          const line = lines[error.line - 1]!.trim();
          expect(line).not.toBe('');
          expect(line.startsWith('#') || line.startsWith(';')).toBe(false);
          expect(typeof error.message).toBe('string');
        }
        for (const sectionEntry of doc.values()) {
          for (const entry of sectionEntry.entries.values()) expect(entry.line).toBeLessThanOrEqual(lines.length);
        }
        // A line is either read or reported, never both: an error never points at a line a value came from.
        const used = new Set([...doc.values()].flatMap((s) => [...s.entries.values()].map((e) => e.line)));
        for (const error of errors) expect(used.has(error.line)).toBe(false);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
