import { connect as connectTcp, createServer, type AddressInfo, type Server } from 'node:net';
import ssh2 from 'ssh2';
import type { LaptopRegistry, RegisteredLaptop } from 'sugar-server-registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredKeyVerdict } from './ssh-auth.js';
import { SshEndpoint, type EndpointLog } from './ssh-endpoint.js';
import { sshAlgorithms } from './ssh-algorithms.js';
import { ed25519 } from './ssh-keys.test-support.js';

const SN = 'SHC0123456A';

const laptopKey = ed25519();
const otherKey = ed25519();
/** A second laptop, for the per-laptop connection limit. */
const SN2 = 'SHC0000000B';
const secondKey = ed25519();
const logged: { fields: Record<string, unknown>; message: string }[] = [];
const record = (fields: Record<string, unknown>, message: string) => void logged.push({ fields, message });
const log: EndpointLog = { info: record, warn: record, error: record, debug: () => {} };
const registry: LaptopRegistry = {
  get: (serial) => {
    const key = serial === SN ? laptopKey : serial === SN2 ? secondKey : undefined;
    return key ? ({ serial, pubkey: key.public.split(' ')[1] } as RegisteredLaptop) : undefined;
  },
  list: () => [],
  count: () => 1,
};

let tcp: Server;
let port: number;
let endpoint: SshEndpoint;
const execs: { serial: string; command: string }[] = [];

beforeAll(async () => {
  endpoint = new SshEndpoint({
    hostKeys: [ed25519().private],
    algorithms: sshAlgorithms(true),
    loginTimeoutMs: 500,
    maxConnections: 8,
    log,
    keyVerdict: async (offer) => registeredKeyVerdict(registry, offer),
    async exec(serial, command, accept) {
      execs.push({ serial, command });
      const channel = accept();
      channel.write('ran\n');
      channel.exit(0);
      channel.end();
    },
  });
  tcp = createServer(endpoint.accept);
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  port = (tcp.address() as AddressInfo).port;
});
afterAll(async () => {
  endpoint.close();
  await new Promise((resolve) => tcp.close(resolve));
});

/** An ssh2 client logged in (or refused) as `username` with `privateKey`. */
function connect(username: string, privateKey: string): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve(client)).on('error', reject);
    client.connect({ host: '127.0.0.1', port, username, privateKey, readyTimeout: 5000 });
  });
}

/** Whether a callback-style request on the client succeeded. */
function outcome(start: (done: (err?: Error | null) => void) => void): Promise<'ok' | 'refused'> {
  return new Promise((resolve) => start((err) => resolve(err ? 'refused' : 'ok')));
}

describe('SshEndpoint', () => {
  it('lets the laptop in with its registered key, and runs its exec', async () => {
    const client = await connect(SN, laptopKey.private);
    const output = await new Promise<string>((resolve, reject) => {
      client.exec('rsync --server . datastore-current', (err, stream) => {
        if (err) return reject(err);
        let text = '';
        stream.on('data', (chunk: Buffer) => (text += chunk)).on('close', () => resolve(text));
      });
    });
    expect(output).toBe('ran\n');
    expect(execs).toContainEqual({ serial: SN, command: 'rsync --server . datastore-current' });
    client.end();
  });

  it('refuses another key, and users that are not registered serials', async () => {
    await expect(connect(SN, otherKey.private)).rejects.toThrow(/authentication methods failed/);
    await expect(connect('root', laptopKey.private)).rejects.toThrow(/authentication methods failed/);
    expect(logged).toContainEqual(expect.objectContaining({ message: 'SSH key refused', fields: expect.objectContaining({ reason: 'the key is not the one the laptop registered' }) }));
  });

  it('refuses shells, ptys, sftp, X11, environment variables and TCP forwarding both ways', async () => {
    const client = await connect(SN, laptopKey.private);
    expect(await outcome((done) => client.shell(false, (err) => done(err)))).toBe('refused');
    expect(await outcome((done) => client.sftp((err) => done(err)))).toBe('refused');
    expect(await outcome((done) => client.exec('x', { pty: true }, (err) => done(err)))).toBe('refused');
    expect(await outcome((done) => client.exec('x', { x11: true }, (err) => done(err)))).toBe('refused');
    expect(await outcome((done) => client.forwardOut('127.0.0.1', 1, '127.0.0.1', 22, (err) => done(err)))).toBe('refused');
    expect(await outcome((done) => client.forwardIn('127.0.0.1', 0, (err) => done(err)))).toBe('refused');
    // Environment variables are sent without asking for an answer: refused, and the exec goes on without them.
    await outcome((done) => client.exec('x', { env: { A: 'b' } }, (err, stream) => (err ? done(err) : stream.on('close', () => done()).resume())));
    client.end();
    const refusals = logged.filter((l) => l.fields.code === 'BACKUP_ERR_REQUEST_REFUSED').map((l) => l.message);
    for (const what of ['"pty"', '"shell"', '"sftp"', '"x11"', '"env"', 'TCP forwarding', 'the global request tcpip-forward']) {
      expect(refusals.some((message) => message.includes(what)), what).toBe(true);
    }
  });

  it('closes a connection that does not log in within login_timeout, even one that never says hello', async () => {
    const socket = connectTcp(port, '127.0.0.1').resume();
    await new Promise((resolve) => socket.on('close', resolve));
    expect(logged.some((l) => l.message.includes('did not log in within login_timeout'))).toBe(true);
  });

  it('closes a logged-in connection that runs nothing within login_timeout', async () => {
    const client = await connect(SN, laptopKey.private);
    await new Promise((resolve) => client.on('close', resolve));
    expect(logged.some((l) => l.message === 'SSH connection ran no transfer within login_timeout; closed')).toBe(true);
  });

  it('lets one laptop hold at most 4 connections', async () => {
    const held = await Promise.all(Array.from({ length: 3 }, () => connect(SN2, secondKey.private)));
    const fourth = await connect(SN2, secondKey.private);
    const fifth = await connect(SN2, secondKey.private);
    await new Promise((resolve) => fifth.on('close', resolve));
    expect(logged).toContainEqual(expect.objectContaining({ message: 'SSH connection refused: the laptop already holds the most connections allowed' }));
    for (const client of [...held, fourth]) client.end();
  });

  it('closes connections past max_connections at once', async () => {
    const sockets = Array.from({ length: 9 }, () => connectTcp(port, '127.0.0.1').resume());
    await new Promise((resolve) => sockets[8]!.on('close', resolve));
    expect(logged.some((l) => l.message === 'SSH connection refused: max_connections reached')).toBe(true);
    for (const socket of sockets) socket.destroy();
  });
});
