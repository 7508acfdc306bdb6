/**
 * Importing the admin's laptop list: every row is checked as a registration
 * would be (serial, uuid, nick, key, and a class group), and the import is all
 * or nothing. When any row is wrong, nothing is written and every wrong row is
 * reported by its line; a dry run checks and reports the same way and never
 * writes.
 */
import { isSugarError } from 'sugar-server';
import { RegistryErrors } from './errors.js';
import { readLaptopsCsv } from './laptops-csv.js';
import type { CheckedEntry, Registry } from './registry.js';

/** A row that was refused. */
export interface ImportProblem {
  readonly line: number;
  /** The serial as written, when the row has one. */
  readonly serial: string | null;
  readonly code: string;
  readonly message: string;
}

export interface ImportReport {
  readonly dryRun: boolean;
  /** True when the rows were written: not a dry run, and no row refused. */
  readonly applied: boolean;
  /** Data rows read (the header and empty lines not counted). */
  readonly rows: number;
  /** What the good rows do (or would do): laptops added, changed, already as listed. */
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Every refused row, by line. */
  readonly problems: readonly ImportProblem[];
}

/** Check `csv` and, unless it is a dry run or a row is wrong, store every row in one write. */
export async function importLaptops(registry: Registry, csv: string, { dryRun }: { dryRun: boolean }): Promise<ImportReport> {
  const { rows, problems: unreadable } = readLaptopsCsv(csv);
  const problems: ImportProblem[] = unreadable.map(({ line, message }) => ({ line, serial: null, code: RegistryErrors.BAD_ROW.code, message }));
  const checked: CheckedEntry[] = [];
  const lineOfSerial = new Map<string, number>();
  for (const { line, entry } of rows) {
    try {
      const result = registry.checkEntry(entry);
      const earlier = lineOfSerial.get(result.record.serial);
      if (earlier !== undefined) throw RegistryErrors.BAD_ROW(`serial ${result.record.serial} is already listed on line ${earlier}`);
      lineOfSerial.set(result.record.serial, line);
      checked.push(result);
    } catch (err) {
      if (!isSugarError(err)) throw err;
      const serial = typeof entry.serial === 'string' && entry.serial !== '' ? entry.serial.slice(0, 64) : null;
      problems.push({ line, serial, code: err.code, message: err.message });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  const count = (outcome: CheckedEntry['outcome']) => checked.filter((result) => result.outcome === outcome).length;
  const applied = !dryRun && problems.length === 0;
  // Nothing awaits between the checks above and this write, so no registration can slip in between.
  if (applied) await registry.storeEntries(checked.filter((result) => result.outcome !== 'unchanged').map((result) => result.record));
  return {
    dryRun,
    applied,
    rows: rows.length + unreadable.length,
    added: count('added'),
    updated: count('updated'),
    unchanged: count('unchanged'),
    problems,
  };
}
