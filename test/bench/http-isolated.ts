/**
 * What running a plugin in its own process costs a request: the same plugin
 * route (the echo fixture's GET /echo/v1/ping, served from its store) through
 * a daemon running it in-process and through one running it isolated, side by
 * side, each also against raw node:http sending the same bytes. Servers and
 * the isolated plugin's process are pinned to the same CPU.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess } from '../harness/index.js';
import { startReference } from './http-status.js';
import { compare } from './load.js';

const SERVER_CPU = '1';
const ROUNDS = 7;
const PATH = '/echo/v1/ping';

export async function benchHttpIsolated(): Promise<string> {
  const inProcess = await DaemonProcess.start({ cpus: SERVER_CPU, config: '[plugins]\necho = on\n' });
  const isolated = await DaemonProcess.start({ cpus: SERVER_CPU, config: '[core]\nstart_timeout = 30s\n[plugins]\necho = on\n[providers]\nisolate = echo\n' });
  const body = await (await inProcess.fetch(PATH)).text();
  const bodyFile = join(inProcess.root, 'ping.json');
  await writeFile(bodyFile, body);
  const raw = await startReference('raw-http-server.mjs', bodyFile);
  try {
    const options = { rounds: ROUNDS, seconds: 3, warmupSeconds: 3 };
    const ours = { url: `${isolated.url}${PATH}`, pid: isolated.child.pid! };
    const vsInProcess = await compare(ours, { url: `${inProcess.url}${PATH}`, pid: inProcess.child.pid! }, options);
    const isolatedVsRaw = await compare(ours, { url: `${raw.url}/`, pid: raw.child.pid! }, options);
    const inProcessVsRaw = await compare({ url: `${inProcess.url}${PATH}`, pid: inProcess.child.pid! }, { url: `${raw.url}/`, pid: raw.child.pid! }, options);
    const failures = vsInProcess.failures + isolatedVsRaw.failures + inProcessVsRaw.failures;
    if (failures) throw new Error(`${failures} failed requests during the benchmark`);
    return (
      `http-isolated: ratio ${vsInProcess.ratio.toFixed(2)} (isolated ${Math.round(vsInProcess.ours)} req/s, in-process ${Math.round(vsInProcess.baseline)} req/s) ` +
      `[GET ${PATH}, ${body.length} bytes of JSON; median of ${ROUNDS} rounds; against raw node:http: isolated ${isolatedVsRaw.ratio.toFixed(2)}, in-process ${inProcessVsRaw.ratio.toFixed(2)}]`
    );
  } finally {
    raw.child.kill();
    await isolated.dispose();
    await inProcess.dispose();
  }
}
