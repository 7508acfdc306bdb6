/**
 * The one place the property suites (`*.fuzz.test.ts`) take their run settings from.
 *
 * Under `npx vitest run` (and CI) every property runs its own case count with a
 * fixed seed, so a run is the same every time. `npm run fuzz -- --cases N [--seed S]`
 * (test/fuzz/run.ts) sets FUZZ_CASES and FUZZ_SEED: every property then runs N cases
 * from that seed, and a failure prints the seed, the path and the counterexample,
 * which `--seed S` replays.
 */
import fc from 'fast-check';

/** The seed CI uses: a fixed one, so a red run is the same run on every machine. */
export const CI_SEED = 20261204;

/**
 * A case of an async property (the archive suites) still running after this is
 * reported as a failure of that case; synchronous parsers are bounded by the
 * size of their inputs and by vitest's timeout for the whole property.
 */
export const CASE_TIMEOUT_MS = 5_000;

/**
 * A synchronous parser gets no per-case timeout from fast-check (it cannot
 * interrupt one), so {@link boundedProperty} measures each case and fails the
 * property when one ran longer than this: a bound against hangs and
 * runaway backtracking, far above any parse of these small inputs, not a
 * speed assertion.
 */
export const HANG_BOUND_MS = 1_000;

/** `fc.property` whose every case fails when it runs over {@link HANG_BOUND_MS}. */
export function boundedProperty<Ts extends [unknown, ...unknown[]]>(
  ...args: [...arbitraries: { [K in keyof Ts]: fc.Arbitrary<Ts[K]> }, predicate: (...values: Ts) => boolean | void]
): fc.IPropertyWithHooks<Ts> {
  const predicate = args[args.length - 1] as (...values: Ts) => boolean | void;
  const arbitraries = args.slice(0, -1) as { [K in keyof Ts]: fc.Arbitrary<Ts[K]> };
  const bounded = (...values: Ts): boolean | void => {
    const started = performance.now();
    const result = predicate(...values);
    const ms = performance.now() - started;
    if (ms > HANG_BOUND_MS) throw new Error(`one case ran ${Math.round(ms)} ms, over the ${HANG_BOUND_MS} ms hang bound`);
    return result;
  };
  return (fc.property as (...a: unknown[]) => fc.IPropertyWithHooks<Ts>)(...arbitraries, bounded);
}

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

/**
 * fast-check parameters for one property: `cases` under CI (a fixed seed), or
 * FUZZ_CASES cases from FUZZ_SEED when `npm run fuzz` set them.
 */
export function fuzz<T = unknown>(cases: number): fc.Parameters<T> {
  const seed = envInt('FUZZ_SEED') ?? CI_SEED;
  return {
    seed,
    numRuns: envInt('FUZZ_CASES') ?? cases,
    timeout: CASE_TIMEOUT_MS,
    // The failure message carries the seed, the path and the counterexample.
    verbose: 1,
  };
}

/**
 * How long vitest gives one property (all its cases) before it calls the test
 * stuck: generous, since `npm run fuzz` may ask for many more cases than CI runs.
 */
export function fuzzTestTimeout(): number {
  const cases = envInt('FUZZ_CASES');
  return cases === undefined ? 120_000 : Math.max(120_000, cases * 50);
}

/** True when `err` is an error with a stable string code (SugarError and the plugins' own types). */
export function hasStableCode(err: unknown, prefix: RegExp = /^[A-Z]+_ERR_[A-Z0-9_]+$/): boolean {
  return err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && prefix.test((err as { code: string }).code);
}

/**
 * Run `parse` and return its result, or `undefined` when it threw an error with
 * a stable code. Anything else it throws (TypeError, RangeError, a plain Error)
 * is rethrown, so the property fails with it.
 */
export function resultOrCoded<R>(parse: () => R, prefix?: RegExp): R | undefined {
  try {
    return parse();
  } catch (err) {
    if (hasStableCode(err, prefix)) return undefined;
    throw err;
  }
}

/**
 * Mutations of well-formed text: cut it, insert or delete characters, repeat a
 * slice, swap in a byte from a hostile set. Parsers break on near-misses more
 * often than on noise.
 */
export function mutatedText(valid: fc.Arbitrary<string>, alphabet: fc.Arbitrary<string> = hostileChar): fc.Arbitrary<string> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: alphabet, maxLength: 4 }) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 4 }) }),
    fc.record({ kind: fc.constant('replace' as const), at: fc.nat(), text: alphabet }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('repeat' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 16 }), times: fc.integer({ min: 2, max: 5 }) }),
  );
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
    let out = text;
    for (const e of edits) {
      const at = out.length === 0 ? 0 : e.at % (out.length + 1);
      if (e.kind === 'insert') out = out.slice(0, at) + e.text + out.slice(at);
      else if (e.kind === 'delete') out = out.slice(0, at) + out.slice(at + e.length);
      else if (e.kind === 'replace') out = out.slice(0, at) + e.text + out.slice(at + 1);
      else if (e.kind === 'truncate') out = out.slice(0, at);
      else out = out.slice(0, at) + out.slice(at, at + e.length).repeat(e.times) + out.slice(at + e.length);
    }
    return out;
  });
}

/** Characters that tend to matter to parsers of text protocols. */
export const hostileChar: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(' ', '\t', '\r', '\n', '\0', '"', "'", '\\', '/', '%', '=', ':', ';', '#', '[', ']', '{', '}', '<', '>', '&', '.', '*', '-', '\u00a0', '\ufeff', '\u2028', '\ud800', 'é', '𝄞'),
  fc.string({ minLength: 1, maxLength: 1 }),
);

/** Mutations of well-formed bytes: flip, overwrite, insert, delete, truncate, splice a copy of a range elsewhere. */
export function mutatedBytes(valid: fc.Arbitrary<Uint8Array>, maxEdits = 4): fc.Arbitrary<Buffer> {
  const edit = fc.oneof(
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 0xff, 0x7f, 0x80), fc.integer({ min: 0, max: 255 })) }),
    fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0xffff, 0xffffffff, 0x7fffffff, 0x80000000) }),
    fc.record({ kind: fc.constant('u16' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0xff, 0xffff, 0x7fff) }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('copy' as const), from: fc.nat(), to: fc.nat(), length: fc.integer({ min: 1, max: 128 }) }),
  );
  return fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: maxEdits })).map(([bytes, edits]) => {
    let out = Buffer.from(bytes);
    for (const e of edits) {
      if (out.length === 0) break;
      if (e.kind === 'set') out[e.at % out.length] = e.value;
      else if (e.kind === 'u32') { const at = e.at % out.length; if (at + 4 <= out.length) out.writeUInt32LE(e.value, at); }
      else if (e.kind === 'u16') { const at = e.at % out.length; if (at + 2 <= out.length) out.writeUInt16LE(e.value, at); }
      else if (e.kind === 'delete') { const at = e.at % out.length; out = Buffer.concat([out.subarray(0, at), out.subarray(at + e.length)]); }
      else if (e.kind === 'truncate') out = out.subarray(0, e.at % out.length);
      else { const from = e.from % out.length; const slice = Buffer.from(out.subarray(from, from + e.length)); const to = e.to % out.length; out = Buffer.concat([out.subarray(0, to), slice, out.subarray(to)]); }
    }
    return out;
  });
}
