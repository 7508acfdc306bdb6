import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { deadline } from './deadline.js';

/** Busy the process, as a swarm of laptops in one process does. */
function hold(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe('a deadline', () => {
  it('lets an answer that arrived while the client itself ran late win over the timer', async () => {
    // The server in a process of its own, so it answers while this one is busy.
    const server = spawn(process.execPath, ['-e', "const s=require('net').createServer((c)=>c.end('lease')).listen(0,'127.0.0.1',()=>console.log(s.address().port))"], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await once(server.stdout!, 'data')) as [Buffer];
    const port = Number(line.toString().trim());
    try {
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect({ port, host: '127.0.0.1' });
        let received = 0;
        const clock = deadline(20);
        // As the clients do: an answer that had begun by the deadline may finish.
        clock.signal.addEventListener('abort', () => {
          if (received === 0) resolve('timeout');
        });
        socket.on('data', (chunk: Buffer) => (received += chunk.length));
        socket.once('end', () => {
          clock.clear();
          resolve('answer');
        });
        // Connected and answered while this process was busy past its 20 ms.
        socket.once('connect', () => hold(80));
      });
      expect(outcome).toBe('answer');
    } finally {
      server.kill();
    }
  });

  it('still times out a server that does not answer', async () => {
    const clock = deadline(10);
    await new Promise((resolve) => clock.signal.addEventListener('abort', resolve));
    expect(clock.signal.reason).toMatchObject({ name: 'TimeoutError' });
  });
});
