/**
 * The blocked domains as DNS configuration, for schools that filter by DNS:
 * dnsmasq `address=` lines, unbound `local-zone:` lines, or an RPZ zone.
 *
 * The index holds hashes, not names, so the names are read again from the
 * lists the index was compiled from, and each is written only if the index
 * holds it for that category (so the export never disagrees with the index,
 * and a domain listed twice is written once). A domain whose parent is also
 * blocked is left out: the parent's zone covers it. Allow-list domains are
 * written as exceptions that resolve normally. Left out, because DNS cannot
 * express them: URL entries, expressions, IP addresses, and categories with
 * time windows (DNS answers are cached and carry no clock).
 */
import { isIPv6 } from 'node:net';
import { hashHost, hashHostBytes, suffixKeys, type HostHash } from '../index/domain-hash.js';
import type { BlacklistIndex } from '../index/blacklist-index.js';
import { BlacklistsErrors } from '../errors.js';
import type { CategoryMeta } from '../index/index-meta.js';
import { lineBatches } from './line-chunks.js';
import { DomainLineReader, LINE_ASCII, LINE_TEXT } from '../compile/list-lines.js';
import { ALLOW_ID, LOCAL_ID } from '../policy/policy.js';
import { readCategories } from '../compile/sources.js';

export const EXPORT_FORMATS = ['dnsmasq', 'unbound', 'rpz'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ExportOptions {
  readonly format: ExportFormat;
  /** Answer names of `page` categories with this address (the school server, showing the block page); NXDOMAIN otherwise. */
  readonly address?: string | undefined;
  /** The school's lists, as compiled. */
  readonly allowFile: string;
  readonly blockFile: string;
}

/** Check an export format name (BLACKLISTS_ERR_BAD_FORMAT otherwise). */
export function exportFormat(name: string): ExportFormat {
  if ((EXPORT_FORMATS as readonly string[]).includes(name)) return name as ExportFormat;
  throw BlacklistsErrors.BAD_FORMAT(name.slice(0, 40));
}

type Writer = (domain: string) => string;

interface FormatWriters {
  readonly header: (index: BlacklistIndex) => string;
  readonly allow: Writer;
  readonly block: Writer;
  readonly redirect: (address: string) => Writer;
  readonly comment: (text: string) => string;
}

const WRITERS: Readonly<Record<ExportFormat, FormatWriters>> = {
  dnsmasq: {
    header: () => '',
    allow: (d) => `server=/${d}/#\n`,
    block: (d) => `address=/${d}/\n`,
    redirect: (ip) => (d) => `address=/${d}/${ip}\n`,
    comment: (text) => `# ${text}\n`,
  },
  unbound: {
    header: () => 'server:\n',
    allow: (d) => `local-zone: "${d}." transparent\n`,
    block: (d) => `local-zone: "${d}." always_nxdomain\n`,
    redirect: (ip) => (d) => `local-zone: "${d}." redirect\nlocal-data: "${d}. ${isIPv6(ip) ? 'AAAA' : 'A'} ${ip}"\n`,
    comment: (text) => `# ${text}\n`,
  },
  rpz: {
    header: (index) => {
      const serial = Math.floor(Date.parse(index.meta.compiledAt) / 1000);
      return `$TTL 300\n@ IN SOA localhost. hostmaster.localhost. ${serial} 3600 600 86400 300\n@ IN NS localhost.\n`;
    },
    allow: (d) => `${d} CNAME rpz-passthru.\n*.${d} CNAME rpz-passthru.\n`,
    block: (d) => `${d} CNAME .\n*.${d} CNAME .\n`,
    redirect: (ip) => (d) => `${d} ${isIPv6(ip) ? 'AAAA' : 'A'} ${ip}\n*.${d} ${isIPv6(ip) ? 'AAAA' : 'A'} ${ip}\n`,
    comment: (text) => `; ${text}\n`,
  },
};

/** The export, as text chunks (a megabyte of lines at a time). */
export async function* exportDns(index: BlacklistIndex, options: ExportOptions): AsyncGenerator<string> {
  const writers = WRITERS[options.format];
  const written = new Uint8Array(Math.ceil(index.domainSlots / 8));
  const blockingIds = new Set(index.meta.categories.filter((c) => c.id !== ALLOW_ID && c.windows.length === 0).map((c) => c.id));
  const scan = new DomainScanner(index, blockingIds);

  yield `${writers.comment(`sugar-server blacklists, compiled ${index.meta.compiledAt}`)}${writers.header(index)}`;
  const files = await listFiles(index, options);
  for (const { category, file } of files) {
    const writer = category.id === ALLOW_ID ? writers.allow : options.address && category.action === 'page' ? writers.redirect(options.address) : writers.block;
    yield writers.comment(category.id === ALLOW_ID ? 'allowed by the school' : `category ${category.name} (${category.action})`);
    for await (const batch of lineBatches(file)) {
      let out = '';
      for (let i = 0; i < batch.starts.length; i++) {
        const domain = scan.take(batch.bytes, batch.starts[i]!, batch.ends[i]!, category.id, written);
        if (domain) out += writer(domain);
      }
      if (out) yield out;
    }
  }
}

/** The domain files to read, allow list first, then each category without time windows in precedence order. */
async function listFiles(index: BlacklistIndex, options: ExportOptions): Promise<{ category: CategoryMeta; file: string }[]> {
  const files: { category: CategoryMeta; file: string }[] = [];
  const root = index.meta.source?.path;
  const sources = root ? await readCategories(root).catch(() => new Map()) : new Map();
  for (const category of index.meta.categories) {
    if (category.windows.length > 0) continue;
    const file = category.id === ALLOW_ID ? options.allowFile : category.id === LOCAL_ID ? options.blockFile : sources.get(category.name)?.domains;
    if (file && category.domains > 0) files.push({ category, file });
  }
  return files;
}

/** Reads one list line and says whether (and as what) to write it. */
class DomainScanner {
  private readonly reader = new DomainLineReader();
  private readonly hash: HostHash = { hi: 0, lo: 0 };
  private readonly his = new Int32Array(128);
  private readonly los = new Int32Array(128);
  private readonly starts = new Int32Array(128);

  constructor(
    private readonly index: BlacklistIndex,
    private readonly blockingIds: ReadonlySet<number>,
  ) {}

  /** The lower-case domain of this line, if the index holds it for `category`, it was not written yet and no blocked parent covers it. */
  take(bytes: Buffer, start: number, end: number, category: number, written: Uint8Array): string | null {
    const kind = this.reader.read(bytes, start, end);
    let domain: string;
    if (kind === LINE_ASCII) {
      hashHostBytes(bytes, this.reader.start, this.reader.end, this.hash);
      domain = bytes.toString('latin1', this.reader.start, this.reader.end).toLowerCase();
    } else if (kind === LINE_TEXT) {
      domain = this.reader.host;
      hashHost(domain, this.hash);
    } else {
      return null;
    }
    if (/^[\d.]+$/.test(domain) || domain.startsWith('[')) return null;
    const slot = this.index.findDomain(this.hash.hi, this.hash.lo);
    if (slot < 0 || this.index.domainCategory(slot) !== category || written[slot >>> 3]! & (1 << (slot & 7))) return null;
    written[slot >>> 3]! |= 1 << (slot & 7);
    if (category !== ALLOW_ID && this.parentBlocked(domain)) return null;
    return domain;
  }

  private parentBlocked(domain: string): boolean {
    const count = suffixKeys(domain, this.his, this.los, this.starts);
    for (let k = 0; k < count - 1; k++) {
      const slot = this.index.findDomainKey(this.his[k]!, this.los[k]!);
      if (slot >= 0 && this.blockingIds.has(this.index.domainCategory(slot))) return true;
    }
    return false;
  }
}
