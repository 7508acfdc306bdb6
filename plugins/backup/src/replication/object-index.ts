/**
 * What this server knows to be in the bucket: for each stored content (by
 * object name), where its bytes are: an object of its own, or a blob in a
 * pack. So a file already sent is never sent again, even after a crash. An
 * append-only file, one content a line (`<name>` for an object,
 * `<name> <pack> <offset> <length>` for a blob), after a first line naming the
 * bucket it is for; each upload's lines are appended (and synced) once the
 * server has acknowledged it. When the file is missing or names another
 * bucket, it is rebuilt from the bucket (see index-rebuild.ts).
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Where a blob is: `length` stored bytes from `offset` in pack `pack`. */
export interface BlobLocation {
  readonly pack: string;
  readonly offset: number;
  readonly length: number;
}

/** One content the bucket holds: its object name and its blob, or null for an object of its own. */
export interface Stored {
  readonly name: string;
  readonly at: BlobLocation | null;
}

const HEX64 = /^[0-9a-f]{64}$/;

export class ObjectIndex {
  private constructor(
    private readonly file: string,
    private readonly known: Map<string, BlobLocation | null>,
    private handle: FileHandle,
  ) {}

  /** Open the index named `identity` (rebuilt from `rebuild`, what the bucket holds, when missing or for another bucket). */
  static async open(file: string, identity: string, rebuild: () => AsyncIterable<Stored>): Promise<{ index: ObjectIndex; rebuilt: boolean }> {
    await mkdir(dirname(file), { recursive: true, mode: 0o750 });
    const text = await readFile(file, 'utf8').catch(() => null);
    const lines = text?.split('\n') ?? [];
    if (text !== null && lines[0] === identity) {
      // The last element is empty after a final newline, or a torn line whose write was never acknowledged.
      const known = new Map<string, BlobLocation | null>();
      for (const line of lines.slice(1, -1)) {
        const stored = parseLine(line);
        if (stored) known.set(stored.name, stored.at);
      }
      if (!text.endsWith('\n')) await writeAll(file, identity, known);
      return { index: new ObjectIndex(file, known, await open(file, 'a')), rebuilt: false };
    }
    const known = new Map<string, BlobLocation | null>();
    for await (const stored of rebuild()) if (!known.has(stored.name)) known.set(stored.name, stored.at);
    await writeAll(file, identity, known);
    return { index: new ObjectIndex(file, known, await open(file, 'a')), rebuilt: true };
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  /** Where the content is: undefined when unknown, null for an object of its own. */
  get(name: string): BlobLocation | null | undefined {
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
      this.known.set(s.name, s.at);
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
  async remove(objects: Iterable<string>, packs: Iterable<string>, identity: string): Promise<void> {
    await this.tail.catch(() => {});
    for (const name of objects) if (this.known.get(name) === null) this.known.delete(name);
    const gone = new Set(packs);
    if (gone.size) for (const [name, at] of this.known) if (at && gone.has(at.pack)) this.known.delete(name);
    await this.handle.close();
    await writeAll(this.file, identity, this.known);
    this.handle = await open(this.file, 'a');
  }

  async close(): Promise<void> {
    await this.tail.catch(() => {});
    await this.handle.close();
  }
}

function formatLine({ name, at }: Stored): string {
  return at ? `${name} ${at.pack} ${at.offset} ${at.length}\n` : `${name}\n`;
}

function parseLine(line: string): Stored | null {
  const [name, pack, offset, length, ...rest] = line.split(' ');
  if (!name || !HEX64.test(name) || rest.length) return null;
  if (pack === undefined) return { name, at: null };
  const at = { pack, offset: Number(offset), length: Number(length) };
  return HEX64.test(pack) && Number.isSafeInteger(at.offset) && at.offset >= 0 && Number.isSafeInteger(at.length) && at.length >= 0 ? { name, at } : null;
}

/** Write the whole index anew: to a temporary file, synced, renamed over the old one. */
async function writeAll(file: string, identity: string, known: ReadonlyMap<string, BlobLocation | null>): Promise<void> {
  const temp = `${file}.new`;
  const fresh = await open(temp, 'w', 0o600);
  const lines: string[] = [];
  for (const [name, at] of known) lines.push(formatLine({ name, at }));
  await fresh.writeFile(`${identity}\n${lines.join('')}`);
  await fresh.sync();
  await fresh.close();
  await rename(temp, file);
}
