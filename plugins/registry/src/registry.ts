/**
 * The laptops this school knows, kept in the plugin's store, and the rules for
 * joining it: a serial is registered to one machine uuid (unless the admin allows
 * rebinding), registering again refreshes the record, and a registration is
 * answered only once it is on disk. Each registration goes straight to
 * `store.update`, so a thousand laptops at once share a few flushes.
 */
import type { Clock, DocumentVersion, Logger, Store, SugarError } from 'sugar-server';
import { isSugarError } from 'sugar-server';
import { RegistryErrors } from './errors.js';
import { checkClassGroup, checkNick, checkSerial, checkUuid, sameUuid } from './laptop-fields.js';
import type { LaptopRegistry, RegisteredLaptop } from './service.js';
import { parsePublicKey } from './ssh-key.js';

/** The store document. */
export interface RegistryDocument {
  laptops: Record<string, RegisteredLaptop>;
}

export const EMPTY_REGISTRY: RegistryDocument = { laptops: {} };

/**
 * The version of this document's shape. A release that changes the shape
 * raises it and adds the migration from the version before to `migrate`
 * (README, Storage: versions and migrations).
 */
export const REGISTRY_DOCUMENT: DocumentVersion = { version: 1, migrate: {} };

/** What a laptop sends, straight off the wire (XML-RPC params or a JSON body). */
export interface RegistrationRequest {
  readonly serial: unknown;
  readonly nick: unknown;
  readonly uuid: unknown;
  readonly pubkey: unknown;
}

/** The answer Sugar expects; both hosts are always present, or the client crashes. */
export type RegistrationAnswer = {
  readonly success: 'OK';
  /** `SN@host:backup`; clients use the host part. */
  readonly backupurl: string;
  readonly jabberserver: string;
};

export interface RegistryOptions {
  readonly backupHost: string;
  readonly jabberHost: string;
  /** Let a known serial register from another machine uuid. */
  readonly allowRebind: boolean;
}

/** One page of laptops, ordered by serial. */
export interface LaptopPage {
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly laptops: readonly RegisteredLaptop[];
}

export type Protocol = 'xmlrpc' | 'json';

/** A laptop as the admin lists it (a row of a CSV import), straight from the file. */
export interface LaptopEntry {
  readonly serial: unknown;
  readonly uuid: unknown;
  readonly nick: unknown;
  readonly pubkey: unknown;
  readonly classGroup: unknown;
}

/** What storing an entry would do to the laptop it names. */
export type EntryOutcome = 'added' | 'updated' | 'unchanged';

export interface CheckedEntry {
  readonly record: RegisteredLaptop;
  readonly outcome: EntryOutcome;
}

interface Prepared {
  readonly record: RegisteredLaptop;
  readonly outcome: 'registered' | 'updated' | 'rebound';
  readonly previousUuid?: string;
}

export class Registry implements LaptopRegistry {
  /** Serials in order, rebuilt after a laptop is added or removed. */
  private ordered: string[] | undefined;

  constructor(
    private readonly store: Store<RegistryDocument>,
    private readonly options: RegistryOptions,
    private readonly log: Logger,
    private readonly clock: Clock,
  ) {}

  /** Check and record a registration; resolves once it is on disk, or throws a `REGISTRY_ERR_*` refusal. */
  async register(request: RegistrationRequest, protocol: Protocol): Promise<RegistrationAnswer> {
    let prepared: Prepared;
    try {
      prepared = this.prepare(request);
    } catch (err) {
      if (isSugarError(err)) this.logRefusal(request, protocol, err);
      throw err;
    }
    const { record, outcome, previousUuid } = prepared;
    // Nothing awaits between the checks in prepare() and this change, so no other registration can slip in between.
    await this.store.update((data) => {
      if (outcome === 'registered') this.ordered = undefined;
      data.laptops[record.serial] = record;
    });
    const fields = { serial: record.serial, protocol, outcome, keyType: record.keyType };
    if (outcome === 'rebound') this.log.warn({ ...fields, previousUuid, uuid: record.uuid }, 'laptop rebound to another uuid (allow_rebind is on)');
    else this.log.info(fields, `laptop ${outcome}`);
    return {
      success: 'OK',
      backupurl: `${record.serial}@${this.options.backupHost}:backup`,
      jabberserver: this.options.jabberHost,
    };
  }

  get(serial: string): RegisteredLaptop | undefined {
    const { laptops } = this.store.data;
    return Object.hasOwn(laptops, serial) ? laptops[serial] : undefined;
  }

  list(): readonly RegisteredLaptop[] {
    return this.serials().map((serial) => this.store.data.laptops[serial]!);
  }

  count(): number {
    return this.serials().length;
  }

  page(offset: number, limit: number): LaptopPage {
    const serials = this.serials();
    const laptops = serials.slice(offset, offset + limit).map((serial) => this.store.data.laptops[serial]!);
    return { total: serials.length, offset, limit, laptops };
  }

  /** Forget a laptop; resolves to false when it was not registered. */
  async remove(serial: string): Promise<boolean> {
    if (!this.get(serial)) return false;
    await this.store.update((data) => {
      this.ordered = undefined;
      delete data.laptops[serial];
    });
    this.log.info({ serial }, 'laptop removed');
    return true;
  }

  /** Put a laptop in a class (null: in none); throws REGISTRY_ERR_NOT_REGISTERED or _BAD_CLASS_GROUP. */
  async setClassGroup(serial: string, classGroup: unknown): Promise<RegisteredLaptop> {
    const group = checkClassGroup(classGroup);
    const known = this.get(serial);
    if (!known) throw RegistryErrors.NOT_REGISTERED(serial);
    const record = { ...known, classGroup: group };
    await this.store.update((data) => {
      data.laptops[serial] = record;
    });
    this.log.info({ serial, classGroup: group }, 'laptop class group set');
    return record;
  }

  /**
   * Check an admin's entry by the rules of registration (a known serial keeps
   * its uuid unless `allow_rebind` is on) and build the record it would store,
   * synchronously; throws the `REGISTRY_ERR_*` refusal. An added laptop counts
   * as registered now; a known one keeps its registration times.
   */
  checkEntry(entry: LaptopEntry): CheckedEntry {
    const serial = checkSerial(entry.serial);
    const uuid = checkUuid(entry.uuid);
    const nick = checkNick(entry.nick);
    const key = parsePublicKey(entry.pubkey);
    const classGroup = checkClassGroup(entry.classGroup);
    const known = this.get(serial);
    if (!known) {
      const now = new Date(this.clock.now()).toISOString();
      return { record: { serial, uuid, nick, pubkey: key.blob, keyType: key.type, classGroup, firstRegistered: now, lastRegistered: now }, outcome: 'added' };
    }
    const rebinding = !sameUuid(known.uuid, uuid);
    if (rebinding && !this.options.allowRebind) throw RegistryErrors.UUID_CLASH(serial);
    const record = { ...known, uuid: rebinding ? uuid : known.uuid, nick, pubkey: key.blob, keyType: key.type, classGroup };
    const same = (Object.keys(record) as (keyof RegisteredLaptop)[]).every((field) => record[field] === known[field]);
    return { record, outcome: same ? 'unchanged' : 'updated' };
  }

  /** Store records made by {@link checkEntry} in one write; call it with no await in between, as `register` does. */
  async storeEntries(records: readonly RegisteredLaptop[]): Promise<void> {
    if (records.length === 0) return;
    await this.store.update((data) => {
      this.ordered = undefined;
      for (const record of records) data.laptops[record.serial] = record;
    });
  }

  /** Validate the request and build the record to store, synchronously. */
  private prepare(request: RegistrationRequest): Prepared {
    const serial = checkSerial(request.serial);
    const uuid = checkUuid(request.uuid);
    const nick = checkNick(request.nick);
    const key = parsePublicKey(request.pubkey);
    const now = new Date(this.clock.now()).toISOString();
    const known = this.get(serial);
    const fields = { serial, nick, pubkey: key.blob, keyType: key.type, lastRegistered: now };
    if (!known) return { record: { ...fields, uuid, classGroup: null, firstRegistered: now }, outcome: 'registered' };

    const rebinding = !sameUuid(known.uuid, uuid);
    if (rebinding && !this.options.allowRebind) throw RegistryErrors.UUID_CLASH(serial);
    return {
      // The same machine may spell its uuid in another case; the first spelling stays.
      record: { ...fields, uuid: rebinding ? uuid : known.uuid, classGroup: known.classGroup, firstRegistered: known.firstRegistered },
      outcome: rebinding ? 'rebound' : 'updated',
      previousUuid: known.uuid,
    };
  }

  /** One line per refusal; a uuid clash is a warning with both uuids, as it may be a swapped board or a clone. */
  private logRefusal(request: RegistrationRequest, protocol: Protocol, err: SugarError): void {
    const serial = typeof request.serial === 'string' ? request.serial.slice(0, 64) : undefined;
    const fields = { serial, protocol, outcome: 'refused', code: err.code };
    if (err.code === RegistryErrors.UUID_CLASH.code) {
      this.log.warn({ ...fields, registeredUuid: this.get(serial!)?.uuid, offeredUuid: request.uuid }, `registration refused: ${err.message}`);
    } else {
      this.log.info(fields, `registration refused: ${err.message}`);
    }
  }

  private serials(): string[] {
    this.ordered ??= Object.keys(this.store.data.laptops).sort();
    return this.ordered;
  }
}
