/**
 * Tar archives written by hand, for the tests that make the archives an
 * attacker would (names, links and types no tar tool would write).
 */

/** One entry. `x` is a pax header whose body names the next entry's path. */
export interface TarEntry {
  readonly name: string;
  readonly type?: '0' | '1' | '2' | '3' | '5' | '6' | 'x';
  readonly body?: string;
  readonly link?: string;
}

/** A ustar archive (not compressed) of `entries`, ended by two zero blocks. */
export function tarOf(entries: readonly TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const type = entry.type ?? '0';
    const body = Buffer.from(type === 'x' ? paxRecord('path', entry.body ?? '') : (entry.body ?? ''));
    blocks.push(header(entry.name, type, body.length, entry.link ?? ''), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function header(name: string, type: string, size: number, link: string): Buffer {
  const block = Buffer.alloc(512);
  block.write(name, 0, 100, 'utf8');
  block.write('0000644\0', 100);
  block.write('0000000\0', 108);
  block.write('0000000\0', 116);
  block.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  block.write('00000000000\0', 136);
  block.write(type, 156);
  block.write(link, 157, 100, 'utf8');
  block.write('ustar\0', 257);
  block.write('00', 263);
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** A pax record `<len> key=value\n`, whose length counts itself. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(rest) + 1;
  while (String(length).length + Buffer.byteLength(rest) !== length) length++;
  return `${length}${rest}`;
}
