/**
 * `sugaroid fleet-swarm` against a real Mothership: its simulated schools
 * enrol with invites made through the admin API (or a file of them), pass the
 * Mothership's report checks, and show up in its reports.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonProcess, runCommand, SUGAROID_MAIN } from '../harness/index.js';

let mothership: DaemonProcess;
let token: string;

beforeAll(async () => {
  mothership = await DaemonProcess.start({ config: '[plugins]\nfeeder = on\n' });
  token = (await readFile(join(mothership.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
  for (const note of ['a', 'b', 'c']) {
    await mothership.fetch(`/feeder/v1/notes/${note}.txt`, { method: 'PUT', body: note, headers: { Authorization: `Bearer ${token}` } });
    await mothership.fetch('/feeds/v1/notes/manifest.json');
  }
});
afterAll(async () => {
  await mothership.dispose();
});

describe('sugaroid fleet-swarm', () => {
  it('enrols N schools through the admin API and checks them in with reports the Mothership takes', async () => {
    const run = await runCommand(process.execPath, [SUGAROID_MAIN, 'fleet-swarm', '--schools', '40', '--server', mothership.url, `--admin-token=${token}`, '--rounds', '2', '--json']);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    const figures = JSON.parse(run.stdout) as { enrolment: { ok: number }; feeds: { name: string; version: number }[]; checkins: { ok: number; errors: number } };
    expect(figures.enrolment.ok).toBe(40);
    expect(figures.feeds).toEqual([expect.objectContaining({ name: 'notes', version: 3 })]);
    expect(figures.checkins).toMatchObject({ ok: 80, errors: 0 });

    const propagation = await mothership.json<{ schools: { total: number; never: number }; feeds: { name: string; schools: number; current: number; behind: unknown[] }[] }>(
      '/fleet/v1/propagation',
      { headers: { Authorization: `Bearer ${token}` } },
    );
    expect(propagation.schools).toMatchObject({ total: 40, never: 0 });
    const notes = propagation.feeds.find((f) => f.name === 'notes')!;
    expect(notes.schools).toBe(40);
    // Varied: most hold the latest, and the rest are listed as behind.
    expect(notes.current).toBeGreaterThan(20);
    expect(notes.current + notes.behind.length).toBe(40);
  });

  it('takes its tokens from a file of invites', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 3; i++) {
      const invite = await mothership.cli('fleet', 'invite', `from-file-${i}`);
      tokens.push(invite.stdout.split('\n')[1]!.trim());
    }
    const file = join(mothership.root, 'invites.txt');
    await writeFile(file, `${tokens.join('\n')}\n`);
    const run = await runCommand(process.execPath, [SUGAROID_MAIN, 'fleet-swarm', '--schools', '3', '--server', mothership.url, '--invites', file]);
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout).toContain('3 check-ins ok, 0 errors');
    const listed = await mothership.cli('fleet', 'schools');
    for (let i = 0; i < 3; i++) expect(listed.stdout).toContain(`from-file-${i}`);
    // A school forgotten is gone from the reports, and its credential no longer checks in.
    const rows = JSON.parse((await mothership.cli('fleet', 'schools', '--json')).stdout) as { serverId: string; name: string }[];
    const gone = rows.find((r) => r.name === 'from-file-0')!;
    const forget = await mothership.cli('fleet', 'forget', gone.serverId);
    expect(forget.code, forget.stderr).toBe(0);
    expect((await mothership.cli('fleet', 'schools')).stdout).not.toContain('from-file-0');
    const twice = await mothership.cli('fleet', 'forget', gone.serverId);
    expect([twice.code, twice.stderr.trim()]).toEqual([1, `sugar-server: school ${gone.serverId} not found`]);
    // Used once: the same file enrols nobody a second time.
    const again = await runCommand(process.execPath, [SUGAROID_MAIN, 'fleet-swarm', '--schools', '3', '--server', mothership.url, '--invites', file]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('SERVER_ERR_FLEET_BAD_INVITE');
  });
});
