/**
 * `expressions` lists: POSIX extended regular expressions, as squidGuard
 * compiles them (case-insensitive), matched against the normalised URL
 * without its scheme (`host/path?query`, `www.` stripped).
 *
 * Each one is translated to a JavaScript pattern and checked before it is
 * used. Patterns that could backtrack for ever (a repeated group that itself
 * repeats, such as `(a+)+`), back-references, and patterns the linear-time
 * engine cannot run are refused and reported. What is kept runs with V8's
 * fallback to its linear-time engine after excessive backtracking, on at most
 * the first {@link MAX_MATCH_LENGTH} characters, so no URL can stall a lookup.
 */
import { setFlagsFromString } from 'node:v8';

/** Longest expression accepted. */
export const MAX_EXPRESSION_LENGTH = 4096;
/** The part of a URL expressions look at; real URLs are far shorter. */
export const MAX_MATCH_LENGTH = 4096;
/** POSIX's RE_DUP_MAX: the largest count in `{m,n}`. */
const MAX_REPEAT = 255;

/** The translated pattern, or why it was refused. */
export type Translation = { readonly ok: true; readonly source: string } | { readonly ok: false; readonly reason: string };

const CLASSES: Record<string, string> = {
  alpha: 'a-z',
  digit: '0-9',
  alnum: 'a-z0-9',
  upper: 'a-z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9a-f',
  cntrl: '\\x00-\\x1f\\x7f',
  print: ' -~',
  graph: '!-~',
};

let fallbackEnabled = false;

/**
 * Let V8 switch a regular expression to its linear-time engine once it
 * backtracks too much (process-wide; it changes no result, only how long a
 * pathological match may take). Called before any expression is compiled.
 */
export function enableLinearFallback(): void {
  if (fallbackEnabled) return;
  setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');
  setFlagsFromString('--regexp-backtracks-before-fallback=5000');
  fallbackEnabled = true;
}

/** Whether {@link enableLinearFallback} ran in this process. */
export function linearFallbackEnabled(): boolean {
  return fallbackEnabled;
}

interface Group {
  /** A `*`, `+` or `{n,}` somewhere inside. */
  unbounded: boolean;
}

/** Translate one POSIX ERE (as squidGuard reads it: case-insensitive) into a checked JavaScript pattern. */
export function translateExpression(ere: string): Translation {
  if (ere.length > MAX_EXPRESSION_LENGTH) return refuse(`longer than ${MAX_EXPRESSION_LENGTH} characters`);
  let out = '';
  const groups: Group[] = [{ unbounded: false }];
  // What the next quantifier applies to: a closed group (and whether it repeats inside), an atom, or nothing.
  let previous: { kind: 'none' } | { kind: 'atom' } | { kind: 'group'; unbounded: boolean } = { kind: 'none' };
  for (let i = 0; i < ere.length; i++) {
    const c = ere[i]!;
    if (c === '\\') {
      const next = ere[i + 1];
      if (next === undefined) return refuse('ends with a lone backslash');
      i++;
      if (/[1-9]/.test(next)) return refuse('back-references (\\1…) cannot be matched in linear time');
      out += escapeSequence(next);
      previous = { kind: next === '<' || next === '>' || next === 'b' || next === 'B' ? 'none' : 'atom' };
      continue;
    }
    if (c === '[') {
      const bracket = translateBracket(ere, i);
      if (!bracket.ok) return bracket;
      out += bracket.source;
      i = bracket.end;
      previous = { kind: 'atom' };
      continue;
    }
    if (c === '(') {
      if (ere[i + 1] === '?') return refuse('"(?" is not POSIX syntax');
      groups.push({ unbounded: false });
      out += '(?:';
      previous = { kind: 'none' };
      continue;
    }
    if (c === ')') {
      if (groups.length === 1) return refuse('unbalanced ")"');
      const closed = groups.pop()!;
      if (closed.unbounded) groups[groups.length - 1]!.unbounded = true;
      out += ')';
      previous = { kind: 'group', unbounded: closed.unbounded };
      continue;
    }
    const quantifier = readQuantifier(ere, i);
    if (quantifier) {
      if (!quantifier.ok) return quantifier;
      if (previous.kind === 'none') return refuse(`"${ere.slice(i, quantifier.end + 1)}" repeats nothing`);
      if (previous.kind === 'group' && previous.unbounded && quantifier.max !== 1) {
        return refuse('a repeated group that repeats inside (such as (a+)+) can take exponential time');
      }
      if (quantifier.max === Infinity) groups[groups.length - 1]!.unbounded = true;
      out += quantifier.source;
      i = quantifier.end;
      previous = { kind: 'none' };
      continue;
    }
    if (c === '|' || c === '^' || c === '$') {
      out += c;
      previous = { kind: 'none' };
      continue;
    }
    out += c === '.' ? '.' : literal(c.toLowerCase());
    previous = { kind: 'atom' };
  }
  if (groups.length > 1) return refuse('unbalanced "("');
  try {
    new RegExp(out);
  } catch (err) {
    return refuse((err as Error).message);
  }
  return { ok: true, source: out };
}

function refuse(reason: string): Translation & { ok: false } {
  return { ok: false, reason };
}

/** A character that stands for itself. */
function literal(c: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(c) ? `\\${c}` : c;
}

/** `\x` outside brackets: GNU's word escapes keep their meaning, `\<` `\>` are word boundaries, anything else is the character itself. */
function escapeSequence(c: string): string {
  if ('wWsSbB'.includes(c)) return `\\${c}`;
  if (c === '<' || c === '>') return '\\b';
  if (c === 'd') return '[0-9]';
  if (c === 'D') return '[^0-9]';
  return literal(c.toLowerCase());
}

type Quantifier = { ok: true; source: string; end: number; max: number } | (Translation & { ok: false });

function readQuantifier(ere: string, i: number): Quantifier | null {
  const c = ere[i];
  if (c === '*') return { ok: true, source: '*', end: i, max: Infinity };
  if (c === '+') return { ok: true, source: '+', end: i, max: Infinity };
  if (c === '?') return { ok: true, source: '?', end: i, max: 1 };
  if (c !== '{') return null;
  const match = /^\{(\d+)(,(\d*))?\}/.exec(ere.slice(i));
  if (!match) return refuse(`"{" at ${i + 1} does not start a count such as {2,5}`);
  const min = Number(match[1]);
  const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
  if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT) || max < min) return refuse(`"${match[0]}" is not a count from 0 to ${MAX_REPEAT}`);
  return { ok: true, source: match[0], end: i + match[0].length - 1, max };
}

/** A POSIX bracket expression from `[` at `start`: `]` first is a member, `\` is literal, `[:alpha:]` classes. */
function translateBracket(ere: string, start: number): ({ ok: true; source: string; end: number }) | (Translation & { ok: false }) {
  let i = start + 1;
  let out = '[';
  if (ere[i] === '^') {
    out += '^';
    i++;
  }
  let first = true;
  for (; i < ere.length; i++) {
    const c = ere[i]!;
    if (c === ']' && !first) return { ok: true, source: `${out}]`, end: i };
    first = false;
    if (c === '[' && ere[i + 1] === ':') {
      const close = ere.indexOf(':]', i + 2);
      const name = close < 0 ? '' : ere.slice(i + 2, close);
      const members = CLASSES[name];
      if (!members) return refuse(`unknown character class "[:${name}:]"`);
      out += members;
      i = close + 1;
      continue;
    }
    if (c === '[' && (ere[i + 1] === '.' || ere[i + 1] === '=')) return refuse('collating elements ([. .] [= =]) are not supported');
    out += c === '\\' || c === ']' || c === '[' || c === '^' ? `\\${c}` : c.toLowerCase();
  }
  return refuse('unterminated "["');
}

/** One category's expressions as a single alternation, or null when it has none. */
export function combineExpressions(sources: readonly string[]): RegExp | null {
  if (sources.length === 0) return null;
  enableLinearFallback();
  return new RegExp(sources.map((s) => `(?:${s})`).join('|'));
}
