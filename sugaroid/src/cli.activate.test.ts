import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';

const LEASE = `act01: SHC0A1B2C3D K 20300101T000000Z sig01: sha256 ${'ab'.repeat(32)} ${'cd'.repeat(128)}\n`;

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (t) => void out.push(t), err: (t) => void err.push(t) });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer((socket) => {
    let request = '';
    socket.on('data', (chunk) => (request += chunk));
    socket.on('end', () => socket.end(request === 'SHC0A1B2C3D' ? LEASE : request === 'SHC00000002' ? 'STOLEN' : ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('sugaroid activate', () => {
  it('prints the lease a laptop gets', async () => {
    const { code, stdout } = await run('activate', '--server', `127.0.0.1:${port}`, '--serial', 'SHC0A1B2C3D');
    expect(code).toBe(0);
    expect(stdout).toBe(`SHC0A1B2C3D: lease until 2030-01-01T00:00:00.000Z\n${LEASE.trimEnd()}`);
  });

  it('prints STOLEN and no lease', async () => {
    expect((await run('activate', '--server', `127.0.0.1:${port}`, '--serial', 'SHC00000002')).stdout).toBe('SHC00000002: STOLEN (the laptop locks)');
    expect((await run('activate', '--server', `127.0.0.1:${port}`)).stdout).toMatch(/^[A-Z]{3}[0-9A-F]{8}: no lease \(the laptop tries the next server\)$/);
  });

  it('runs a swarm with --count and counts the answers', async () => {
    const { code, stdout } = await run('activate', '--server', `127.0.0.1:${port}`, '--serial', 'SHC0A1B2C3D', '--count', '20', '--concurrency', '5');
    expect(code).toBe(0);
    expect(stdout.split('\n')[0]).toBe(`20 laptops asking 127.0.0.1:${port} for leases, 5 at a time`);
    expect(stdout).toMatch(/^20 ok, 0 errors in /m);
    expect(stdout).toContain('answers: 20 lease, 0 stolen, 0 none');
  });

  it.each([
    [['activate'], /activate needs --server/],
    [['activate', '--server', '127.0.0.1:70000'], /port 70000 in --server is not from 1 to 65535/],
    [['activate', '--server', '127.0.0.1', '--concurrency', '2'], /--concurrency goes with --count/],
    [['activate', '--server', '127.0.0.1', '--serial', 'bad'], /serial "bad" is not an XO serial/],
    [['activate', '--server', '127.0.0.1', '--public-key', '/nonexistent/key.pem'], /cannot read public key/],
  ])('exits 2 for %j', async (argv, message) => {
    const { code, stderr } = await run(...argv);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
  });
});
