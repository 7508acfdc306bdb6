/**
 * The laptop list as CSV, for the admin's spreadsheet: a header row naming the
 * columns `serial, uuid, nick, key, class group`, then one laptop a row. Quoting
 * is RFC 4180's (csv-parse, csv-stringify). A byte order mark, which spreadsheets
 * write, is skipped, and so are empty lines.
 *
 * A nick a child typed as `=HYPERLINK(...)` would be a formula once the admin
 * opens the export in a spreadsheet, so text starting with `=`, `+`, `-`, `@`,
 * tab or carriage return is written with a `'` in front (csv-stringify's
 * `escape_formulas`), and reading drops a `'` found before one of those.
 */
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { RegistryErrors } from './errors.js';
import type { LaptopEntry } from './registry.js';
import type { RegisteredLaptop } from './service.js';

/** The columns, in the order the export writes them. */
export const CSV_COLUMNS = ['serial', 'uuid', 'nick', 'key', 'class group'] as const;
type Column = (typeof CSV_COLUMNS)[number];

/** One data row: where it starts in the file, and its fields, trimmed. */
export interface CsvRow {
  readonly line: number;
  readonly entry: LaptopEntry;
}

/** A data row that cannot be read as a laptop at all (a wrong number of fields). */
export interface CsvRowProblem {
  readonly line: number;
  readonly message: string;
}

export interface LaptopsCsv {
  readonly rows: readonly CsvRow[];
  readonly problems: readonly CsvRowProblem[];
}

interface ParsedRecord {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

const ESCAPED_FORMULA = /^'(?=[=+\-@\t\r])/;

/** Every laptop as CSV text, the header first. */
export function laptopsToCsv(laptops: readonly RegisteredLaptop[]): string {
  const rows = laptops.map((laptop) => [laptop.serial, laptop.uuid, laptop.nick, `${laptop.keyType} ${laptop.pubkey}`, laptop.classGroup ?? '']);
  return stringify(rows, { header: true, columns: [...CSV_COLUMNS], escape_formulas: true, record_delimiter: 'unix' });
}

/**
 * Read a laptop list. Throws REGISTRY_ERR_BAD_CSV when the text is not CSV or the
 * header is not the five columns (in any order; case, spaces and `_` do not
 * matter); a row with the wrong number of fields is a problem of that row.
 */
export function readLaptopsCsv(text: string): LaptopsCsv {
  let records: ParsedRecord[];
  try {
    records = parse(text, { info: true, bom: true, skip_empty_lines: true, relax_column_count: true }) as unknown as ParsedRecord[];
  } catch (err) {
    throw RegistryErrors.BAD_CSV((err as Error).message);
  }
  const [header, ...data] = records;
  if (!header) throw RegistryErrors.BAD_CSV(`the file is empty; its first line names the columns: ${CSV_COLUMNS.join(',')}`);
  const at = columnPositions(header.record);
  const rows: CsvRow[] = [];
  const problems: CsvRowProblem[] = [];
  for (const { record, info } of data) {
    const line = firstLine(record, info.lines);
    if (record.length !== CSV_COLUMNS.length) {
      problems.push({ line, message: `has ${record.length} field${record.length === 1 ? '' : 's'}; the header names ${CSV_COLUMNS.length}` });
      continue;
    }
    const field = (column: Column) => record[at.get(column)!]!.trim().replace(ESCAPED_FORMULA, '');
    rows.push({ line, entry: { serial: field('serial'), uuid: field('uuid'), nick: field('nick'), pubkey: field('key'), classGroup: field('class group') } });
  }
  return { rows, problems };
}

/** Where each column is, from the header row. */
function columnPositions(header: readonly string[]): Map<Column, number> {
  const at = new Map<Column, number>();
  header.forEach((name, i) => {
    const column = CSV_COLUMNS.find((known) => comparable(known) === comparable(name));
    if (!column) throw RegistryErrors.BAD_CSV(`line 1: unknown column ${JSON.stringify(name.slice(0, 40))}; the columns are ${CSV_COLUMNS.join(', ')}`);
    if (at.has(column)) throw RegistryErrors.BAD_CSV(`line 1: column "${column}" appears twice`);
    at.set(column, i);
  });
  const missing = CSV_COLUMNS.filter((column) => !at.has(column));
  if (missing.length) throw RegistryErrors.BAD_CSV(`line 1: the header lacks ${missing.map((c) => `"${c}"`).join(', ')}; the first line names the columns: ${CSV_COLUMNS.join(',')}`);
  return at;
}

function comparable(name: string): string {
  return name.replace(/^\uFEFF/, '').replace(/[\s_-]+/g, '').toLowerCase();
}

/** csv-parse counts the line a record ends on; a quoted field may hold line breaks. */
function firstLine(record: readonly string[], lastLine: number): number {
  return lastLine - record.reduce((breaks, field) => breaks + (field.match(/\r\n|\r|\n/g)?.length ?? 0), 0);
}
