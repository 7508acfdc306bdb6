/**
 * Lease bundles (`lease.sig`, `leases.sig`) in the two forms OLPC ships:
 *  - lease lines, one or more, as `make-lease.sh` writes them;
 *  - canonical JSON `[1,{"<SN>":"<lease lines>",...}]`, keys sorted, no spaces,
 *    the lines of one serial concatenated in one string.
 *
 * Verified in public sources: bios-crypto `build/format_as_cjson_leases.py`
 * groups lines by the serial after `act01: ` and concatenates them in one string
 * per serial, written as `[1, leases]` with OLPC's canonical JSON writer;
 * dracut-modules-olpc `30olpc-activation/activate.py` (`lease_from_file`) tells
 * the forms apart by the first 5 bytes `[1,{"`, and `30olpc-boot/greplease.py`
 * finds a serial by searching for `"<SN>":"`, which only works with no space
 * after the colon.
 */
import { LeasesErrors } from './errors.js';
import { isSerial, parseLease, type Lease } from './lease-line.js';

/** The leases a bundle carries for one serial, in bundle order (the XO takes the first that matches it). */
export interface BundleEntry {
  readonly serial: string;
  readonly leases: readonly Lease[];
}

/** A part of a bundle that was left out, and why. */
export interface BundleProblem {
  /** The serial it was for, when that much could be read. */
  readonly serial: string | null;
  readonly code: string;
  readonly reason: string;
}

/** A bundle read: its form, the leases by serial, and what was left out. */
export interface ParsedBundle {
  readonly form: 'lines' | 'json';
  readonly entries: readonly BundleEntry[];
  readonly problems: readonly BundleProblem[];
}

/**
 * Read a bundle. Lines or entries that are not leases are reported, not fatal;
 * a file in which nothing at all is a lease is refused as a whole.
 */
export function parseBundle(data: Buffer | string): ParsedBundle {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.includes('\0')) throw LeasesErrors.BAD_BUNDLE('binary data');
  const start = text.replace(/^\uFEFF/, '').trimStart();
  // The XO insists on JSON_MAGIC; importing, any JSON array is read, so a hand-edited bundle with spaces still works.
  const parsed = start.startsWith('[') ? parseJsonBundle(start) : parseLineBundle(text);
  if (parsed.entries.length === 0 && parsed.problems.length > 0) {
    throw LeasesErrors.BAD_BUNDLE(parsed.problems[0]!.reason);
  }
  return parsed;
}

/** The canonical JSON form of `leases` (serial → its lease lines). */
export function formatBundle(leases: Iterable<readonly [serial: string, text: string]>): string {
  // Written pair by pair: a JavaScript object lists keys made only of digits ("12") before the
  // others, whatever order they were set in, so JSON.stringify of one would not be sorted.
  const table = new Map<string, string>();
  for (const [serial, text] of [...leases].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) table.set(serial, text);
  const pairs = [...table].map(([serial, text]) => `${JSON.stringify(serial)}:${JSON.stringify(text)}`);
  return `[1,{${pairs.join(',')}}]`;
}

function parseLineBundle(text: string): ParsedBundle {
  const bySerial = new Map<string, Lease[]>();
  const problems: BundleProblem[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const lease = parseLease(line, `line ${i + 1}`);
      const list = bySerial.get(lease.serial) ?? [];
      list.push(lease);
      bySerial.set(lease.serial, list);
    } catch (err) {
      problems.push(problemOf(err, serialGuess(line)));
    }
  });
  if (bySerial.size === 0 && problems.length === 0) throw LeasesErrors.BAD_BUNDLE('the file is empty');
  return { form: 'lines', entries: [...bySerial].map(([serial, leases]) => ({ serial, leases })), problems };
}

function parseJsonBundle(text: string): ParsedBundle {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw LeasesErrors.BAD_BUNDLE(`invalid JSON (${(err as Error).message})`);
  }
  if (!Array.isArray(value) || value.length !== 2) throw LeasesErrors.BAD_BUNDLE('JSON bundles are [1, {serial: leases}]');
  const [version, table] = value as [unknown, unknown];
  if (version !== 1) throw LeasesErrors.BAD_BUNDLE(`bundle version ${JSON.stringify(version)} is not supported (only 1)`);
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw LeasesErrors.BAD_BUNDLE('the second element must be an object');

  const entries: BundleEntry[] = [];
  const problems: BundleProblem[] = [];
  for (const [key, lines] of Object.entries(table)) {
    const serial = isSerial(key) ? key : null;
    if (!serial) {
      problems.push(problemOf(LeasesErrors.BAD_SERIAL(key), null));
      continue;
    }
    if (typeof lines !== 'string') {
      problems.push(problemOf(LeasesErrors.BAD_LEASE(`entry ${key}`, 'the value must be a string of lease lines'), serial));
      continue;
    }
    const leases: Lease[] = [];
    for (const line of lines.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const lease = parseLease(line, `entry ${key}`);
        if (lease.serial !== key) throw LeasesErrors.BAD_LEASE(`entry ${key}`, `a lease in it is for ${lease.serial}`);
        leases.push(lease);
      } catch (err) {
        problems.push(problemOf(err, serial));
      }
    }
    if (leases.length) entries.push({ serial, leases });
    else if (!problems.some((p) => p.serial === serial)) {
      problems.push(problemOf(LeasesErrors.BAD_LEASE(`entry ${key}`, 'it holds no lease'), serial));
    }
  }
  return { form: 'json', entries, problems };
}

function problemOf(err: unknown, serial: string | null): BundleProblem {
  const { code, message } = err as { code?: unknown; message?: unknown };
  return {
    serial,
    code: typeof code === 'string' ? code : LeasesErrors.BAD_LEASE.code,
    reason: typeof message === 'string' ? message : String(err),
  };
}

/** The second word of a broken line, when it looks like a serial: enough to say whose lease was lost. */
function serialGuess(line: string): string | null {
  const word = line.trim().split(/\s+/)[1];
  return isSerial(word) ? word : null;
}
