/**
 * Reads `activity.info` and `activity.linfo` as Sugar does: with Python's
 * `configparser.ConfigParser` and its defaults (sugar-toolkit-gtk3
 * `src/sugar3/bundle/activitybundle.py`). A file Sugar could not read must not
 * be served, and a value must mean here what it means on the laptop, so the
 * rules are Python's, not a generic INI reader's:
 *
 *  - `[section]` headers (names are case-sensitive); `key = value` or `key: value`,
 *    split at the first `=` or `:`; keys are lower-cased; values are stripped;
 *  - lines starting with `#` or `;` are comments; there are no inline comments;
 *  - an indented line continues the value above (joined with newlines);
 *  - a key or section given twice, a line before any section, or a line that is
 *    neither is an error (Python raises, and Sugar does not load the bundle);
 *  - `[DEFAULT]` values show through in every section;
 *  - values are interpolated when read: `%%` is `%`, `%(key)s` is another key's
 *    value, and any other `%` is an error.
 */

/** A file configparser would refuse, with the line it would name. */
export class IniError extends Error {
  constructor(
    message: string,
    readonly line?: number,
  ) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'IniError';
  }
}

/** What configparser holds after reading a file. */
export interface IniDocument {
  readonly sections: ReadonlyMap<string, ReadonlyMap<string, string>>;
  readonly defaults: ReadonlyMap<string, string>;
}

// Python's str.strip() and \s: JavaScript's \s also takes U+FEFF (a byte order
// mark), which Python keeps, and leaves out \x1c-\x1f and \x85, which Python strips.
const PY_SPACE = '\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const LEADING = new RegExp(`^[${PY_SPACE}]+`);
const TRAILING = new RegExp(`[${PY_SPACE}]+$`);
const NON_SPACE = new RegExp(`[^${PY_SPACE}]`);
// Python's "." takes every character but \n (a line holds none); JavaScript's also stops at \r, U+2028 and U+2029, hence "s".
const OPTION = new RegExp(`^(.*?)[${PY_SPACE}]*([=:])[${PY_SPACE}]*(.*)$`, 's');
const MAX_INTERPOLATION_DEPTH = 10;
const DEFAULT_SECTION = 'DEFAULT';

/** Python's `str.strip()`. */
export function pyStrip(text: string): string {
  return text.replace(LEADING, '').replace(TRAILING, '');
}

/** Read a file as `ConfigParser.read_string` does; throws IniError where Python raises. */
export function parseIni(text: string): IniDocument {
  const sections = new Map<string, Map<string, string[]>>();
  const defaults = new Map<string, string[]>();
  const seenSections = new Set<string>();
  const seenOptions = new Set<string>();
  const errors: number[] = [];
  let section: Map<string, string[]> | undefined;
  let sectionName = '';
  let option: string | undefined;
  let indentLevel = 0;

  text.split('\n').forEach((line, index) => {
    const lineNo = index + 1;
    const stripped = pyStrip(line);
    const comment = stripped.startsWith('#') || stripped.startsWith(';');
    const value = comment ? '' : stripped;
    if (!value) {
      // A blank line inside a multi-line value is part of it; a comment line is not.
      if (!comment && section && option !== undefined) section.get(option)!.push('');
      return;
    }
    const indent = NON_SPACE.exec(line)?.index ?? 0;
    if (section && option !== undefined && indent > indentLevel) {
      section.get(option)!.push(value);
      return;
    }
    indentLevel = indent;
    const header = value.startsWith('[') ? value.lastIndexOf(']') : -1;
    if (header > 1) {
      sectionName = value.slice(1, header);
      if (sectionName === DEFAULT_SECTION) {
        section = defaults;
      } else {
        if (seenSections.has(sectionName)) throw new IniError(`section [${sectionName}] appears twice`, lineNo);
        seenSections.add(sectionName);
        section = sections.get(sectionName) ?? new Map();
        sections.set(sectionName, section);
      }
      option = undefined;
      return;
    }
    if (!section) throw new IniError('text before the first [section] header', lineNo);
    const match = OPTION.exec(value);
    if (!match || !match[1]) {
      errors.push(lineNo);
      option = undefined;
      return;
    }
    option = pyStrip(match[1]).toLowerCase();
    const key = `${sectionName}\n${option}`;
    if (seenOptions.has(key)) throw new IniError(`"${option}" appears twice in [${sectionName}]`, lineNo);
    seenOptions.add(key);
    section.set(option, [pyStrip(match[3]!)]);
  });

  if (errors.length) throw new IniError(`not a "key = value" line or a [section] header`, errors[0]);
  const join = (options: Map<string, string[]>) =>
    new Map([...options].map(([key, lines]) => [key, lines.join('\n').replace(TRAILING, '')]));
  return {
    sections: new Map([...sections].map(([name, options]) => [name, join(options)])),
    defaults: join(defaults),
  };
}

/** `ConfigParser.has_option`. */
export function hasOption(doc: IniDocument, section: string, option: string): boolean {
  const key = option.toLowerCase();
  if (section === DEFAULT_SECTION) return doc.defaults.has(key);
  const options = doc.sections.get(section);
  return options !== undefined && (options.has(key) || doc.defaults.has(key));
}

/** `ConfigParser.get`, interpolation included; undefined when the option is absent. */
export function getOption(doc: IniDocument, section: string, option: string): string | undefined {
  const lookup = (key: string) => doc.sections.get(section)?.get(key) ?? doc.defaults.get(key);
  const raw = lookup(option.toLowerCase());
  return raw === undefined ? undefined : interpolate(raw, option.toLowerCase(), lookup, 1);
}

/** BasicInterpolation.before_get. */
function interpolate(value: string, option: string, lookup: (key: string) => string | undefined, depth: number): string {
  if (depth > MAX_INTERPOLATION_DEPTH) throw new IniError(`"${option}": %(...)s references nest too deep`);
  let out = '';
  let rest = value;
  for (let at = rest.indexOf('%'); at >= 0; at = rest.indexOf('%')) {
    out += rest.slice(0, at);
    rest = rest.slice(at);
    if (rest[1] === '%') {
      out += '%';
      rest = rest.slice(2);
      continue;
    }
    const reference = rest[1] === '(' ? /^%\(([^)]+)\)s/.exec(rest) : null;
    if (!reference) throw new IniError(`"${option}": a % must be followed by % or (name)s (write %% for a percent sign)`);
    const name = reference[1]!.toLowerCase();
    const target = lookup(name);
    if (target === undefined) throw new IniError(`"${option}": %(${name})s names no option`);
    out += target.includes('%') ? interpolate(target, option, lookup, depth + 1) : target;
    rest = rest.slice(reference[0].length);
  }
  return out + rest;
}
