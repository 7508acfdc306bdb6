import { constants, generateKeyPairSync, sign } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSugaroidError, SugaroidErrors } from '../errors.js';
import { acceptLease, activate, keyIdOf, readPublicKeyFile } from './activation.js';

const ME = { serial: 'SHC0A1B2C3D', uuid: '1273E0EC-AEF1-9FF6-45B2-FB706DC24B8D' };
const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
const other = generateKeyPairSync('rsa', { modulusLength: 1024 });

/** A lease line as bios-crypto's make-lease.sh writes it. */
function lease(serial: string, uuid: string, exp: string, key = privateKey, keyid = keyIdOf(publicKey)): string {
  const signature = sign('sha256', Buffer.from(`${serial}:${uuid}:K:${exp}`), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 8 });
  return `act01: ${serial} K ${exp} sig01: sha256 ${keyid} ${signature.toString('hex')}\n`;
}

const GOOD = lease(ME.serial, ME.uuid, '20300101T000000Z');
const received: string[] = [];
/** What the fake server answers per request; `hang` never answers. */
const answers: Record<string, string | 'hang'> = {
  [ME.serial]: GOOD,
  SHC00000002: 'STOLEN',
  SHC00000003: 'hang',
};

let server: Server;
let port: number;
let closedPort: number;
const open = new Set<Socket>();

beforeAll(async () => {
  server = createServer({ allowHalfOpen: true }, (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    let request = '';
    socket.on('data', (chunk) => (request += chunk.toString('latin1')));
    socket.on('end', () => {
      received.push(request);
      const answer = answers[request.replace(/^rtcreset (\S+) .*$/, '$1')] ?? '';
      if (answer !== 'hang') socket.end(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  const spare = createServer();
  await new Promise<void>((resolve) => spare.listen(0, '127.0.0.1', resolve));
  closedPort = (spare.address() as AddressInfo).port;
  await new Promise((resolve) => spare.close(resolve));
});
afterAll(async () => {
  for (const socket of open) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

async function failure(promise: Promise<unknown>) {
  const err = await promise.then(() => undefined, (e: unknown) => e);
  if (!isSugaroidError(err)) throw new Error(`expected a SugaroidError, got ${String(err)}`);
  return err;
}

describe('activate', () => {
  it('sends the bare serial with no newline, half-closes, and takes its lease', async () => {
    const result = await activate('127.0.0.1', port, ME, { publicKey });
    expect(result).toEqual({ outcome: 'lease', lease: GOOD, expires: '2030-01-01T00:00:00.000Z' });
    expect(received).toContain(ME.serial);
  });

  it('sends another request when asked (rtcreset)', async () => {
    const request = `rtcreset ${ME.serial} 20110512T003512Z 0000000135`;
    expect((await activate('127.0.0.1', port, ME, { request })).outcome).toBe('lease');
    expect(received).toContain(request);
  });

  it('reads STOLEN and an empty answer', async () => {
    expect(await activate('127.0.0.1', port, { serial: 'SHC00000002', uuid: ME.uuid })).toEqual({ outcome: 'stolen' });
    expect(await activate('127.0.0.1', port, { serial: 'SHC00000009', uuid: ME.uuid })).toEqual({ outcome: 'none' });
  });

  it('gives up after the timeout, and reports a refused connection', async () => {
    expect((await failure(activate('127.0.0.1', port, { serial: 'SHC00000003', uuid: ME.uuid }, { timeoutMs: 100 }))).code)
      .toBe(SugaroidErrors.TIMEOUT.code);
    const refused = await failure(activate('127.0.0.1', closedPort, ME));
    expect(refused.code).toBe(SugaroidErrors.UNREACHABLE.code);
    expect(refused.message).toContain('ECONNREFUSED');
  });
});

describe('acceptLease', () => {
  const NOW = Date.parse('2025-01-01T00:00:00Z');

  it('takes the first lease that matches this laptop', () => {
    const text = lease('SHC00000009', ME.uuid, '20300101T000000Z') + lease(ME.serial, ME.uuid, '20240101T000000Z') + GOOD;
    expect(acceptLease(text, ME, { publicKey, now: NOW }).lease).toBe(GOOD);
  });

  it('checks serial and expiry without a key', () => {
    expect(acceptLease(lease(ME.serial, 'any', '20300101T000000Z', other.privateKey), ME, { now: NOW }).expires).toBe('2030-01-01T00:00:00.000Z');
    expect(() => acceptLease(lease(ME.serial, ME.uuid, '20240101T000000Z'), ME, { now: NOW })).toThrow(/expired at 2024-01-01/);
    expect(() => acceptLease(lease('SHC00000009', ME.uuid, '20300101T000000Z'), ME, { now: NOW })).toThrow(/a lease is for SHC00000009/);
  });

  it('with the key, refuses a lease signed for another uuid or by another key', () => {
    for (const text of [
      lease(ME.serial, '00000000-0000-0000-0000-000000000000', '20300101T000000Z'),
      lease(ME.serial, ME.uuid, '20300101T000000Z', other.privateKey),
      lease(ME.serial, ME.uuid, '20300101T000000Z', other.privateKey, keyIdOf(other.publicKey)),
    ]) {
      expect(() => acceptLease(text, ME, { publicKey, now: NOW })).toThrow(expect.objectContaining({ code: 'SUGAROID_ERR_BAD_LEASE' }));
    }
  });

  it('says so when the answer holds no lease at all', () => {
    expect(() => acceptLease('hello\n', ME)).toThrow(/not an act01\/sig01 lease/);
  });
});

describe('readPublicKeyFile', () => {
  it('reads PEM and DER, as OLPC ships its .public files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sugaroid-key-'));
    try {
      const files = {
        'spki.pem': publicKey.export({ type: 'spki', format: 'pem' }),
        'pkcs1.pem': publicKey.export({ type: 'pkcs1', format: 'pem' }),
        'lease.public': publicKey.export({ type: 'pkcs1', format: 'der' }),
        'spki.der': publicKey.export({ type: 'spki', format: 'der' }),
      };
      for (const [name, data] of Object.entries(files)) {
        await writeFile(join(dir, name), data);
        expect(keyIdOf(await readPublicKeyFile(join(dir, name)))).toBe(keyIdOf(publicKey));
      }
      await writeFile(join(dir, 'junk'), 'junk');
      expect((await failure(readPublicKeyFile(join(dir, 'junk')))).code).toBe(SugaroidErrors.USAGE.code);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
