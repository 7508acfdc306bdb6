/**
 * Finding a sugar-server over mDNS/DNS-SD (`_sugar-server._tcp`, TXT `version`
 * and `services`). Old laptops find the server by the host name `schoolserver`
 * instead; this is for sugaroid, admins and newer clients.
 */
import type { EventEmitter } from 'node:events';
import { Bonjour } from 'bonjour-service';
import { SugaroidErrors } from './errors.js';

/** A server that answered the browse. */
export interface DiscoveredServer {
  /** Instance name, e.g. `schoolserver`. */
  readonly name: string;
  /** Host name from the SRV record, e.g. `schoolserver.local`. */
  readonly host: string;
  readonly addresses: readonly string[];
  readonly port: number;
  /** `http://<first IPv4 address, else host>:<port>`; with no address records, the answer's IPv4 source stands in. */
  readonly url: string;
  /** TXT `version`; null when the server did not say. */
  readonly version: string | null;
  /** TXT `services`: the plugins it runs. */
  readonly services: readonly string[];
}

/** How long and for what to browse. */
export interface DiscoverOptions {
  /** How long to listen for answers; 3000 ms unless given. */
  timeoutMs?: number;
  /** DNS-SD service type without `_` and `._tcp`; `sugar-server` unless given. */
  type?: string;
  /** Stop at the first server found instead of waiting out the timeout. */
  firstOnly?: boolean;
  /** Throw `SUGAROID_ERR_NO_SERVER` rather than return an empty list. */
  required?: boolean;
}

/** What browsing hands back for one service; the fields of bonjour-service's `Service` that are used. */
export interface FoundService {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly addresses?: readonly string[] | undefined;
  readonly txt?: unknown;
  /** Where the answer came from (the UDP sender). */
  readonly referer?: { readonly address: string } | undefined;
}

/** One browse on an mDNS socket. Tests hand {@link browse} a fake, so no multicast leaves the machine. */
export interface MdnsSession {
  /** Services seen so far that have not said goodbye. */
  services(): readonly FoundService[];
  onUp(listener: () => void): void;
  onError(listener: (err: Error) => void): void;
  /** Ask again: a single query can be lost on a busy LAN. */
  query(): void;
  /** Stop browsing and close the socket. */
  close(): Promise<void>;
}

/** Opens an {@link MdnsSession} browsing for one service type. */
export type OpenMdns = (type: string) => MdnsSession;

const FIRST_REQUERY_MS = 1000;
const CLOSE_LIMIT_MS = 1000;

/** Browse for sugar-servers over mDNS until the timeout (or the first one, with `firstOnly`). */
export function discover(options: DiscoverOptions = {}): Promise<DiscoveredServer[]> {
  return browse(openBonjour, options);
}

/** {@link discover} over a given mDNS session opener. */
export function browse(open: OpenMdns, options: DiscoverOptions = {}): Promise<DiscoveredServer[]> {
  const { timeoutMs = 3000, type = 'sugar-server', firstOnly = false, required = false } = options;
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return Promise.reject(new RangeError(`timeoutMs must be a number >= 0, not ${timeoutMs}`));

  return new Promise((resolve, reject) => {
    let session: MdnsSession;
    try {
      session = open(type);
    } catch (err) {
      reject(SugaroidErrors.DISCOVERY(messageOf(err)));
      return;
    }
    let settled = false;
    let requery: NodeJS.Timeout | undefined;

    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(requery);
      const servers = error ? [] : toServers(session.services());
      void closeWithin(session, CLOSE_LIMIT_MS).then(() => {
        if (error) reject(error);
        else if (servers.length === 0 && required) reject(SugaroidErrors.NO_SERVER(type, timeoutMs));
        else resolve(firstOnly ? servers.slice(0, 1) : servers);
      });
    };

    const deadline = setTimeout(() => finish(), timeoutMs);
    // Re-ask with doubling gaps, as mDNS browsers do (RFC 6762 section 5.2).
    const scheduleRequery = (gap: number) => {
      requery = setTimeout(() => {
        session.query();
        scheduleRequery(gap * 2);
      }, gap);
    };
    scheduleRequery(FIRST_REQUERY_MS);

    session.onError((err) => finish(SugaroidErrors.DISCOVERY(err.message)));
    session.onUp(() => {
      if (firstOnly && toServers(session.services()).length > 0) finish();
    });
  });
}

/** Turn browse results into servers, dropping any without a usable port. */
export function toServers(found: readonly FoundService[]): DiscoveredServer[] {
  const servers: DiscoveredServer[] = [];
  for (const service of found) {
    if (!Number.isInteger(service.port) || service.port <= 0 || !service.host) continue;
    const addresses = [...(service.addresses ?? [])];
    // A responder with no A record for its host (only loopback up, say) still
    // answered from an address, which is a better guess than an unresolvable name.
    const source = service.referer?.address;
    const ipv4 = addresses.find(isIpv4) ?? (addresses.length === 0 && isIpv4(source) ? source : undefined);
    const txt = (typeof service.txt === 'object' && service.txt !== null ? service.txt : {}) as Record<string, unknown>;
    servers.push({
      name: service.name,
      host: service.host,
      addresses,
      port: service.port,
      url: `http://${ipv4 ?? service.host}:${service.port}`,
      version: txtString(txt.version),
      services: (txtString(txt.services) ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    });
  }
  return servers;
}

function isIpv4(value: string | undefined): value is string {
  return value !== undefined && /^\d{1,3}(\.\d{1,3}){3}$/.test(value);
}

function txtString(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return null;
}

function openBonjour(type: string): MdnsSession {
  let listener: ((err: Error) => void) | undefined;
  let pending: Error | undefined;
  const report = (err: Error) => {
    if (listener) listener(err);
    else pending ??= err;
  };
  const bonjour = new Bonjour({}, report);
  // multicast-dns emits 'error' (EACCES, EADDRINUSE on bind) on an emitter that
  // bonjour-service does not listen to, which would crash the process.
  (bonjour as unknown as { server?: { mdns?: EventEmitter } }).server?.mdns?.on('error', report);
  const browser = bonjour.find({ type, protocol: 'tcp' });
  return {
    services: () => browser.services,
    onUp: (l) => void browser.on('up', () => l()),
    onError: (l) => {
      listener = l;
      if (pending) l(pending);
    },
    query: () => browser.update(),
    close: () =>
      new Promise<void>((resolve) => {
        browser.stop();
        bonjour.destroy(() => resolve());
      }),
  };
}

async function closeWithin(session: MdnsSession, limitMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, limitMs);
  });
  try {
    await Promise.race([session.close().catch(() => undefined), limit]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
