/**
 * `stolen.txt`, the stolen list as it travels in the leases feed: one serial per
 * line, sorted, each line ending in a newline; an empty file means that nothing
 * is stolen. Reading is all or nothing: one line that is not a serial refuses
 * the whole list, so a corrupted file can never unlock half a deployment.
 */
import { LeasesErrors } from './errors.js';
import { compareSerials, isSerial } from './lease-line.js';

/** The file's name in the published feed. */
export const STOLEN_FILE = 'stolen.txt';

/** How much of a bad line an error quotes. */
const QUOTE_LIMIT = 40;

/** The file's text for `serials`: sorted, duplicates dropped, a newline after each. */
export function formatStolenList(serials: Iterable<string>): string {
  return [...new Set(serials)].sort(compareSerials).map((serial) => `${serial}\n`).join('');
}

/**
 * The serials in a stolen list. The last line may lack its newline; anything
 * else that is not a serial (a blank line, a space, a carriage return) throws
 * LEASES_ERR_BAD_STOLEN_LIST naming `file` and the line.
 */
export function parseStolenList(data: Buffer | string, file: string = STOLEN_FILE): Set<string> {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const serials = new Set<string>();
  lines.forEach((line, i) => {
    if (!isSerial(line)) throw LeasesErrors.BAD_STOLEN_LIST(file, i + 1, describe(line));
    serials.add(line);
  });
  return serials;
}

function describe(line: string): string {
  if (line === '') return 'an empty line is not a serial number';
  const quoted = JSON.stringify(line.length > QUOTE_LIMIT ? `${line.slice(0, QUOTE_LIMIT)}…` : line);
  return `${quoted} is not a serial number`;
}
