/**
 * A line-oriented INI reader that remembers where every value came from.
 *
 * The `ini` package and its peers drop line numbers, and every config error must
 * name `file:line`, so this small reader keeps them. The dialect is the plain one
 * admins know from systemd and samba: `[section]`, `key = value`, comments on their
 * own line starting with `#` or `;`. A `#` inside a value is part of the value
 * (URLs have fragments). Surrounding double quotes are removed.
 */

export interface Origin {
  readonly file: string;
  readonly line: number;
}

export interface IniEntry extends Origin {
  readonly value: string;
}

export interface IniSection {
  /** Where the section header was first seen (for errors about the section). */
  readonly origin: Origin;
  readonly entries: Map<string, IniEntry>;
}

/** Sections by name, in the order first seen; later files and lines override earlier ones. */
export type IniDocument = Map<string, IniSection>;

export interface IniSyntaxError extends Origin {
  readonly message: string;
}

const SECTION = /^\[\s*([A-Za-z0-9_.-]+)\s*\]$/;
const ENTRY = /^([A-Za-z0-9_.-]+)\s*=\s*(.*)$/;

/**
 * Parse `text` (from `file`) into `into`, overriding what is there. Returns the
 * syntax errors found; lines with errors are skipped so every error is reported.
 */
export function parseIni(text: string, file: string, into: IniDocument = new Map()): IniSyntaxError[] {
  const errors: IniSyntaxError[] = [];
  let section: IniSection | undefined;
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1;
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#') || raw.startsWith(';')) continue;

    const header = SECTION.exec(raw);
    if (header) {
      const name = header[1]!.toLowerCase();
      section = into.get(name);
      if (!section) {
        section = { origin: { file, line }, entries: new Map() };
        into.set(name, section);
      }
      continue;
    }

    const entry = ENTRY.exec(raw);
    if (!entry) {
      errors.push({ file, line, message: `cannot read this line: expected "[section]" or "key = value", got "${shorten(raw)}"` });
      continue;
    }
    if (!section) {
      errors.push({ file, line, message: `"${entry[1]}" is set before any [section]` });
      continue;
    }
    section.entries.set(entry[1]!.toLowerCase(), { value: unquote(entry[2]!.trim()), file, line });
  }
  return errors;
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function shorten(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Render `file:line` the way compilers do, so editors can jump to it. */
export function where(origin: Origin): string {
  return `${origin.file}:${origin.line}`;
}
