/**
 * Form posts as browsers send them: `application/x-www-form-urlencoded`, or
 * `multipart/form-data` with files (parsed by busboy), each within a size
 * limit. A file's name is the browser's and is never used as a path.
 */
import busboy from 'busboy';
import type { Context } from 'koa';
import { readBody } from '../http/body.js';
import { ServerErrors } from '../errors.js';

export interface UploadedFile {
  /** The name the browser gave, for showing only. */
  readonly name: string;
  readonly data: Buffer;
}

export interface Form {
  readonly fields: URLSearchParams;
  readonly files: ReadonlyMap<string, UploadedFile>;
}

const FIELDS_LIMIT = 64 * 1024;

export async function readForm(ctx: Context, fileLimit: number): Promise<Form> {
  if (ctx.is('application/x-www-form-urlencoded')) {
    const body = await readBody(ctx, { limit: FIELDS_LIMIT });
    return { fields: new URLSearchParams(body.toString('utf8')), files: new Map() };
  }
  if (ctx.is('multipart/form-data')) return readMultipart(ctx, fileLimit);
  throw ServerErrors.UNSUPPORTED_MEDIA('form (urlencoded or multipart)');
}

function readMultipart(ctx: Context, fileLimit: number): Promise<Form> {
  return new Promise((resolve, reject) => {
    const fields = new URLSearchParams();
    const files = new Map<string, UploadedFile>();
    let failed: Error | undefined;
    const parser = busboy({ headers: ctx.req.headers, limits: { fileSize: fileLimit, files: 4, fields: 32, fieldSize: FIELDS_LIMIT } });
    parser.on('field', (name, value) => fields.append(name, value));
    parser.on('file', (name, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('limit', () => {
        failed ??= ServerErrors.BODY_TOO_LARGE(fileLimit);
      });
      stream.on('close', () => {
        if (info.filename) files.set(name, { name: info.filename, data: Buffer.concat(chunks) });
      });
    });
    parser.on('error', (err: Error) => reject(ServerErrors.BAD_REQUEST(`the form could not be read: ${err.message}`)));
    parser.on('close', () => (failed ? reject(failed) : resolve({ fields, files })));
    ctx.req.pipe(parser);
  });
}

/** A redirect target from a query or form: a path on this server only, never `//elsewhere`. */
export function localPath(raw: unknown): string {
  const path = typeof raw === 'string' ? raw : '/';
  return path.startsWith('/') && !path.startsWith('//') && !path.includes('\\') ? path : '/';
}

const LOGGED_VALUE = 200;

/** What a form changed, for the log: its fields but the CSRF token, cut short, and the names of its files. */
export function loggedFields(form: Form): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const [name, value] of form.fields) if (!name.startsWith('_')) fields[name] = value.length > LOGGED_VALUE ? `${value.slice(0, LOGGED_VALUE)}…` : value;
  for (const [name, file] of form.files) fields[name] = `${file.name} (${file.data.length} bytes)`;
  return fields;
}
