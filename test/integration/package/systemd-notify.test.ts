/**
 * What systemd hears from the daemon under Type=notify: READY=1 only once every
 * enabled plugin has started or failed, RELOADING=1 then READY=1 around SIGHUP,
 * STOPPING=1 on SIGTERM, WATCHDOG=1 while the event loop turns. The socket is
 * a real AF_UNIX datagram socket, as systemd's is.
 */
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, makeRoot, NotifySocket, skipWithout } from '../../harness/index.js';

const SYSTEMD_NOTIFY = '/usr/bin/systemd-notify';

describe.skipIf(skipWithout(existsSync(SYSTEMD_NOTIFY)))('the daemon under Type=notify', () => {
  let socket: NotifySocket;
  let daemon: DaemonProcess;

  beforeAll(async () => {
    socket = await NotifySocket.open();
    const root = await makeRoot({ config: '[core]\nstart_timeout = 10s\n[plugins]\nslow = on\nthrower = on\n[slow]\nstart_delay = 1500ms\n' });
    // 600 ms: a ping every 300 ms, so the test sees several.
    daemon = await DaemonProcess.startIn(root, { env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '600000' } });
  }, 30_000);

  afterAll(async () => {
    await daemon?.dispose();
    await socket?.close();
  });

  it('says READY=1 once, after the slow plugin started and the failing one failed', async () => {
    const ready = await socket.next((f) => f.READY === '1');
    const status = await daemon.status();
    expect(daemon.plugin(status, 'slow')?.state).toBe('running');
    expect(daemon.plugin(status, 'thrower')?.state).toBe('failed');
    // STATUS= is made when READY=1 is sent: every plugin running now was running then.
    const running = status.plugins.filter((p) => p.state === 'running').length;
    expect(ready.fields.STATUS).toBe(`ready at ${daemon.url}: ${running} plugin(s) running, failed: thrower`);
    expect(socket.notifications.filter((n) => n.fields.READY === '1')).toHaveLength(1);
  });

  it('pings the watchdog at half its interval', async () => {
    const first = socket.notifications.filter((n) => n.fields.WATCHDOG === '1').length;
    await socket.next((f) => f.WATCHDOG === '1', socket.notifications.length);
    await socket.next((f) => f.WATCHDOG === '1', socket.notifications.length);
    expect(socket.notifications.filter((n) => n.fields.WATCHDOG === '1').length).toBeGreaterThanOrEqual(first + 2);
  });

  it('says RELOADING=1 with the monotonic time, then READY=1, around a SIGHUP', async () => {
    const before = socket.notifications.length;
    const status = await daemon.reload();
    expect(status.server.config.lastError).toBeNull();
    const reloading = await socket.next((f) => f.RELOADING === '1', before);
    expect(reloading.fields.MONOTONIC_USEC).toMatch(/^\d+$/);
    const ready = await socket.next((f) => f.READY === '1', before);
    const order = socket.notifications.slice(before).filter((n) => n.fields.RELOADING || n.fields.READY);
    expect(order.map((n) => (n.fields.RELOADING ? 'RELOADING' : 'READY'))).toEqual(['RELOADING', 'READY']);
    expect(ready.at).toBeGreaterThanOrEqual(reloading.at);
  });

  it('says STOPPING=1 on SIGTERM, then exits 0', async () => {
    const before = socket.notifications.length;
    const code = await daemon.stop('SIGTERM');
    expect(code).toBe(0);
    const stopping = await socket.next((f) => f.STOPPING === '1', before, 2_000);
    const after = socket.notifications.slice(socket.notifications.indexOf(stopping) + 1);
    expect(after.filter((n) => n.fields.WATCHDOG || n.fields.READY)).toEqual([]);
  });
});
