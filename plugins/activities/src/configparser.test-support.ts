/**
 * For the tests that compare our reading of activity.info with Sugar's: the
 * same files read by our parser and by Python's own configparser.
 */
import { spawnSync } from 'node:child_process';
import { getOption, IniError, parseIni, type IniDocument } from './python-ini.js';

/** Every section's options as `get` returns them, `'error'` where the file is refused, `'<error>'` where a value is. */
export function readAll(text: string): unknown {
  let doc: IniDocument;
  try {
    doc = parseIni(text);
  } catch (err) {
    if (err instanceof IniError) return 'error';
    throw err;
  }
  const out: Record<string, Record<string, string>> = {};
  for (const [name, options] of doc.sections) {
    out[name] = {};
    for (const key of new Set([...options.keys(), ...doc.defaults.keys()])) {
      try {
        out[name][key] = getOption(doc, name, key)!;
      } catch (err) {
        if (!(err instanceof IniError)) throw err;
        out[name][key] = '<error>';
      }
    }
  }
  return out;
}

const PYTHON_READER = `
import configparser, json, sys
out = []
for text in json.load(sys.stdin):
    cp = configparser.ConfigParser()
    try:
        cp.read_string(text)
    except configparser.Error:
        out.append('error'); continue
    doc = {}
    for name in cp.sections():
        doc[name] = {}
        for key in cp.options(name):
            try:
                doc[name][key] = cp.get(name, key)
            except configparser.Error:
                doc[name][key] = '<error>'
    out.append(doc)
print(json.dumps(out))
`;

export const hasPython = spawnSync('python3', ['--version']).status === 0;

/** Python's reading of each of `texts`, in the shape of {@link readAll}; `stderr` is what Python said. */
export function readWithPython(texts: readonly string[]): { readings: unknown[]; stderr: string } {
  const run = spawnSync('python3', ['-c', PYTHON_READER], { input: JSON.stringify(texts), encoding: 'utf8', maxBuffer: 1 << 28 });
  return { readings: run.stdout ? (JSON.parse(run.stdout) as unknown[]) : [], stderr: run.stderr };
}
