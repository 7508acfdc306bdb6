/**
 * The version of a plugin's document: the shape its code reads and writes,
 * apart from the store's file format. A release that changes the shape raises
 * the version and brings a migration from the one before; at open, a document
 * stored at an older version goes through each migration in order before the
 * plugin sees it, and one stored at a newer version (a downgrade) is refused.
 */
import { ServerErrors, withCause } from '../errors.js';

/** Every document written before versions existed, and every store that declares none. */
export const FIRST_DOCUMENT_VERSION = 1;

/**
 * Turns a document of the version before into this one: return the new
 * document, or change the one handed in and return nothing. It may throw:
 * then nothing is stored and the plugin does not start.
 */
// `any`: each step takes the shape of the version before, which only its author can name.
export type DocumentMigration = (previous: any) => unknown;

/** What a plugin declares about its document when it opens its store. */
export interface DocumentVersion {
  /** The version of the shape this code reads and writes: 1 until a release changes it. */
  readonly version: number;
  /** By the version each one produces: `{ 2: (v1) => v2, 3: (v2) => v3 }`. */
  readonly migrate?: Readonly<Record<number, DocumentMigration>>;
}

/** Who wrote a store, for messages: a plugin's package and version. */
export interface StoreWriter {
  readonly name: string;
  readonly version?: string;
}

const isVersion = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= FIRST_DOCUMENT_VERSION;

/** The declaration checked: a whole version from 1, migrations only for versions 2 up to it. */
export function checkDeclared(file: string, writer: StoreWriter, declared: DocumentVersion): void {
  const refuse = (why: string) => ServerErrors.STORE_MIGRATION(file, writer.name, why);
  if (!isVersion(declared.version)) throw refuse(`the document version declared, ${String(declared.version)}, is not a whole number from 1`);
  for (const key of Object.keys(declared.migrate ?? {})) {
    const to = Number(key);
    if (!isVersion(to) || to < 2 || to > declared.version) throw refuse(`migrate[${key}] is no version from 2 to ${declared.version}`);
    if (typeof declared.migrate![to] !== 'function') throw refuse(`migrate[${key}] is not a function`);
  }
}

/**
 * `document` (at version `from`) brought to `declared.version`, through each
 * migration in order. The result is what JSON keeps of it, so what the plugin
 * sees is what the snapshot holds. Throws SERVER_ERR_STORE_MIGRATION, with the
 * migration's own error as cause, and changes nothing on disk.
 */
export function migrateDocument(file: string, writer: StoreWriter, document: unknown, from: number, declared: DocumentVersion): object {
  let current = document;
  for (let to = from + 1; to <= declared.version; to++) {
    const step = declared.migrate?.[to];
    const refuse = (why: string) => ServerErrors.STORE_MIGRATION(file, writer.name, `from document version ${to - 1} to ${to}: ${why}`);
    if (!step) throw refuse(`there is no migration to version ${to} (migrate[${to}])`);
    let result: unknown;
    try {
      result = step(current);
    } catch (err) {
      throw withCause(refuse(err instanceof Error ? err.message : String(err)), err);
    }
    if (result !== undefined) current = result;
  }
  const text = JSON.stringify(current) as string | undefined;
  if (text === undefined || current === null || typeof current !== 'object') {
    throw ServerErrors.STORE_MIGRATION(file, writer.name, `the migration to version ${declared.version} left no JSON object`);
  }
  return JSON.parse(text) as object;
}
