import { generateKeyPairSync } from 'node:crypto';
import type { Logger, Store } from 'sugar-server';
import { describe, expect, it, vi } from 'vitest';
import { EMPTY_REGISTRY, Registry, type RegistryDocument } from './registry.js';
import { answerCall } from './xmlrpc-endpoint.js';

/** A fresh ed25519 public key blob, as a laptop sends it. */
function ed25519Blob(): string {
  const x = Buffer.from(generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!, 'base64url');
  const field = (bytes: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, bytes.length]), bytes]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(x)]).toString('base64');
}

function call(method: string, ...params: string[]): Buffer {
  const body = params.map((p) => `<param>\n<value><string>${p}</string></value>\n</param>\n`).join('');
  return Buffer.from(`<?xml version='1.0'?>\n<methodCall>\n<methodName>${method}</methodName>\n<params>\n${body}</params>\n</methodCall>\n`);
}

function setup(update?: Store<RegistryDocument>['update']) {
  const data = structuredClone(EMPTY_REGISTRY);
  const store: Store<RegistryDocument> = {
    data,
    update: update ?? ((change) => (change(data), Promise.resolve())),
    flush: () => Promise.resolve(),
  };
  const log = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
  const registry = new Registry(store, { backupHost: 'backup.school', jabberHost: 'jabber.school', allowRebind: false }, log as unknown as Logger, { now: Date.now });
  return { registry, log, answer: (body: Buffer) => answerCall(body, registry, log as unknown as Logger) };
}

const UUID = '9d2b4d44-1111-2222-3333-444455556666';
const member = (name: string, value: string) => `<member>\n<name>${name}</name>\n<value><string>${value}</string></value>\n</member>`;
const faultCode = (xml: string) => Number(/<name>faultCode<\/name>\n<value><int>(-?\d+)<\/int>/.exec(xml)?.[1]);

describe('answerCall', () => {
  it('answers a registration with success, backupurl and jabberserver', async () => {
    const { answer } = setup();
    const xml = await answer(call('register', 'SHC0123456A', 'Ana', UUID, ed25519Blob()));
    expect(xml).toContain(`${member('success', 'OK')}\n${member('backupurl', 'SHC0123456A@backup.school:backup')}\n${member('jabberserver', 'jabber.school')}`);
  });

  it('answers a refusal with success ERR and a reason', async () => {
    const { answer } = setup();
    const xml = await answer(call('register', 'SHC0123456A', 'Ana', UUID, 'AAAA'));
    expect(xml).toContain(member('success', 'ERR'));
    expect(xml).toContain('<name>error</name>\n<value><string>public key is not an SSH key blob (a field length is cut short)</string>');
  });

  it.each([
    ['an unknown method', call('unregister', 'SHC0123456A'), -32601, /unknown method "unregister"/],
    ['three params', call('register', 'SHC0123456A', 'Ana', UUID), -32602, /got 3 parameters/],
    ['five params', call('register', 'SHC0123456A', 'Ana', UUID, 'k', 'x'), -32602, /got 5 parameters/],
    ['an int param', Buffer.from(call('register', 'SHC0123456A', 'Ana', UUID, 'k').toString().replace('<string>Ana</string>', '<int>7</int>')), -32602, /nick \(parameter 2\) is of type int/],
    ['no params', Buffer.from('<methodCall><methodName>register</methodName></methodCall>'), -32602, /got 0 parameters/],
    ['malformed XML', Buffer.from('<methodCall><methodName>register</methodName>'), -32700, /not well-formed XML/],
    ['a DOCTYPE', Buffer.from('<!DOCTYPE a [<!ENTITY b "c">]><methodCall><methodName>register</methodName></methodCall>'), -32600, /document type declarations/],
    ['UTF-16', Buffer.from('<?xml version="1.0" encoding="UTF-16"?>'), -32701, /unsupported encoding/],
    ['bad UTF-8', Buffer.of(0x3c, 0xff, 0x3e), -32702, /not valid utf-8/],
  ])('answers %s with a fault', async (_name, body, code, message) => {
    const { answer, log } = setup();
    const xml = await answer(body);
    expect(xml).toMatch(/^<\?xml version='1.0'\?>\n<methodResponse>\n<fault>\n/);
    expect(faultCode(xml)).toBe(code);
    expect(xml).toMatch(message);
    expect(log.info).toHaveBeenCalledWith(expect.objectContaining({ faultCode: code }), expect.stringMatching(/^XML-RPC fault: /));
  });

  it.each([
    ['a huge element name', `<methodCall><methodName>register</methodName><params><param><value><${'A'.repeat(16_000)}/></value></param></params></methodCall>`],
    ['a huge unclosed tag', `<methodCall><methodName>register</methodName><${'A'.repeat(16_000)}>`],
  ])('quotes at most a short part of %s in the fault and the log', async (_name, body) => {
    const { answer, log } = setup();
    const xml = await answer(Buffer.from(body));
    const faultString = /<name>faultString<\/name>\n<value><string>([^<]*)<\/string>/.exec(xml)?.[1] ?? '';
    expect(faultString).toMatch(/… \(\d+ characters in all\)$/);
    expect(faultString.length).toBeLessThan(300);
    const [, message] = log.info.mock.calls[0] as [unknown, string];
    expect(message.length).toBeLessThan(320);
  });

  it('answers a failed write with an application fault that shows no internals', async () => {
    const { answer, log } = setup(() => Promise.reject(new Error('ENOSPC: /var/lib/secret')));
    const xml = await answer(call('register', 'SHC0123456A', 'Ana', UUID, ed25519Blob()));
    expect(faultCode(xml)).toBe(-32500);
    expect(xml).not.toContain('ENOSPC');
    expect(log.error).toHaveBeenCalledWith({ err: expect.any(Error) }, 'registration failed');
  });
});
