/**
 * The real S3 server of this suite: Ceph's RADOS Gateway on one node, started
 * by the deployment's `shared/s3/ceph-rgw.sh` beside the checkout, with its
 * data in memory (memstore starts faster; the suite's data is small). One
 * gateway serves every case; each case uses a bucket of its own.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { REPO } from '../../harness/index.js';

const run = promisify(execFile);
// The SDK is pinned for Node 20 on purpose (see the backup plugin's README).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const CEPH_RGW = join(REPO, '..', 'shared', 's3', 'ceph-rgw.sh');
/** Whether this machine can run the gateway (the script and Debian's radosgw). */
export const HAS_GATEWAY = existsSync(CEPH_RGW) && existsSync('/usr/bin/radosgw');

export class Gateway {
  private constructor(
    readonly dir: string,
    readonly endpoint: string,
    readonly accessKeyId: string,
    readonly secretAccessKey: string,
    readonly client: S3Client,
  ) {}

  /** Start a gateway: data in memory for the suite, on BlueStore (a sparse file, as deployments run it) for the benchmark's larger data. */
  static async start(options: { store?: 'memstore' | 'bluestore' } = {}): Promise<Gateway> {
    const dir = await mkdtemp(join(tmpdir(), 's3-gateway-'));
    await rm(dir, { recursive: true });
    await run(CEPH_RGW, ['start', dir], { env: { ...process.env, CEPH_RGW_STORE: options.store ?? 'memstore' }, timeout: 60_000 });
    const env = Object.fromEntries((await readFile(join(dir, 'env'), 'utf8')).trim().split('\n').map((line) => line.split('=', 2) as [string, string]));
    const client = new S3Client({
      endpoint: env.S3_ENDPOINT,
      region: env.S3_REGION,
      credentials: { accessKeyId: env.S3_ACCESS_KEY_ID!, secretAccessKey: env.S3_SECRET_ACCESS_KEY! },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    return new Gateway(dir, env.S3_ENDPOINT!, env.S3_ACCESS_KEY_ID!, env.S3_SECRET_ACCESS_KEY!, client);
  }

  async stop(): Promise<void> {
    this.client.destroy();
    await run(CEPH_RGW, ['stop', this.dir], { timeout: 60_000 }).catch(() => {});
    await rm(this.dir, { recursive: true, force: true });
  }

  /** Kill the gateway process (SIGKILL) and start it again, as a crash and a supervisor would. */
  async crashAndRestart(): Promise<void> {
    await run(CEPH_RGW, ['restart-rgw', this.dir, 'KILL'], { timeout: 60_000 });
  }

  async createBucket(name: string): Promise<void> {
    await this.client.send(new CreateBucketCommand({ Bucket: name }));
  }

  /** A credentials file for the daemon, mode 0600. */
  async credentialsFile(dir: string): Promise<string> {
    const file = join(dir, 's3-credentials');
    await writeFile(file, `[default]\naws_access_key_id = ${this.accessKeyId}\naws_secret_access_key = ${this.secretAccessKey}\n`, { mode: 0o600 });
    return file;
  }

  async keys(bucket: string, prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((item) => item.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys.sort();
  }

  async get(bucket: string, key: string): Promise<Buffer> {
    const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  }

  /** `length` bytes of an object from `offset`. */
  async getRange(bucket: string, key: string, offset: number, length: number): Promise<Buffer> {
    if (length === 0) return Buffer.alloc(0);
    const answer = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=${offset}-${offset + length - 1}` }));
    return Buffer.from(await answer.Body!.transformToByteArray());
  }

  async put(bucket: string, key: string, body: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }

  async delete(bucket: string, key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
}
