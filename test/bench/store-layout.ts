/**
 * Stores laid out at deployment scale without going through a daemon: a
 * snapshot written directly, as a daemon would have left it, so a benchmark
 * can start a daemon that already holds half a million laptops or leases.
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';

export const FAR_FUTURE = '20991231T000000Z';

/** A lease line of the size bios-crypto writes (RSA-2048 signature), not checked against any key. */
export function leaseLine(serial: string): string {
  return `act01: ${serial} K ${FAR_FUTURE} sig01: sha256 ${'ab'.repeat(32)} ${'cd'.repeat(256)}\n`;
}

/** Write a store's snapshot as a daemon would, streaming `entries` into `{ <key>: { … } , …rest }`. */
export async function writeStore(root: string, service: string, key: string, count: number, entry: (i: number) => [string, unknown], rest: Record<string, unknown>) {
  const dir = join(root, 'var/lib/sugar-server/stores', service);
  await mkdir(dir, { recursive: true });
  const handle = await open(join(dir, 'snapshot.json'), 'w');
  await handle.write(`${JSON.stringify({ format: 'sugar-server-store/1', journal: 1 })}\n{${JSON.stringify(key)}:{`);
  let chunk: string[] = [];
  for (let i = 0; i < count; i++) {
    const [name, value] = entry(i);
    chunk.push(`${i ? ',' : ''}${JSON.stringify(name)}:${JSON.stringify(value)}`);
    if (chunk.length === 10_000) {
      await handle.write(chunk.join(''));
      chunk = [];
    }
  }
  await handle.write(`${chunk.join('')}}${Object.entries(rest).map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`).join('')}}`);
  await handle.close();
}

/** The leases plugin's store holding `count` leases, each for its own serial. */
export function writeLeaseStore(root: string, count: number, serialOf: (i: number) => string): Promise<void> {
  const now = new Date().toISOString();
  return writeStore(root, 'leases', 'leases', count, (i) => {
    const serial = serialOf(i);
    return [serial, { text: leaseLine(serial), expires: [FAR_FUTURE], importedAt: now, source: 'upload', checked: 'off' }];
  }, { stolen: { local: {}, upstream: {} }, feedGenerated: null });
}
