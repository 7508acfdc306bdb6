import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCredentials } from './s3-client.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 's3-credentials-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('S3 credentials', () => {
  it('come from a file only its owner can read, in the shared-credentials format', async () => {
    const file = join(dir, 'ok');
    await writeFile(file, '[default]\naws_access_key_id = AKID\naws_secret_access_key = SECRET\n', { mode: 0o600 });
    expect(await readCredentials(file, {})).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'SECRET' });
  });

  it('are refused, saying why, when others can read the file or a key is missing', async () => {
    const open = join(dir, 'open');
    await writeFile(open, 'aws_access_key_id = AKID\naws_secret_access_key = SECRET\n', { mode: 0o644 });
    await expect(readCredentials(open, {})).rejects.toMatchObject({ code: 'BACKUP_ERR_BUCKET_CREDENTIALS', message: expect.stringContaining('chmod 600') });
    const half = join(dir, 'half');
    await writeFile(half, 'aws_access_key_id = AKID\n', { mode: 0o600 });
    await expect(readCredentials(half, {})).rejects.toMatchObject({ code: 'BACKUP_ERR_BUCKET_CREDENTIALS' });
    await expect(readCredentials(join(dir, 'absent'), {})).rejects.toMatchObject({ code: 'BACKUP_ERR_BUCKET_CREDENTIALS' });
  });

  it('come from the AWS variables when no file is set', async () => {
    expect(await readCredentials(undefined, { AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'SECRET' })).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'SECRET' });
    await expect(readCredentials(undefined, {})).rejects.toMatchObject({ code: 'BACKUP_ERR_BUCKET_CREDENTIALS' });
  });
});
