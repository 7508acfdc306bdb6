import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rm } from 'node:fs/promises';
import { BASE_CONFIG, DAEMON_MAIN, makeRoot, runCommand } from '../harness/index.js';

const roots: string[] = [];
afterEach(async () => {
  for (const root of roots.splice(0)) await rm(root, { recursive: true, force: true });
});

async function rootWith(config: string, dropIns?: Record<string, string>) {
  const root = await makeRoot({ config, ...(dropIns ? { dropIns } : {}) });
  roots.push(root);
  return { root, conf: join(root, 'etc/sugar-server/sugar-server.conf'), dropIn: (name: string) => join(root, 'etc/sugar-server/conf.d', name) };
}

const cli = (root: string, ...args: string[]) => runCommand(process.execPath, [DAEMON_MAIN, ...args, '--root', root]);

/** The line of sugar-server.conf where a test's own text starts: after the harness's base config and a blank line. */
const FIRST_LINE = BASE_CONFIG.split('\n').length + 1;

describe('a broken configuration stops check-config and start with file:line', () => {
  it('refuses "leases = maybe"', async () => {
    const { root, conf } = await rootWith('[plugins]\nleases = maybe\n');
    const check = await cli(root, 'check-config');
    expect(check.code).toBe(78);
    expect(check.stderr).toContain(`${conf}:${FIRST_LINE + 1}: [plugins] leases: expected on or off (also true/false, yes/no, 1/0), got "maybe"`);

    const start = await cli(root, 'start');
    expect(start.code).toBe(78);
    expect(start.stderr).toContain(`${conf}:${FIRST_LINE + 1}: [plugins] leases: expected on or off`);
  });

  it('refuses an unknown key in a core section and names the known ones', async () => {
    const { root, conf } = await rootWith('[log]\nlevel = info\nlevle = debug\n');
    const check = await cli(root, 'check-config');
    expect(check.code).toBe(78);
    expect(check.stderr).toContain(`${conf}:${FIRST_LINE + 2}: [log] levle: unknown key (known keys: level)`);
  });

  it('refuses an unknown key and a bad value in a plugin section, against the plugin\'s own schema', async () => {
    const { root, dropIn } = await rootWith('[plugins]\necho = on\n', { '50-local.conf': '[echo]\ngreeting = hi\nupload_limit = lots\ncolour = blue\n' });
    const check = await cli(root, 'check-config');
    expect(check.code).toBe(78);
    expect(check.stderr).toContain(`${dropIn('50-local.conf')}:3: [echo] upload_limit: expected a size such as 512, 64k, 1M or 2G, got "lots"`);
    expect(check.stderr).toContain(`${dropIn('50-local.conf')}:4: [echo] colour: unknown key (known keys: greeting, tcp_port, http_port, listeners, upload_limit)`);
  });

  it('refuses a section no installed plugin provides, and switching on a service nobody provides', async () => {
    const { root, conf } = await rootWith('[plugins]\nlighthouse = on\n[leasez]\nport = 191\n');
    const check = await cli(root, 'check-config');
    expect(check.code).toBe(78);
    expect(check.stderr).toContain(`${conf}:${FIRST_LINE + 1}: [plugins] lighthouse: no installed plugin provides service "lighthouse"`);
    expect(check.stderr).toContain(`${conf}:${FIRST_LINE + 2}: [leasez]: unknown section`);
  });

  it('reports a line that is not INI', async () => {
    const { root, conf } = await rootWith('[http]\nport 8080\n');
    const check = await cli(root, 'check-config');
    expect(check.code).toBe(78);
    expect(check.stderr).toContain(`${conf}:${FIRST_LINE + 1}: cannot read this line: expected "[section]" or "key = value", got "port 8080"`);
  });

  it('lets later drop-ins win, in name order', async () => {
    const { root } = await rootWith('[plugins]\necho = on\n', {
      '20-a.conf': '[echo]\ngreeting = from twenty\n',
      '10-b.conf': '[echo]\ngreeting = maybe not\nupload_limit = 2k\n',
    });
    const check = await cli(root, 'check-config');
    expect(check.stdout).toContain('configuration OK');
    expect(check.stdout).toMatch(/10-b\.conf.*20-a\.conf/);
    expect(check.stdout).toContain('services on: echo');
    expect(check.code).toBe(0);
  });

  it('refuses a timeout longer than a timer holds, and takes a 30-day feed interval the plugin allows', async () => {
    const { root, conf } = await rootWith('[core]\nstop_timeout = 30d\n');
    const check = await cli(root, 'check-config');
    expect(check.code).toBe(78);
    expect(check.stderr).toContain(`${conf}:${FIRST_LINE + 1}: [core] stop_timeout: must be at most 24d, got "30d"`);

    const feeds = await rootWith('[plugins]\nfeeder = on\n[feeder]\nupstream = http://127.0.0.1:9/feeds/v1/notes/\ninterval = 30d\n');
    const ok = await cli(feeds.root, 'check-config');
    expect(ok.stdout).toContain('services on: feeder');
    expect(ok.code).toBe(0);
  });

  it('takes the shipped services\' month-long durations (intervals, warnings, retention) and refuses a month-long I/O timeout', async () => {
    const services = '[plugins]\nregistry = on\nleases = on\nactivities = on\nbackup = on\nblacklists = on\n[registry]\nport = 0\n[leases]\nport = 0\n[backup]\nssh_port = 0\n';
    const months = '[leases]\nexpiry_warning = 30d\nupstream_interval = 30d\n[activities]\nupstream_interval = 30d\n[blacklists]\nupstream_interval = 30d\n[backup]\nkeep_all = 90d\nstale_after = 30d\n';
    const ok = await rootWith(services, { '50-months.conf': months });
    const check = await cli(ok.root, 'check-config');
    expect(check.stderr).toBe('');
    expect(check.code).toBe(0);

    const bad = await rootWith(services, { '50-io.conf': '[backup]\nio_timeout = 30d\n' });
    const refused = await cli(bad.root, 'check-config');
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain(`${join(bad.root, 'etc/sugar-server/conf.d/50-io.conf')}:2: [backup] io_timeout: must be at most 24d, got "30d"`);
  });

  it('refuses __proto__, constructor and prototype as keys, in plugin, core and [plugins] sections', async () => {
    const { root, dropIn } = await rootWith('[plugins]\necho = on\n', {
      '50-local.conf': '[echo]\n__proto__ = x\nconstructor = y\n[plugins]\n__proto__ = off\n',
    });
    const check = await cli(root, 'check-config');
    expect(check.code).toBe(78);
    const file = dropIn('50-local.conf');
    expect(check.stderr).toContain(`${file}:2: [echo] __proto__: unknown key`);
    expect(check.stderr).toContain(`${file}:3: [echo] constructor: unknown key`);
    expect(check.stderr).toContain(`${file}:5: [plugins] __proto__: not a service name`);

    const core = await rootWith('[http]\nprototype = z\n__proto__ = z\n');
    const refused = await cli(core.root, 'check-config');
    expect(refused.code).toBe(78);
    expect(refused.stderr).toContain(`${core.conf}:${FIRST_LINE + 1}: [http] prototype: unknown key`);
    expect(refused.stderr).toContain(`${core.conf}:${FIRST_LINE + 2}: [http] __proto__: unknown key`);
  });
});
