/**
 * Reads `sugar-server.conf`, then `conf.d/*.conf` in name order; later files win.
 * Only reads and merges: meaning is given by the schemas in `schema.ts` and the
 * plugin selection.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { configFile, dropInDir, type Paths } from '../paths.js';
import { parseIni, where, type IniDocument } from './ini.js';

export interface RawConfig {
  /** Files read, in the order they apply. */
  readonly files: readonly string[];
  readonly doc: IniDocument;
  /** `file:line: message` for each syntax error. */
  readonly problems: readonly string[];
}

/** A drop-in to read as if it were in `conf.d/` (or absent, with `text: null`): how a candidate is checked before it is written. */
export interface DropInOverride {
  /** Its file name in `conf.d/`, e.g. `40-upstream.conf`. */
  readonly name: string;
  readonly text: string | null;
  /** What errors call it instead of its path, e.g. `config feed: district-7.conf`. */
  readonly label: string;
}

export async function readConfig(paths: Paths, override?: DropInOverride): Promise<RawConfig> {
  const files: string[] = [];
  const problems: string[] = [];
  const doc: IniDocument = new Map();

  const read = async (file: string, required: boolean) => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !required) return;
      problems.push(`${file}: cannot be read: ${(err as Error).message}`);
      return;
    }
    files.push(file);
    for (const error of parseIni(text, file, doc)) problems.push(`${where(error)}: ${error.message}`);
  };

  // A missing main file means "all defaults": a fresh install still starts.
  await read(configFile(paths), false);
  const names = await dropIns(dropInDir(paths), problems);
  if (override && !names.includes(override.name)) names.push(override.name);
  for (const name of names.sort(byteOrder)) {
    if (name !== override?.name) await read(join(dropInDir(paths), name), true);
    else if (override.text !== null) {
      files.push(override.label);
      for (const error of parseIni(override.text, override.label, doc)) problems.push(`${where(error)}: ${error.message}`);
    }
  }
  return { files, doc, problems };
}

async function dropIns(dir: string, problems: string[]): Promise<string[]> {
  try {
    const names = await readdir(dir);
    return names.filter((name) => name.endsWith('.conf') && !name.startsWith('.')).sort(byteOrder);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') problems.push(`${dir}: cannot be listed: ${(err as Error).message}`);
    return [];
  }
}

/** Byte order, like systemd and run-parts, so "10-a" < "9-b" is what an admin sees in `ls`. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
