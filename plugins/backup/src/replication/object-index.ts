/**
 * What this server knows to be in the bucket: for each stored content (by
 * object name), where its bytes are: an object of its own, or a blob in a
 * pack, and whether it is stored compressed. So a file already sent is never
 * sent again, even after a crash. An append-only file, one content a line
 * (`<name>` for an object, `<name> <pack> <offset> <length>` for a blob, each
 * followed by ` br` when compressed), after a first line naming the
 * bucket it is for; each upload's lines are appended (and synced) once the
 * server has acknowledged it. When the file is missing or names another
 * bucket, it is rebuilt from the bucket (see index-rebuild.ts).
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ENCODINGS, type Encoding } from './encoding.js';

/** Where a blob is: `length` stored bytes from `offset` in pack `pack`. */
export interface BlobLocation {
  readonly pack: string;
  readonly offset: number;
  readonly length: number;
}

/** Where one content's bytes are: a blob, or null for an object of its own; `encoding` when stored compressed. */
export interface Placement {
  readonly at: BlobLocation | null;
  readonly encoding?: Encoding;
}

/** One content the bucket holds, by object name. */
export interface Stored extends Placement {
  readonly name: string;
}

/** An object of its own, as the sweep deletes it. */
export interface ObjectRef {
  readonly name: string;
  readonly encoding?: Encoding;
}

const HEX64 = /^[0-9a-f]{64}$/;

export class ObjectIndex {
  private constructor(
    private readonly file: string,
    private readonly known: Map<string, Placement>,
    private handle: FileHandle,
  ) {}

  /** Open the index named `identity` (rebuilt from `rebuild`, what the bucket holds, when missing or for another bucket). */
  static async open(file: string, identity: string, rebuild: () => AsyncIterable<Stored>): Promise<{ index: ObjectIndex; rebuilt: boolean }> {
    await mkdir(dirname(file), { recursive: true, mode: 0o750 });
    const text = await readFile(file, 'utf8').catch(() => null);
    const lines = text?.split('\n') ?? [];
    if (text !== null && lines[0] === identity) {
      // The last element is empty after a final newline, or a torn line whose write was never acknowledged.
      const known = new Map<string, Placement>();
      for (const line of lines.slice(1, -1)) {
        const stored = parseLine(line);
        if (stored) known.set(stored.name, placementOf(stored));
      }
      if (!text.endsWith('\n')) await writeAll(file, identity, known);
      return { index: new ObjectIndex(file, known, await open(file, 'a')), rebuilt: false };
    }
    const known = new Map<string, Placement>();
    for await (const stored of rebuild()) if (!known.has(stored.name)) known.set(stored.name, placementOf(stored));
    await writeAll(file, identity, known);
    return { index: new ObjectIndex(file, known, await open(file, 'a')), rebuilt: true };
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  /** Where the content is, or undefined when unknown. */
  get(name: string): Placement | undefined {
    return this.known.get(name);
  }

  get size(): number {
    return this.known.size;
  }

  /**
   * Remember acknowledged uploads; resolves once they are on disk. Lines added
   * while a write is under way go together in the next one: one sync for many
   * uploads, not one each.
   */
  add(...stored: Stored[]): Promise<void> {
    const fresh = stored.filter((s) => !this.known.has(s.name));
    if (fresh.length === 0) return this.tail;
    for (const s of fresh) {
      this.known.set(s.name, placementOf(s));
      this.pending.push(s);
    }
    if (!this.batch) {
      const batch = this.tail.catch(() => {}).then(() => {
        this.batch = null;
        const lines = this.pending;
        this.pending = [];
        return this.write(lines);
      });
      this.batch = batch;
      this.tail = batch;
    }
    return this.batch;
  }

  private pending: Stored[] = [];
  /** The write that lines added now will go in, while it has not started. */
  private batch: Promise<void> | null = null;
  /** The last write scheduled. */
  private tail: Promise<void> = Promise.resolve();

  private async write(stored: readonly Stored[]): Promise<void> {
    await this.handle.write(stored.map(formatLine).join(''));
    await this.handle.datasync();
  }

  /** Forget the objects and packs the sweep deleted (every blob in those packs): the file is written anew without them. */
  async remove(objects: Iterable<ObjectRef>, packs: Iterable<string>, identity: string): Promise<void> {
    await this.tail.catch(() => {});
    for (const { name, encoding } of objects) {
      const known = this.known.get(name);
      if (known && known.at === null && known.encoding === encoding) this.known.delete(name);
    }
    const gone = new Set(packs);
    if (gone.size) for (const [name, { at }] of this.known) if (at && gone.has(at.pack)) this.known.delete(name);
    await this.handle.close();
    await writeAll(this.file, identity, this.known);
    this.handle = await open(this.file, 'a');
  }

  async close(): Promise<void> {
    await this.tail.catch(() => {});
    await this.handle.close();
  }
}

function placementOf({ at, encoding }: Placement): Placement {
  return { at, encoding };
}

function formatLine({ name, at, encoding }: Stored): string {
  const where = at ? `${name} ${at.pack} ${at.offset} ${at.length}` : name;
  return encoding ? `${where} ${encoding}\n` : `${where}\n`;
}

function parseLine(line: string): Stored | null {
  const words = line.split(' ');
  const encoding = words.length === 2 || words.length === 5 ? words.pop()! : undefined;
  if (encoding !== undefined && !ENCODINGS.has(encoding)) return null;
  const placed = (at: BlobLocation | null): Stored => ({ name: name!, at, encoding: encoding as Encoding | undefined });
  const [name, pack, offset, length, ...rest] = words;
  if (!name || !HEX64.test(name) || rest.length) return null;
  if (pack === undefined) return placed(null);
  const at = { pack, offset: Number(offset), length: Number(length) };
  return HEX64.test(pack) && Number.isSafeInteger(at.offset) && at.offset >= 0 && Number.isSafeInteger(at.length) && at.length >= 0 ? placed(at) : null;
}

/** Write the whole index anew: to a temporary file, synced, renamed over the old one. */
async function writeAll(file: string, identity: string, known: ReadonlyMap<string, Placement>): Promise<void> {
  const temp = `${file}.new`;
  const fresh = await open(temp, 'w', 0o600);
  const lines: string[] = [];
  for (const [name, placement] of known) lines.push(formatLine({ name, ...placement }));
  await fresh.writeFile(`${identity}\n${lines.join('')}`);
  await fresh.sync();
  await fresh.close();
  await rename(temp, file);
}
