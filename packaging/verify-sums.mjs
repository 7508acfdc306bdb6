// Checks SHA256SUMS.sig against a public feed key with the server's own
// verifier, from the .deb this bundle carries: node verify-sums.mjs APP KEYS DIR
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const [app, keysFile, dir] = process.argv.slice(2);
const { findValidSignature, parsePublicKeys } = await import(join(app, 'core/dist/feeds/signing.js'));
const keys = parsePublicKeys(await readFile(keysFile, 'utf8'), keysFile);
const trusted = new Map(keys.map((key) => [key.id, key]));
const signer = findValidSignature(await readFile(join(dir, 'SHA256SUMS')), await readFile(join(dir, 'SHA256SUMS.sig')), trusted);
if (typeof signer === 'string') {
  console.error(`install.sh: SHA256SUMS is not signed by a key in ${keysFile}: ${signer}`);
  process.exit(1);
}
console.log(`SHA256SUMS signed by ${signer.comment || signer.id}`);
