/**
 * Where the numbers of a zip archive sit (APPNOTE.TXT 4.3), so that property
 * suites can mutate the fields readers trust (counts, sizes, offsets, name
 * lengths) rather than only random bytes.
 */

/** One little-endian field: its offset in the archive and its width in bytes. */
export interface ZipField {
  readonly at: number;
  readonly width: 2 | 4;
  readonly what: string;
}

const EOCD = Buffer.from([0x50, 0x4b, 0x05, 0x06]);

/** The fields of the end record, every central directory record and every local header of a well-formed archive. */
export function zipFields(zip: Buffer): ZipField[] {
  const eocd = zip.lastIndexOf(EOCD);
  if (eocd < 0 || eocd + 22 > zip.length) return [];
  const fields: ZipField[] = [
    { at: eocd + 8, width: 2, what: 'entries on this disk' },
    { at: eocd + 10, width: 2, what: 'entries' },
    { at: eocd + 12, width: 4, what: 'central directory size' },
    { at: eocd + 16, width: 4, what: 'central directory offset' },
    { at: eocd + 20, width: 2, what: 'comment length' },
  ];
  const count = zip.readUInt16LE(eocd + 10);
  let record = zip.readUInt32LE(eocd + 16);
  for (let i = 0; i < count && record + 46 <= zip.length; i++) {
    fields.push(
      { at: record + 8, width: 2, what: 'flags' },
      { at: record + 10, width: 2, what: 'method' },
      { at: record + 16, width: 4, what: 'crc' },
      { at: record + 20, width: 4, what: 'compressed size' },
      { at: record + 24, width: 4, what: 'uncompressed size' },
      { at: record + 28, width: 2, what: 'name length' },
      { at: record + 30, width: 2, what: 'extra length' },
      { at: record + 38, width: 4, what: 'external attributes' },
      { at: record + 42, width: 4, what: 'local header offset' },
    );
    const local = zip.readUInt32LE(record + 42);
    if (local + 30 <= zip.length) {
      fields.push(
        { at: local + 6, width: 2, what: 'local flags' },
        { at: local + 8, width: 2, what: 'local method' },
        { at: local + 18, width: 4, what: 'local compressed size' },
        { at: local + 22, width: 4, what: 'local uncompressed size' },
        { at: local + 26, width: 2, what: 'local name length' },
        { at: local + 28, width: 2, what: 'local extra length' },
      );
    }
    record += 46 + zip.readUInt16LE(record + 28) + zip.readUInt16LE(record + 30) + zip.readUInt16LE(record + 32);
  }
  return fields;
}

/** How a field is changed: a set value, a step from the value it has, or another field's value (offsets that overlap). */
export type FieldEdit =
  | { readonly kind: 'set'; readonly field: number; readonly value: number }
  | { readonly kind: 'add'; readonly field: number; readonly delta: number }
  | { readonly kind: 'copy'; readonly field: number; readonly from: number };

/** `zip` with `edits` applied to its fields (field indexes are taken modulo the field count). */
export function editFields(zip: Buffer, edits: readonly FieldEdit[]): Buffer {
  const out = Buffer.from(zip);
  const fields = zipFields(zip);
  if (fields.length === 0) return out;
  const read = (f: ZipField) => (f.width === 2 ? out.readUInt16LE(f.at) : out.readUInt32LE(f.at));
  const write = (f: ZipField, value: number) => {
    const max = f.width === 2 ? 0xffff : 0xffffffff;
    const v = ((Math.trunc(value) % (max + 1)) + (max + 1)) % (max + 1);
    if (f.width === 2) out.writeUInt16LE(v, f.at);
    else out.writeUInt32LE(v, f.at);
  };
  for (const edit of edits) {
    const field = fields[edit.field % fields.length]!;
    if (edit.kind === 'set') write(field, edit.value);
    else if (edit.kind === 'add') write(field, read(field) + edit.delta);
    else {
      const from = fields[edit.from % fields.length]!;
      write(field, read(from));
    }
  }
  return out;
}
