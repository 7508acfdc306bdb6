import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

const struct = (members: Record<string, string>) =>
  '<?xml version="1.0"?><methodResponse><params><param><value><struct>' +
  Object.entries(members).map(([k, v]) => `<member><name>${k}</name><value><string>${v}</string></value></member>`).join('') +
  '</struct></value></param></params></methodResponse>';

let server: Server;
let base: string;
const serials: string[] = [];
let inFlight = 0;
let maxInFlight = 0;

beforeAll(async () => {
  // Registers anything; refuses serials ending in 0 under /picky/.
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const serial = /<string>([A-Z]{3}[0-9A-F]{8})<\/string>/.exec(body)?.[1] ?? '';
      serials.push(serial);
      setTimeout(() => {
        inFlight--;
        if (req.url === '/registry/v1/register') {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ success: 'OK', backupurl: `${JSON.parse(body).serial}@s:backup`, jabberserver: 's' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end(req.url === '/picky/' && serial.endsWith('0')
          ? struct({ success: 'ERR', error: 'not this one' })
          : struct({ success: 'OK', backupurl: `${serial}@s:backup`, jabberserver: 's' }));
      }, 5);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

describe('sugaroid register', () => {
  it('registers one laptop by XML-RPC and prints the answer', async () => {
    const { code, stdout } = await run('register', '--server', base, '--serial', 'SHC0123456A');
    expect(code).toBe(0);
    expect(stdout).toBe('SHC0123456A: OK, backupurl SHC0123456A@s:backup, jabberserver s');
  });

  it('registers by JSON with --protocol json', async () => {
    const { code, stdout } = await run('register', '--server', base, '--protocol', 'json', '--serial', 'SHC0123456B');
    expect(code).toBe(0);
    expect(stdout).toBe('SHC0123456B: OK, backupurl SHC0123456B@s:backup, jabberserver s');
  });

  it('exits 1 with the reason when refused', async () => {
    const { code, stderr } = await run('register', '--server', `${base}/picky`, '--serial', 'SHC01234560');
    expect(code).toBe(1);
    expect(stderr).toBe('sugaroid: registration of SHC01234560 refused: ERR: not this one');
  });

  it('registers N fresh laptops with bounded concurrency and prints a summary', async () => {
    serials.length = 0;
    maxInFlight = 0;
    const { code, stdout } = await run('register', '--server', base, '--count', '40', '--concurrency', '8');
    expect(code).toBe(0);
    const [head, summary] = stdout.split('\n');
    expect(head).toBe(`40 laptops registering by xmlrpc with ${base}, 8 at a time`);
    expect(summary).toMatch(/^40 ok, 0 errors in \d+ ms; p50 [\d.]+ ms, p90 [\d.]+ ms, p99 [\d.]+ ms, max [\d.]+ ms$/);
    expect(new Set(serials).size).toBe(40);
    expect(maxInFlight).toBeLessThanOrEqual(8);
  });

  it('counts refusals as errors by code and exits 1', async () => {
    const { code, stdout } = await run('register', '--server', `${base}/picky`, '--count', '64');
    expect(code).toBe(1);
    expect(stdout).toMatch(/SUGAROID_ERR_REFUSED ×\d+: registration of [A-Z]{3}[0-9A-F]{7}0 refused: ERR: not this one/);
  });

  it.each([
    [['register'], /register needs --server URL/],
    [['register', '--server', 'http://h', '--protocol', 'soap'], /--protocol must be xmlrpc or json, not "soap"/],
    [['register', '--server', 'http://h', '--key-type', 'dss'], /--key-type must be one of/],
    [['register', '--server', 'http://h', '--count', '0'], /--count takes a whole number from 1/],
    [['register', '--server', 'http://h', '--count', '5', '--concurrency', 'x'], /--concurrency takes a whole number/],
    [['register', '--server', 'http://h', '--concurrency', '5'], /--concurrency goes with --count/],
    [['register', '--server', 'http://h', '--count', '5', '--serial', 'SHC0123456A'], /--serial names one laptop/],
    [['register', '--server', 'http://h', '--serial', 'bad'], /serial "bad" is not an XO serial/],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, stderr } = await run(...argv);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('is listed in the help', async () => {
    expect((await run('--help')).stdout).toMatch(/^ {2}register +register laptops with a server/m);
    expect((await run('register', '--help')).stdout).toMatch(/^Usage: sugaroid register --server URL/);
  });
});
