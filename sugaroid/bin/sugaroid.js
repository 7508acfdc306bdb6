#!/usr/bin/env node
// The installed `sugaroid` command. npm links a bin only when its file exists
// at install time, and dist/ is built afterwards, so the bin is this file.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli.js', import.meta.url);
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  console.error(`sugaroid: needs Node.js 20.19 or newer; this is ${process.version}`);
  process.exit(1);
} else if (!existsSync(built)) {
  console.error(`sugaroid: not built yet (${built.pathname} is missing); run \`npm run build\` in the checkout`);
  process.exit(1);
} else {
  // dist/cli.js runs itself only when it is the process entry; here it is imported.
  const { main } = await import(built.href);
  process.exitCode = await main(process.argv.slice(2));
}
