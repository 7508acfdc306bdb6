import { fork } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OwnedPort } from './listeners.js';

let dir: string;
/** A process that answers each socket handed to it with a line, and exits when told. */
let script: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'owned-port-'));
  script = join(dir, 'holder.mjs');
  await writeFile(script, "process.on('message', (m, socket) => (m === 'exit' ? process.exit(0) : socket.end('held here\\n')));\n");
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const log = pino({ level: 'silent' });

/** Connect, and read what the connection answers until it closes. */
function answerOf(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    connect(port, '127.0.0.1').on('data', (chunk) => (text += chunk)).on('close', () => resolve(text)).on('error', reject);
  });
}

describe('a TCP port that hands its sockets to another process', () => {
  it('passes each socket unread, and closes (its port free again) after that process has exited', async () => {
    const holder = fork(script, [], { stdio: 'ignore' });
    const port = OwnedPort.tcp('handed', log, (socket: Socket) => holder.send('connection', socket), undefined, { pauseOnConnect: true });
    const bound = await port.listen(0, '127.0.0.1');
    expect(await answerOf(bound.port)).toBe('held here\n');
    holder.send('exit');
    await new Promise((resolve) => holder.once('exit', resolve));
    await port.close(60_000);
    const again = OwnedPort.tcp('again', log, (socket: Socket) => socket.end('again\n'));
    await again.listen(bound.port, '127.0.0.1');
    expect(await answerOf(bound.port)).toBe('again\n');
    await again.close(0);
  }, 20_000);
});
