import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonProcess } from '../harness/index.js';

let daemon: DaemonProcess | undefined;
afterEach(async () => {
  await daemon?.dispose();
  daemon = undefined;
});

const dropIn = (d: DaemonProcess, name: string) => join(d.root, 'etc/sugar-server/conf.d', name);

describe('switching plugins on a running daemon', () => {
  it('disables and re-enables a plugin with the CLI, without a restart', async () => {
    daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\ncounter = on\n' });
    const pid = daemon.child.pid;
    expect((await daemon.fetch('/echo/v1/ping')).status).toBe(200);

    const off = await daemon.cli('plugins', 'disable', 'echo');
    expect(off.stderr).toBe('');
    expect(off.stdout).toContain('echo switched off: disabled');
    expect(off.code).toBe(0);
    expect((await daemon.fetch('/echo/v1/ping')).status).toBe(404);
    const status = await daemon.status();
    expect(daemon.plugin(status, 'echo')).toMatchObject({ state: 'disabled', enabled: false });
    expect(daemon.plugin(status, 'counter')!.state).toBe('running');
    expect(daemon.logs.some((l) => l.msg === 'echo stop called')).toBe(true);

    const on = await daemon.cli('plugins', 'enable', 'echo');
    expect(on.stdout).toContain('echo switched on: running');
    expect((await daemon.fetch('/echo/v1/ping')).status).toBe(200);
    expect(daemon.child.pid).toBe(pid);
    expect(daemon.child.exitCode).toBeNull();

    const list = await daemon.cli('plugins', 'list');
    expect(list.stdout).toMatch(/echo\s+fixture-echo\s+1\.2\.3\s+on\s+running/);
    expect(list.stdout).toMatch(/thrower\s+fixture-throws\s+0\.1\.0\s+off/);
  });

  it('refuses to enable a service that no installed plugin provides', async () => {
    daemon = await DaemonProcess.start();
    const result = await daemon.cli('plugins', 'enable', 'lighthouse');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no installed plugin provides "lighthouse"');
  });

  it('tells the admin when a later drop-in overrides the switch', async () => {
    daemon = await DaemonProcess.start({ dropIns: { '99-site.conf': '[plugins]\necho = off\n' } });
    const result = await daemon.cli('plugins', 'enable', 'echo');
    expect(result.code).toBe(78);
    expect(result.stderr).toContain(`${dropIn(daemon, '99-site.conf')}:2: [plugins] echo = off is read after conf.d/90-plugins.conf and wins`);
  });
});

describe('SIGHUP', () => {
  it('leaves the running set untouched when the new config is broken, and says why', async () => {
    daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\n' });
    await writeFile(dropIn(daemon, '50-broken.conf'), '[plugins]\necho = off\ncounter = maybe\n');
    const status = await daemon.reload();
    expect(status.server.config.generation).toBe(1);
    expect(status.server.config.lastError).toContain(`${dropIn(daemon, '50-broken.conf')}:3: [plugins] counter: expected on or off`);
    expect(daemon.plugin(status, 'echo')!.state).toBe('running');
    expect((await daemon.fetch('/echo/v1/ping')).status).toBe(200);
    expect(daemon.logs.some((l) => l.msg === 'echo stop called')).toBe(false);
  });

  it('restarts only the plugin whose section changed, and starts what was switched on', async () => {
    daemon = await DaemonProcess.start({ config: '[plugins]\necho = on\ncounter = on\n' });
    await writeFile(dropIn(daemon, '50-local.conf'), '[plugins]\ngreeter = on\n[providers]\ngreeter = fixture-greeter-a\n[echo]\ngreeting = reloaded\n');
    const status = await daemon.reload();
    expect(status.server.config).toMatchObject({ generation: 2, lastError: null });
    expect(await daemon.json('/echo/v1/ping')).toMatchObject({ greeting: 'reloaded' });
    expect(await daemon.json('/greeter/v1/who')).toEqual({ provider: 'fixture-greeter-a' });
    const stops = daemon.logs.filter((l) => / stopped$/.test(l.msg)).map((l) => l.plugin);
    expect(stops).toEqual(['echo']);
  });

  it('answers 503 for the paths of a plugin restarting because its section changed, then serves them again', async () => {
    daemon = await DaemonProcess.start({ config: '[core]\nstart_timeout = 20s\n[plugins]\nslow = on\n' });
    expect((await daemon.fetch('/slowpoke')).status).toBe(200);
    await writeFile(dropIn(daemon, '50-slow.conf'), '[slow]\nstart_delay = 3s\n');
    daemon.child.kill('SIGHUP');
    await daemon.waitForLog((line) => line.msg === 'slow stopped');

    const during = await daemon.fetch('/slowpoke');
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toBe('5');
    expect((await during.json()).error.code).toBe('SERVER_ERR_SERVICE_STARTING');

    await daemon.waitForLog((line) => line.msg === 'configuration reloaded');
    expect((await daemon.fetch('/slowpoke')).status).toBe(200);
  });

  it('retries a failed plugin on reload once its dependency is switched off', async () => {
    daemon = await DaemonProcess.start({ config: '[plugins]\nthrower = on\ndependant = on\n' });
    expect(daemon.plugin(await daemon.status(), 'dependant')!.state).toBe('blocked');
    await writeFile(dropIn(daemon, '50-local.conf'), '[plugins]\nthrower = off\n');
    const status = await daemon.reload();
    expect(daemon.plugin(status, 'thrower')!.state).toBe('disabled');
    expect(daemon.plugin(status, 'dependant')!.error!.message).toContain('which is switched off');
  });
});
