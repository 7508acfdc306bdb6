/**
 * The answer to `GET /backup/1/available/<SN>` (PROTOCOLS.md section 2): 200
 * go, 403 for a serial that is not a registered laptop, 503 when busy. Busy
 * means what it meant on the old XS (load average, space or inodes of the
 * backup volume, laptops let in lately) plus this laptop's quota. Uploads over
 * SSH are held to the volume and quota checks too, since a client need not ask
 * first.
 */
import type { RecentClients } from './recent-clients.js';
import { isSerial } from 'sugar-server-registry';
import type { SystemProbe } from './volume.js';

export interface AvailabilityLimits {
  readonly maxLoad: number;
  /** Fractions, 0 to 1. */
  readonly maxDiskUse: number;
  readonly maxInodeUse: number;
  /** Bytes per laptop; 0 for none. */
  readonly quota: number;
}

export interface AvailabilityDeps {
  readonly limits: AvailabilityLimits;
  readonly probe: SystemProbe;
  /** The backup volume (the root of the laptops' folders). */
  readonly root: string;
  readonly recent: RecentClients;
  /** Whether the registry knows `serial`; null when the registry is not running. */
  isRegistered(serial: string): boolean | null;
  /** Bytes the laptop's folder holds, as last measured. */
  usage(serial: string): number;
  now(): number;
}

/** The status to answer and why (logged with every answer). */
export interface Verdict {
  readonly status: 200 | 403 | 503;
  readonly reason: string;
}

const percent = (fraction: number) => `${(fraction * 100).toFixed(1)} %`;

export class Availability {
  constructor(private readonly deps: AvailabilityDeps) {}

  async answer(serial: string): Promise<Verdict> {
    const { limits, probe } = this.deps;
    if (!isSerial(serial)) return { status: 403, reason: 'not a laptop serial' };
    const registered = this.deps.isRegistered(serial);
    if (registered === null) return { status: 503, reason: 'the registry is not running' };
    if (!registered) return { status: 403, reason: 'not registered' };
    const load = probe.loadAverage();
    if (load > limits.maxLoad) return { status: 503, reason: `load average ${load.toFixed(2)} is above ${limits.maxLoad}` };
    const refusal = await this.uploadRefusal(serial);
    if (refusal) return { status: 503, reason: refusal };
    const now = this.deps.now();
    if (!this.deps.recent.admit(serial, now)) {
      return { status: 503, reason: `${this.deps.recent.count(now)} laptops were told to go within the client window (max_clients)` };
    }
    return { status: 200, reason: 'go' };
  }

  /** Why an upload may not start now (volume nearly full, laptop over quota), or null. */
  async uploadRefusal(serial: string): Promise<string | null> {
    const { limits } = this.deps;
    const use = await this.deps.probe.volumeUse(this.deps.root);
    if (use.disk > limits.maxDiskUse) return `the backup volume is ${percent(use.disk)} full (max_disk_use ${percent(limits.maxDiskUse)})`;
    if (use.inodes !== null && use.inodes > limits.maxInodeUse) {
      return `the backup volume has used ${percent(use.inodes)} of its inodes (max_inode_use ${percent(limits.maxInodeUse)})`;
    }
    const usage = this.deps.usage(serial);
    if (limits.quota > 0 && usage >= limits.quota) return `the laptop holds ${usage} bytes, at or over its quota of ${limits.quota}`;
    return null;
  }
}
