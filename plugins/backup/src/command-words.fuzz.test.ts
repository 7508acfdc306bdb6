import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout, mutatedText } from '../../../test/fuzz/settings.js';
import { splitCommand } from './command-words.js';

/** How rsync 3.2.4+ escapes an argument it sends: a backslash before anything a shell would act on. */
const escapeWord = (word: string) => word.replace(/[ \t;&|<>()$`'"*?[\]{}~#!\\]/g, (c) => `\\${c}`);
const wordChar = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(...'abcXYZ019.-_/=,:+@%') },
  { weight: 1, arbitrary: fc.constantFrom(...' \t;&|<>()$`\'"*?[]{}~#!\\') },
  { weight: 1, arbitrary: fc.constantFrom('é', '𝄞', '\u00a0') },
);
const words = fc.array(fc.string({ unit: wordChar, minLength: 1, maxLength: 20 }), { maxLength: 12 });
const command = fc.tuple(words, fc.constantFrom(' ', '  ', '\t')).map(([w, sep]) => w.map(escapeWord).join(sep));

describe('splitCommand under fuzzing', () => {
  it('gives back the words an rsync client escaped and joined', () => {
    fc.assert(
      boundedProperty(words, fc.constantFrom(' ', '  ', '\t', ' \t'), (list, sep) => {
        expect(splitCommand(`${sep}${list.map(escapeWord).join(sep)}`)).toEqual(list);
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());

  it('returns plain words or throws BACKUP_ERR_COMMAND_REFUSED, for near-misses and noise', () => {
    fc.assert(
      boundedProperty(fc.oneof(mutatedText(command), fc.string({ maxLength: 100 }), fc.string({ unit: 'binary', maxLength: 100 })), (text) => {
        try {
          const list = splitCommand(text);
          for (const word of list) {
            expect(word.length).toBeGreaterThan(0);
            expect(word).not.toMatch(/[\0-\x08\x0a-\x1f\x7f]/);
          }
          // Words without blanks or shell syntax read back the same once joined.
          if (!/[\\]/.test(text)) expect(splitCommand(list.join(' '))).toEqual(list);
        } catch (err) {
          expect(err).toMatchObject({ code: 'BACKUP_ERR_COMMAND_REFUSED' });
        }
      }),
      fuzz(10_000),
    );
  }, fuzzTestTimeout());
});
