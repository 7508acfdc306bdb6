import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { boundedProperty, fuzz, fuzzTestTimeout } from '../../../test/fuzz/settings.js';
import { splitCommand } from './command-words.js';
import { parseRsyncCommand, type RequestLimits } from './rsync-request.js';

const KEPT_LETTERS = 'ltrzvncudxIWmOJSHyEUqogpC';
/** What an upload may not set on a file that snapshots share (see rsync-request.ts). */
const UPLOAD_REFUSED_LETTERS = 'pEogUcH';
const KEPT_FLAGS = ['--delete', '--delete-before', '--delete-during', '--delete-after', '--delete-delay', '--delete-excluded', '--partial', '--size-only', '--ignore-existing', '--existing', '--ignore-missing-args', '--numeric-ids', '--force', '--ignore-errors', '--safe-links', '--delay-updates', '--stats', '--mkpath', '--open-noatime', '--preallocate', '--new-compress', '--old-compress'];
const KEPT_VALUED = ['--max-delete', '--compress-level', '--modify-window', '--checksum-seed', '--bwlimit', '--min-size', '--max-size', '--compress-choice', '--checksum-choice', '--log-format', '--out-format'];
const GUARDS = ['--munge-links', '--no-super'];

const letters = fc.string({ unit: fc.constantFrom(...`${KEPT_LETTERS}DKLkbRsAXNTeBfM`), minLength: 1, maxLength: 8 });
const shortBundle = fc.tuple(letters, fc.option(fc.stringMatching(/^\.[A-Za-z]{0,10}$/), { nil: '' })).map(([l, caps]) => `-${l}${caps ? `e${caps}` : ''}`);
const value = fc.oneof(fc.integer({ min: -5, max: 2_000_000_000 }).map(String), fc.constantFrom('1k', '1.5M', '10Gb+1', 'zstd,lz4', '%i %n', '', '-', '/etc/passwd', '.'), fc.string({ maxLength: 12 }));
const longOption = fc.oneof(
  fc.constantFrom(...KEPT_FLAGS).map((o) => [o]),
  fc.tuple(fc.constantFrom(...KEPT_VALUED, '--timeout', '--temp-dir'), value, fc.boolean()).map(([o, v, joined]) => (joined ? [`${o}=${v}`] : [o, v])),
  fc.constantFrom('--devices', '--specials', '--inplace', '--append', '--rsh=sh', '--rsync-path=sh', '--link-dest=/', '--files-from=/etc/shadow', '--chmod=u+s', '--protect-args', '--copy-links', '--sender', '--server', '--del', '--delete=x', '--config=/x').map((o) => [o]),
);
const option = fc.oneof(shortBundle.map((b) => [b]), longOption);
const path = fc.constantFrom('datastore-current', '.', '..', '/', '/var/lib/ds-backup/completion/SHC0123456A', 'a b', '-rf', '');
const request = fc
  .tuple(
    fc.constantFrom(['rsync', '--server'], ['rsync', '--server', '--sender'], ['rsync', '--server'], ['rsync'], ['/usr/bin/rsync', '--server'], []),
    fc.array(option, { maxLength: 8 }),
    fc.constantFrom(['.'], ['.'], [], ['..']),
    fc.array(path, { maxLength: 3 }),
  )
  .map(([head, opts, dot, paths]) => [...head, ...opts.flat(), ...dot, ...paths]);
/** What rsync clients send: kept options with good values, the ".", then one destination (or a few sources). */
const goodValue = fc.oneof(fc.integer({ min: 0, max: 999_999_999 }).map(String), fc.constantFrom('1k', '1.5M', 'zstd', '%i %n%L'));
const goodOption = fc.oneof(
  fc.tuple(fc.string({ unit: fc.constantFrom(...KEPT_LETTERS), minLength: 1, maxLength: 6 }), fc.boolean()).map(([l, caps]) => [`-${l}${caps ? 'e.iLsfxCIvu' : ''}`]),
  fc.constantFrom(...KEPT_FLAGS).map((o) => [o]),
  fc.tuple(fc.constantFrom(...KEPT_VALUED, '--timeout', '--temp-dir'), goodValue, fc.boolean()).map(([o, v, joined]) => (joined ? [`${o}=${v}`] : [o, v])),
);
const goodRequest = fc
  .tuple(fc.boolean(), fc.array(goodOption, { maxLength: 6 }), fc.array(fc.constantFrom('datastore-current', 'a/b', '/x'), { minLength: 1, maxLength: 3 }))
  .map(([sender, opts, paths]) => ['rsync', '--server', ...(sender ? ['--sender'] : []), ...opts.flat(), '.', ...(sender ? paths : paths.slice(0, 1))]);
/** A good request with a word dropped, repeated, or one from `request` put in. */
const nearMiss = fc
  .tuple(goodRequest, fc.nat(), fc.constantFrom('drop', 'repeat', 'insert'), request)
  .map(([words, at, edit, other]) => {
    const i = at % words.length;
    if (edit === 'drop') return [...words.slice(0, i), ...words.slice(i + 1)];
    if (edit === 'repeat') return [...words.slice(0, i), words[i]!, ...words.slice(i)];
    return [...words.slice(0, i), ...other.slice(0, 2), ...words.slice(i)];
  });
const anyRequest = fc.oneof({ weight: 3, arbitrary: goodRequest }, { weight: 2, arbitrary: nearMiss }, { weight: 2, arbitrary: request });
const limits: fc.Arbitrary<RequestLimits> = fc.record({ ioTimeoutSeconds: fc.integer({ min: 1, max: 3600 }), keepAccessTimes: fc.boolean() });

/** Whether the server's rsync may be handed this option. */
function allowedOption(option: string, mode: 'receive' | 'send'): boolean {
  if (GUARDS.includes(option) || option === '--open-noatime' || KEPT_FLAGS.includes(option)) return true;
  if (mode === 'receive' && option === '--chmod=ugo-st') return true;
  const eq = option.indexOf('=');
  if (eq > 0) return KEPT_VALUED.includes(option.slice(0, eq)) || option.startsWith('--timeout=');
  const bundle = /^-([A-Za-z]+?)(e\.[A-Za-z]*)?$/.exec(option);
  if (!bundle) return false;
  return [...bundle[1]!].every((l) => KEPT_LETTERS.includes(l) && !(mode === 'receive' && UPLOAD_REFUSED_LETTERS.includes(l)));
}

describe('parseRsyncCommand under fuzzing', () => {
  it('hands the server\'s rsync only allowed options, with every guard and one timeout within the limit, or refuses with a BACKUP_ERR code', () => {
    let accepted = 0;
    let runs = 0;
    fc.assert(
      boundedProperty(anyRequest, limits, (words, l) => {
        runs++;
        try {
          const parsed = parseRsyncCommand(words, l);
          accepted++;
          for (const o of parsed.options) expect(allowedOption(o, parsed.mode), o).toBe(true);
          for (const g of GUARDS) expect(parsed.options).toContain(g);
          if (parsed.mode === 'receive') expect(parsed.options).toContain('--chmod=ugo-st');
          const timeouts = parsed.options.filter((o) => o.startsWith('--timeout='));
          expect(timeouts).toHaveLength(1);
          const seconds = Number(timeouts[0]!.slice('--timeout='.length));
          expect(seconds).toBeGreaterThan(0);
          expect(seconds).toBeLessThanOrEqual(l.ioTimeoutSeconds);
          if (l.keepAccessTimes) expect(parsed.options).toContain('--open-noatime');
          // The paths are what followed the ".", untouched (rsync-paths.ts checks them).
          expect(parsed.paths).toEqual(words.slice(words.indexOf('.') + 1));
          expect(parsed.mode).toBe(words[2] === '--sender' ? 'send' : 'receive');
        } catch (err) {
          expect((err as { code?: string }).code).toMatch(/^BACKUP_ERR_(COMMAND|OPTION)_REFUSED$/);
        }
      }),
      fuzz(10_000),
    );
    // The generator reaches the accepting path often enough for the checks above to mean something.
    if (runs >= 1_000) expect(accepted).toBeGreaterThan(runs / 10);
  }, fuzzTestTimeout());

  it('reads the same request from the command line an rsync client sends', () => {
    fc.assert(
      boundedProperty(anyRequest, limits, (words, l) => {
        const plain = words.every((w) => /^[A-Za-z0-9.,=%_/+:@-]+$/.test(w));
        fc.pre(plain);
        let direct: unknown;
        let split: unknown;
        try { direct = parseRsyncCommand(words, l); } catch (err) { direct = (err as { code?: string }).code; }
        try { split = parseRsyncCommand(splitCommand(words.join(' ')), l); } catch (err) { split = (err as { code?: string }).code; }
        expect(split).toEqual(direct);
      }),
      { ...fuzz(10_000), maxSkipsPerRun: 1000 },
    );
  }, fuzzTestTimeout());
});
