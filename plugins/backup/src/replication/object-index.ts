/**
 * What this server knows to be in the bucket: the names of objects whose upload
 * the server acknowledged, so a file already sent is never sent again, even
 * after a crash. An append-only file of names, one a line, after a first line
 * naming the bucket it is for; each upload's name is appended (and synced)
 * once the server has acknowledged it. When the file is missing or names
 * another bucket, it is rebuilt from a listing of `objects/`.
 */
import { mkdir, open, readFile, rename, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { objectNameOf } from './layout.js';

export class ObjectIndex {
  private constructor(
    private readonly file: string,
    private readonly known: Set<string>,
    private handle: FileHandle,
  ) {}

  /** Open the index named `identity` (rebuilt from `listing`, the keys under `objects/`, when missing or for another bucket). */
  static async open(file: string, identity: string, listing: () => AsyncIterable<{ key: string }>): Promise<{ index: ObjectIndex; rebuilt: boolean }> {
    await mkdir(dirname(file), { recursive: true, mode: 0o750 });
    const text = await readFile(file, 'utf8').catch(() => null);
    const lines = text?.split('\n') ?? [];
    if (text !== null && lines[0] === identity) {
      // The last element is empty after a final newline, or a torn line whose write was never acknowledged.
      const known = new Set(lines.slice(1, -1).filter((line) => /^[0-9a-f]{64}$/.test(line)));
      if (!text.endsWith('\n')) await writeAll(file, identity, known);
      return { index: new ObjectIndex(file, known, await open(file, 'a')), rebuilt: false };
    }
    const known = new Set<string>();
    for await (const item of listing()) {
      const name = objectNameOf(item.key);
      if (name) known.add(name);
    }
    await writeAll(file, identity, known);
    return { index: new ObjectIndex(file, known, await open(file, 'a')), rebuilt: true };
  }

  has(name: string): boolean {
    return this.known.has(name);
  }

  get size(): number {
    return this.known.size;
  }

  /**
   * Remember an acknowledged upload; resolves once it is on disk. Names added
   * while a write is under way go together in the next one: one sync for many
   * uploads, not one each.
   */
  add(name: string): Promise<void> {
    if (this.known.has(name)) return this.tail;
    this.known.add(name);
    this.pending.push(name);
    if (!this.batch) {
      const batch = this.tail.catch(() => {}).then(() => {
        this.batch = null;
        const names = this.pending;
        this.pending = [];
        return this.write(names);
      });
      this.batch = batch;
      this.tail = batch;
    }
    return this.batch;
  }

  private pending: string[] = [];
  /** The write that names added now will go in, while it has not started. */
  private batch: Promise<void> | null = null;
  /** The last write scheduled. */
  private tail: Promise<void> = Promise.resolve();

  private async write(names: readonly string[]): Promise<void> {
    await this.handle.write(names.map((name) => `${name}\n`).join(''));
    await this.handle.datasync();
  }

  /** Forget objects the sweep deleted: the file is written anew without them. */
  async remove(names: Iterable<string>, identity: string): Promise<void> {
    await this.tail.catch(() => {});
    for (const name of names) this.known.delete(name);
    await this.handle.close();
    await writeAll(this.file, identity, this.known);
    this.handle = await open(this.file, 'a');
  }

  async close(): Promise<void> {
    await this.tail.catch(() => {});
    await this.handle.close();
  }
}

/** Write the whole index anew: to a temporary file, synced, renamed over the old one. */
async function writeAll(file: string, identity: string, known: ReadonlySet<string>): Promise<void> {
  const temp = `${file}.new`;
  const fresh = await open(temp, 'w', 0o600);
  await fresh.writeFile(`${identity}\n${[...known].map((name) => `${name}\n`).join('')}`);
  await fresh.sync();
  await fresh.close();
  await rename(temp, file);
}
