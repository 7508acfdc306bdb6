#!/usr/bin/env node
// prepack/postpack of every package: a packed tarball carries the licence, and
// the core's carries the shipped configuration (etc/ sits at the top of the
// checkout, outside any one package). `postpack` takes the copies away again.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const [action, ...extras] = process.argv.slice(2);
const top = new URL('..', import.meta.url).pathname;
const items = ['LICENSE', ...extras];
for (const item of items) {
  const target = join(process.cwd(), item);
  if (action === 'add') cpSync(join(top, item), target, { recursive: true });
  else if (action === 'remove') rmSync(target, { recursive: true, force: true });
  else throw new Error(`usage: pack-extras.mjs add|remove [extra …]`);
}
