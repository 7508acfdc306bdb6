import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../test/fuzz/settings.js';
import { readActivityInfo, readTranslation } from './activity-info.js';
import { hasPython, readAll, readWithPython } from './configparser.test-support.js';
import { IniError } from './python-ini.js';

/** Space as Python and JavaScript disagree on it, and the characters configparser splits on. */
const space = fc.constantFrom(' ', '\t', '  ', '\u00a0', '\x1c', '\x85', '\u2028', '\ufeff', '\v', '\r', '');
const word = fc.oneof(fc.constantFrom('name', 'Name', 'bundle_id', 'exec', 'class', 'activity_version', 'icon', 'license', 'summary', 'tags', 'service_name', 'base'), fc.stringMatching(/^[a-zA-Z_]{1,6}$/));
const value = fc.oneof(
  fc.constantFrom('Paint', 'org.laptop.Paint', 'sugar-activity paint.Paint', '12', '1.2.3', '0', 'a;b;;c;', '100%', '100%%', '%(base)s', '%(name)s', '%(missing)s', '%(Base)sx', '%', '= x', 'a : b', '# not a comment', '; neither', ''),
  fc.string({ maxLength: 10 }),
);
const line = fc.oneof(
  fc.constantFrom('[Activity]', '[DEFAULT]', '[activity]', '[Activity] trailing]', '[]', '[ Activity ]', '[a]b]', '# comment', '; comment', ''),
  fc.tuple(space, word, space, fc.constantFrom('=', ':', ' = ', ': '), space, value, space).map((parts) => parts.join('')),
  fc.tuple(fc.constantFrom(' ', '\t', '  '), value).map(([indent, v]) => `${indent}${v}`),
);
const iniText = fc.tuple(fc.boolean(), fc.array(line, { maxLength: 10 })).map(([head, lines]) => `${head ? '[Activity]\n' : ''}${lines.join('\n')}\n`);
const anyText = fc.oneof(iniText, mutatedText(iniText), fc.string({ maxLength: 80 }));


describe('activity.info under fuzzing', () => {
  it('reads a document or raises IniError, and get returns a value or raises IniError', () => {
    fc.assert(boundedProperty(anyText, (text) => void readAll(text)), fuzz(10_000));
  }, fuzzTestTimeout());

  it('reads activity.info or refuses it with ACTIVITIES_ERR_BAD_INFO or _BAD_VERSION, and a translation or an IniError', () => {
    fc.assert(
      boundedProperty(anyText, (text) => {
        try {
          const info = readActivityInfo(text);
          expect(info.bundleId).toMatch(/^[A-Za-z0-9._-]+$/);
          for (const tag of info.tags) expect(tag).not.toMatch(/;/);
        } catch (err) {
          expect((err as { code?: unknown }).code, String(err)).toMatch(/^ACTIVITIES_ERR_BAD_(INFO|VERSION)$/);
        }
        try {
          readTranslation(text);
        } catch (err) {
          expect(err).toBeInstanceOf(IniError);
        }
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  // One python3 reads the whole batch (a process per case would take minutes). Under CI a missing python3 fails.
  it.skipIf(!hasPython && process.env.CI !== 'true')('means what Python\'s configparser means, file by file', () => {
    const settings = fuzz(10_000);
    const texts = fc.sample(anyText, { seed: settings.seed!, numRuns: settings.numRuns! });
    const { readings: python, stderr } = readWithPython(texts);
    expect(stderr).toBe('');
    const differ = texts.map((text, i) => ({ text, ours: readAll(text), python: python[i] })).filter((c) => JSON.stringify(c.ours) !== JSON.stringify(c.python));
    // The first few files read differently, each with both readings, so a failure can be replayed by hand.
    expect(differ.slice(0, 3), `seed ${settings.seed}`).toEqual([]);
  }, fuzzTestTimeout());
});
