/**
 * The USB path shipped in etc/: a udev rule that starts a systemd template unit
 * for each USB disk, which mounts it read-only, has the daemon import
 * sugar-server-feeds/ from it, and unmounts. Read as systemd and udev read
 * them, checked with systemd-analyze, and the command it runs checked against
 * the CLI.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DAEMON_MAIN, DaemonProcess, REPO, runCommand, skipWithout } from '../harness/index.js';

const RULE = join(REPO, 'etc/udev/rules.d/90-sugar-server-feeds.rules');
const TEMPLATE = 'sugar-server-feeds-import@.service';
const MAIN_UNIT = join(REPO, 'etc/systemd/sugar-server.service');
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';

type Unit = Map<string, Map<string, string[]>>;

/** A unit file as systemd reads it: sections of keys, each key's values in order (ExecStart= may repeat). */
async function readUnit(file: string): Promise<Unit> {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const line of (await readFile(file, 'utf8')).split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = new Map();
      unit.set(header[1]!, section);
      continue;
    }
    const eq = line.indexOf('=');
    if (!section || eq < 0) throw new Error(`${file}: not a unit line: ${line}`);
    const key = line.slice(0, eq).trim();
    section.set(key, [...(section.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return unit;
}

const one = (unit: Unit, section: string, key: string) => {
  const values = unit.get(section)?.get(key) ?? [];
  expect(values, `${section}.${key}`).toHaveLength(1);
  return values[0]!;
};

/** The words of a command line, with systemd's `$$` for a literal `$` and its single quotes. */
function words(command: string): string[] {
  return [...command.replace(/^[-@:+!]+/, '').matchAll(/'([^']*)'|(\S+)/g)].map((m) => (m[1] ?? m[2]!).replaceAll('$$', '$'));
}

describe('the USB import unit and its udev rule', () => {
  it('the rule starts the shipped template for USB disks that carry a file system, named by the kernel name', async () => {
    const rules = (await readFile(RULE, 'utf8')).split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
    expect(rules).toHaveLength(1);
    const pairs = rules[0]!.split(/,\s*/).map((p) => /^([A-Z_]+(?:\{[A-Z_]+\})?)(==|\+=|=)"(.*)"$/.exec(p.trim())?.slice(1));
    expect(pairs.every(Boolean), rules[0]).toBe(true);
    expect(pairs).toEqual(expect.arrayContaining([
      ['ACTION', '==', 'add'],
      ['SUBSYSTEM', '==', 'block'],
      ['ENV{ID_BUS}', '==', 'usb'],
      ['ENV{ID_FS_USAGE}', '==', 'filesystem'],
      ['TAG', '+=', 'systemd'],
      ['ENV{SYSTEMD_WANTS}', '+=', 'sugar-server-feeds-import@%k.service'],
    ]));
    expect(existsSync(join(REPO, 'etc/systemd', TEMPLATE))).toBe(true);
  });

  it('mounts the disk read-only, imports from the mount with the installed CLI, and unmounts the same place', async () => {
    const unit = await readUnit(join(REPO, 'etc/systemd', TEMPLATE));
    const main = await readUnit(MAIN_UNIT);
    const cli = words(one(main, 'Service', 'ExecStart'))[0]!;
    expect(cli).toBe('/usr/bin/sugar-server');

    const mount = words(one(unit, 'Service', 'ExecStartPre'));
    expect(mount[0]).toBe('/usr/bin/systemd-mount');
    const options = mount.find((w) => w.startsWith('--options='))!.slice('--options='.length).split(',');
    expect(options).toEqual(expect.arrayContaining(['ro', 'nosuid', 'nodev', 'noexec']));
    const [device, place] = mount.slice(-2);
    expect(device).toBe('/dev/%I');
    expect(place).toBe('/run/sugar-server-feeds/%I');
    expect(one(unit, 'Service', 'RuntimeDirectory')).toBe('sugar-server-feeds');
    // Only the daemon's group may pass into the mount point: the daemon reads the disk as its own user.
    expect(one(unit, 'Service', 'RuntimeDirectoryMode')).toBe('0750');
    expect(one(unit, 'Service', 'Group')).toBe(one(main, 'Service', 'User'));

    // ExecStart: sh -c SCRIPT import PLACE, the script running the CLI on PLACE when it holds sugar-server-feeds/.
    const [shell, flag, script, name, argument] = words(one(unit, 'Service', 'ExecStart'));
    expect([shell, flag, name, argument]).toEqual(['/bin/sh', '-c', 'import', place]);
    expect(script).toContain(`if [ -d "$1/sugar-server-feeds" ]; then exec ${cli} feeds import "$1"; fi`);

    expect(words(one(unit, 'Service', 'ExecStopPost'))).toEqual(['/usr/bin/systemd-umount', place]);
    expect(one(unit, 'Service', 'ExecStopPost')).toMatch(/^-/);
    expect(one(unit, 'Service', 'Type')).toBe('oneshot');
    expect(one(unit, 'Unit', 'Requisite')).toBe('sugar-server.service');
    expect(one(unit, 'Unit', 'BindsTo')).toBe('dev-%i.device');
  });

  it('is hardened at least as the main unit is', async () => {
    const unit = await readUnit(join(REPO, 'etc/systemd', TEMPLATE));
    const main = await readUnit(MAIN_UNIT);
    for (const key of ['NoNewPrivileges', 'ProtectSystem', 'PrivateTmp']) {
      expect(one(unit, 'Service', key), key).toBe(one(main, 'Service', key));
    }
  });

  it('its command imports a disk written by feeds export, and leaves a disk without sugar-server-feeds/ alone', async () => {
    const script = words(one(await readUnit(join(REPO, 'etc/systemd', TEMPLATE)), 'Service', 'ExecStart'))[2]!;
    const mothership = await DaemonProcess.start({ config: '[plugins]\nfeeder = on\n' });
    const school = await DaemonProcess.start({ config: '[plugins]\nfeeder = on\n[feeder]\nupstream = usb\n' });
    const work = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    try {
      const token = (await readFile(join(mothership.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
      const put = await mothership.fetch('/feeder/v1/notes/a.txt', { method: 'PUT', body: 'from the disk', headers: { Authorization: `Bearer ${token}` } });
      expect(put.status).toBe(204);
      const disk = join(work, 'disk');
      await mkdir(disk);
      expect((await mothership.cli('feeds', 'export', disk, '--from', mothership.url)).code).toBe(0);

      // The installed CLI, for this school's root.
      const cli = join(work, 'sugar-server');
      await writeFile(cli, `#!/bin/sh\nexec '${process.execPath}' '${DAEMON_MAIN}' "$@" --root '${school.root}'\n`, { mode: 0o755 });
      const run = (place: string) => runCommand('/bin/sh', ['-c', script.replaceAll('/usr/bin/sugar-server', cli), 'import', place]);

      const imported = await run(disk);
      expect(imported.stderr).toBe('');
      expect(imported.code).toBe(0);
      expect(imported.stdout).toContain('notes: applied');
      expect((await school.json('/feeder/v1/applied')).applied).toEqual({ 'a.txt': 'from the disk' });

      const other = join(work, 'photos');
      await mkdir(other);
      const left = await run(other);
      expect(left.code).toBe(0);
      expect(left.stdout).toBe(`${other}: no sugar-server-feeds/ on this disk, nothing to import\n`);
    } finally {
      await mothership.dispose();
      await school.dispose();
      await rm(work, { recursive: true, force: true });
    }
  });

  it.skipIf(skipWithout(existsSync(SYSTEMD_ANALYZE)))('passes systemd-analyze verify as an instance for a disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sugar-server-test-'));
    try {
      // Beside the main unit, which it requires.
      await copyFile(join(REPO, 'etc/systemd', TEMPLATE), join(dir, TEMPLATE));
      await copyFile(MAIN_UNIT, join(dir, 'sugar-server.service'));
      await symlink(TEMPLATE, join(dir, 'sugar-server-feeds-import@sdb1.service'));
      const run = await runCommand(SYSTEMD_ANALYZE, ['verify', '--man=no', join(dir, 'sugar-server-feeds-import@sdb1.service')]);
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
