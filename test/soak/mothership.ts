/**
 * The deployment's central server: a second sugar-server on loopback whose
 * leases, activity bundles and blacklists the school mirrors through its
 * feeds. At midday its data changes (new leases, a stolen laptop, a new
 * activity version, more blocked domains) and the school has to follow.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { create } from 'tar';
import type { Laptop } from 'sugaroid';
import { generateLists, type GeneratedLists } from '../fixtures/blacklists/generate.js';
import { buildXo } from '../fixtures/xo-builder.js';
import { DaemonProcess } from '../harness/index.js';
import type { Deployment } from './deployment.js';

/** One activity version on the Mothership. */
export interface ActivityRelease {
  readonly id: string;
  readonly name: string;
  readonly version: string;
}

/** What the morning's library holds. */
export const MORNING_ACTIVITIES: readonly ActivityRelease[] = [
  { id: 'org.laptop.AbiWordActivity', name: 'Write', version: '3' },
  { id: 'org.laptop.Oficina', name: 'Paint', version: '2' },
  { id: 'org.laptop.TurtleArtActivity', name: 'TurtleArt', version: '5' },
  { id: 'org.sugarlabs.MusicKeyboard', name: 'Music', version: '2' },
];
/** What the midday update adds. */
export const MIDDAY_ACTIVITY: ActivityRelease = { id: 'org.laptop.Oficina', name: 'Paint', version: '3' };

/** The categories the school blocks; the lists grow by a quarter at midday. */
const MORNING_LISTS = { adult: { domains: 2000, urls: 200, expressions: true }, malware: { domains: 300, urls: 30 } };
const MIDDAY_LISTS = { adult: { domains: 2500, urls: 200, expressions: true }, malware: { domains: 300, urls: 30 } };
const LISTS_SEED = 5;

export class Mothership {
  private constructor(
    readonly daemon: DaemonProcess,
    private readonly token: string,
    private readonly workdir: string,
    /** The lists it publishes in the morning, and after midday. */
    readonly morningLists: GeneratedLists,
    readonly middayLists: GeneratedLists,
  ) {}

  /** Start it with the morning's data: leases for `leased`, the activities, the lists. */
  static async start(workdir: string, deployment: Deployment, leased: readonly Laptop[]): Promise<Mothership> {
    const morningLists = await generateLists(join(workdir, 'lists-morning'), { seed: LISTS_SEED, categories: MORNING_LISTS });
    const middayLists = await generateLists(join(workdir, 'lists-midday'), { seed: LISTS_SEED, categories: MIDDAY_LISTS });
    const publicKey = join(workdir, 'deployment-public.pem');
    await deployment.writePublicKey(publicKey);
    const daemon = await DaemonProcess.start({
      config: [
        '[plugins]', 'leases = on', 'activities = on', 'blacklists = on',
        '[leases]', 'port = 0', 'address = 127.0.0.1', `public_key = ${publicKey}`,
        '[blacklists]', `source = ${morningLists.root}`, 'categories = adult, malware',
      ].join('\n'),
    });
    const token = (await readFile(join(daemon.root, 'etc/sugar-server/admin.token'), 'utf8')).trim();
    const mothership = new Mothership(daemon, token, workdir, morningLists, middayLists);
    try {
      await mothership.importLeases(deployment.bundle(leased));
      for (const release of MORNING_ACTIVITIES) await mothership.publishActivity(release);
    } catch (err) {
      await daemon.dispose();
      throw err;
    }
    return mothership;
  }

  /** The feed URL the school's `upstream` names for `service`. */
  feed(service: 'leases' | 'activities' | 'blacklists'): string {
    return `${this.daemon.url}/feeds/v1/${service}/`;
  }

  /** Midday: a bundle of new leases (signed beforehand), `stolen` reported, a new Paint, longer lists. */
  async middayUpdate(leases: string, stolen: readonly Laptop[]): Promise<void> {
    await this.importLeases(leases);
    for (const laptop of stolen) await this.expect(`/leases/v1/stolen/${laptop.serial}`, { method: 'PUT' }, 201);
    await this.publishActivity(MIDDAY_ACTIVITY);
    const archive = join(this.workdir, 'lists-midday.tar.gz');
    await create({ gzip: true, file: archive, cwd: join(this.middayLists.root, '..') }, ['blacklists']);
    await this.expect('/blacklists/v1/lists?wait=1', { method: 'POST', body: await readFile(archive) }, 200);
  }

  dispose(): Promise<void> {
    return this.daemon.dispose();
  }

  private async importLeases(bundle: string): Promise<void> {
    const report = (await this.expect('/leases/v1/bundles', { method: 'POST', body: bundle }, 200)) as { refused: unknown[] };
    if (report.refused.length) throw new Error(`the Mothership refused leases: ${JSON.stringify(report.refused.slice(0, 3))}`);
  }

  private async publishActivity(release: ActivityRelease): Promise<void> {
    // A few tens of kilobytes, so downloads and Range reads move real bytes.
    const xo = await buildXo({ id: release.id, name: release.name, version: release.version, padding: 40_000, summary: `${release.name} for the soak` });
    await this.expect('/activities/v1/bundles', { method: 'POST', headers: { 'Content-Type': 'application/vnd.olpc-sugar' }, body: xo }, 201);
  }

  private async expect(path: string, init: RequestInit, status: number): Promise<unknown> {
    const response = await this.daemon.fetch(path, {
      ...init,
      headers: { ...(init.headers as Record<string, string>), Authorization: `Bearer ${this.token}` },
      signal: AbortSignal.timeout(120_000),
    });
    const text = await response.text();
    if (response.status !== status) throw new Error(`the Mothership answered ${response.status} to ${init.method ?? 'GET'} ${path}: ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  }
}
