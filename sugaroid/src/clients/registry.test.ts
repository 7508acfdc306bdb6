import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdentity } from '../identity.js';
import { registerJson, registerXmlRpc } from './registry.js';

const struct = (members: Record<string, string>) =>
  "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n" +
  Object.entries(members).map(([k, v]) => `<member>\n<name>${k}</name>\n<value><string>${v}</string></value>\n</member>\n`).join('') +
  '</struct></value>\n</param>\n</params>\n</methodResponse>\n';

const fault = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n" +
  '<value><int>-32601</int></value>\n</member>\n<member>\n<name>faultString</name>\n<value><string>unknown method</string></value>\n' +
  '</member>\n</struct></value>\n</fault>\n</methodResponse>\n';

/** Canned answers by path: status, content type, body. */
const ANSWERS: Record<string, [number, string, string]> = {
  '/': [200, 'text/xml', struct({ success: 'OK', backupurl: 'SHC0123456A@schoolserver:backup', jabberserver: 'schoolserver' })],
  '/refuse/': [200, 'text/xml', struct({ success: 'ERR', error: 'bad key' })],
  '/fault/': [200, 'text/xml', fault],
  '/half/': [200, 'text/xml', struct({ success: 'OK', backupurl: 'x' })],
  '/html/': [200, 'text/html', '<html>It works!</html>'],
  '/down/': [503, 'text/plain', 'busy'],
  '/registry/v1/register': [200, 'application/json', JSON.stringify({ success: 'OK', backupurl: 'b', jabberserver: 'j' })],
  '/refuse/registry/v1/register': [400, 'application/json', JSON.stringify({ error: { code: 'REGISTRY_ERR_BAD_KEY', message: 'public key is empty' } })],
  '/off/registry/v1/register': [404, 'application/json', JSON.stringify({ error: { code: 'SERVER_ERR_NOT_FOUND', message: '/off not found' } })],
  '/array/registry/v1/register': [200, 'application/json', '[]'],
};

let server: Server;
let base: string;
const requests: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      if (req.url === '/slow/') return; // never answers
      const [status, type, text] = ANSWERS[req.url!] ?? [404, 'text/plain', 'no'];
      res.writeHead(status, { 'content-type': type });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const identity = createIdentity({ serial: 'SHC0123456A', uuid: '9d2b4d44-1111-2222-3333-444455556666', nick: 'Ana & Bo', keyType: 'ed25519' });

describe('registerXmlRpc', () => {
  it('posts what Sugar posts, to the path of the server URL, and reads the struct', async () => {
    requests.length = 0;
    const result = await registerXmlRpc(base, identity);
    expect(result).toEqual({ success: 'OK', backupurl: 'SHC0123456A@schoolserver:backup', jabberserver: 'schoolserver' });
    const [request] = requests;
    expect(request).toMatchObject({ method: 'POST', url: '/' });
    expect(request!.headers['content-type']).toBe('text/xml');
    expect(request!.body).toBe(
      "<?xml version='1.0'?>\n<methodCall>\n<methodName>register</methodName>\n<params>\n" +
        [identity.serial, 'Ana &amp; Bo', identity.uuid, identity.sshKey.publicBlob]
          .map((p) => `<param>\n<value><string>${p}</string></value>\n</param>\n`).join('') +
        '</params>\n</methodCall>\n',
    );
    expect(identity.sshKey.publicBlob).not.toMatch(/^ssh-/);
  });

  it('returns a refusal with its reason, and a fault with its code', async () => {
    expect(await registerXmlRpc(`${base}/refuse`, identity)).toEqual({ success: 'ERR', error: 'bad key' });
    expect(await registerXmlRpc(`${base}/fault/`, identity)).toEqual({ success: 'FAULT', error: 'unknown method', code: -32601 });
  });

  it.each([
    ['/half/', 'SUGAROID_ERR_BAD_ANSWER', /success without "backupurl" and "jabberserver"/],
    ['/html/', 'SUGAROID_ERR_BAD_ANSWER', /<html>, not <methodResponse>/],
    ['/down/', 'SUGAROID_ERR_HTTP', /server answered 503 to POST/],
  ])('throws for %s', async (path, code, message) => {
    await expect(registerXmlRpc(`${base}${path}`, identity)).rejects.toMatchObject({ code, message: expect.stringMatching(message) });
  });

  it('gives up after the timeout', async () => {
    await expect(registerXmlRpc(`${base}/slow/`, identity, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'SUGAROID_ERR_TIMEOUT' });
  });
});

describe('registerJson', () => {
  it('posts the identity as JSON and reads the answer', async () => {
    requests.length = 0;
    expect(await registerJson(base, identity)).toEqual({ success: 'OK', backupurl: 'b', jabberserver: 'j' });
    const [request] = requests;
    expect(request).toMatchObject({ method: 'POST', url: '/registry/v1/register' });
    expect(request!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request!.body)).toEqual({ serial: identity.serial, nick: identity.nick, uuid: identity.uuid, pubkey: identity.sshKey.publicBlob });
  });

  it('returns a registry refusal with its code', async () => {
    expect(await registerJson(`${base}/refuse`, identity)).toEqual({ success: 'ERR', error: 'public key is empty', code: 'REGISTRY_ERR_BAD_KEY' });
  });

  it('throws when the registry is not there or answers nonsense', async () => {
    await expect(registerJson(`${base}/off`, identity)).rejects.toMatchObject({ code: 'SUGAROID_ERR_HTTP', status: 404 });
    await expect(registerJson(`${base}/array`, identity)).rejects.toMatchObject({ code: 'SUGAROID_ERR_BAD_ANSWER' });
  });
});
