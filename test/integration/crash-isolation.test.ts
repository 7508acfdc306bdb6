/**
 * A stray throw from a plugin's own asynchronous work fails that plugin only:
 * the others keep serving, and it starts again after a back-off.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../harness/index.js';

let daemons: DaemonProcess[] = [];
afterEach(async () => {
  for (const daemon of daemons) await daemon.dispose();
  daemons = [];
});

async function crasher(how: string, attribution = 'auto') {
  const daemon = await DaemonProcess.start({
    config: `[core]\nrestart_backoff = 1s\nasync_attribution = ${attribution}\n[plugins]\necho = on\ncrasher = on\n[crasher]\nhow = ${how}\nafter = 300ms\n`,
  });
  daemons.push(daemon);
  return daemon;
}

async function until<T>(daemon: DaemonProcess, read: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  // Bounded in time and count; generous, as a loaded 2-core machine can take seconds per start.
  for (let i = 0, deadline = Date.now() + 30_000; i < 600 && Date.now() < deadline; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; daemon logs: ${daemon.logs.slice(-3).map((l) => l.msg).join(' | ')}`);
}

describe.each(['timer', 'emitter', 'promise'])('a plugin that throws from %s work', (how) => {
  it('is marked failed and restarted after the back-off, while the others keep serving', async () => {
    const daemon = await crasher(how);
    const crashed = await until(daemon, async () => daemon.plugin(await daemon.status(), 'crasher')!, (p) => p.state === 'failed', 'the crash');
    expect(crashed.error).toMatchObject({ code: 'SERVER_ERR_PLUGIN_CRASHED', message: expect.stringMatching(/^crasher crashed \(.+\); the other services go on, and it starts again in 1 s$/) });
    expect(daemon.child.exitCode).toBeNull();
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'hello' });
    expect((await daemon.fetch('/crasher/v1/alive')).status).toBe(404);
    expect(daemon.logs.some((l) => l.msg.startsWith('crasher crashed') && l.plugin === 'crasher')).toBe(true);

    // It comes back, crashes again (it always does), and the next wait is twice as long.
    await until(daemon, async () => daemon.plugin(await daemon.status(), 'crasher')!, (p) => p.state === 'failed' && /again in 2 s/.test(p.error?.message ?? ''), 'the second crash');
    expect(daemon.logs.filter((l) => l.msg === 'crasher running')).toHaveLength(2);
    expect((await daemon.status()).server.state).toBe('running');
  });
});

describe('without async attribution ([core] async_attribution = off)', () => {
  it('still charges a throw from the plugin\'s own code to it by its stack, and says which way it attributes', async () => {
    const daemon = await crasher('timer', 'off');
    await until(daemon, async () => daemon.plugin(await daemon.status(), 'crasher')!, (p) => p.state === 'failed', 'the crash');
    expect(daemon.child.exitCode).toBeNull();
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'hello' });
    expect(daemon.logs.some((l) => l.asyncAttribution === false && l.mode === 'off')).toBe(true);
  });

  it('turns async attribution on by itself (auto) while a plugin from outside the distribution runs', async () => {
    const daemon = await crasher('emitter');
    expect(daemon.logs.some((l) => l.asyncAttribution === true && l.mode === 'auto' && (l.outsiders as string[]).includes('fixture-crasher'))).toBe(true);
  });
});
