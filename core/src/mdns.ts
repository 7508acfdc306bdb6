/**
 * Announces `_sugar-server._tcp` with a TXT record naming the running services,
 * for sugaroid, admins and newer clients. Old laptops find the server by the host
 * name `schoolserver` instead; this is an addition, not their way in.
 */
import type { EventEmitter } from 'node:events';
import { Bonjour, type Service } from 'bonjour-service';
import type { Logger } from './log.js';

export const MDNS_TYPE = 'sugar-server';

export interface Announcement {
  readonly name: string;
  readonly port: number;
  readonly version: string;
  readonly services: readonly string[];
}

export class Announcer {
  private bonjour: Bonjour | undefined;
  private published: Service | undefined;
  private last = '';

  constructor(private readonly log: Logger) {}

  /** Publish, or re-publish when what is announced changed. */
  announce(announcement: Announcement): void {
    const key = JSON.stringify(announcement);
    if (key === this.last && this.published) return;
    this.withdrawService();
    this.bonjour ??= this.open();
    this.published = this.bonjour.publish({
      name: announcement.name,
      type: MDNS_TYPE,
      port: announcement.port,
      txt: { version: announcement.version, services: announcement.services.join(',') },
    });
    this.published.on('error', (err: Error) => this.log.warn({ err }, 'mDNS announcement failed'));
    this.last = key;
    this.log.info({ name: announcement.name, services: announcement.services }, 'announced over mDNS');
  }

  private open(): Bonjour {
    const report = (err: Error) => this.log.warn({ err }, 'mDNS error; announcement may be missing');
    const bonjour = new Bonjour({}, report);
    // multicast-dns emits 'error' (EACCES, EADDRINUSE on port 5353) on an emitter
    // bonjour-service does not listen to; unheard, it would end the process.
    (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns?.on('error', report);
    return bonjour;
  }

  async close(): Promise<void> {
    if (!this.bonjour) return;
    const bonjour = this.bonjour;
    this.bonjour = undefined;
    this.published = undefined;
    // Send goodbye packets, then close the socket; bounded in case the network is gone.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      bonjour.unpublishAll(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    await new Promise<void>((resolve) => bonjour.destroy(() => resolve()));
  }

  private withdrawService(): void {
    const service = this.published;
    this.published = undefined;
    this.last = '';
    if (service?.stop) service.stop();
  }
}
