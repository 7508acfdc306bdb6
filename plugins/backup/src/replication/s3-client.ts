/**
 * The S3 client for the configured bucket, with the settings that S3-compatible
 * servers need: path-style addresses (no wildcard DNS for bucket names) and
 * checksums only where an operation requires them, since Ceph's gateway and
 * older MinIO do not understand the SDK's aws-chunked uploads with trailing
 * checksums (streamed uploads then fail with 411 MissingContentLength).
 */
import { readFile, stat } from 'node:fs/promises';
import { S3Client } from '@aws-sdk/client-s3';
import { BackupErrors } from '../errors.js';

export interface S3Settings {
  readonly endpoint?: string;
  readonly region: string;
  /** The credentials file, or undefined for the AWS_* environment variables. */
  readonly credentialsFile?: string;
  /** Sockets kept to the server: at least as many as uploads at once. */
  readonly sockets: number;
}

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/**
 * Read `aws_access_key_id` and `aws_secret_access_key` from the file (the
 * shared-credentials format, any section), which only its owner may read; or
 * from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY.
 */
export async function readCredentials(file: string | undefined, env: NodeJS.ProcessEnv = process.env): Promise<S3Credentials> {
  if (file === undefined) {
    const { AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey } = env;
    if (!accessKeyId || !secretAccessKey) {
      throw BackupErrors.BUCKET_CREDENTIALS('[backup] s3_credentials', 'unset, and AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is not in the environment either');
    }
    return { accessKeyId, secretAccessKey };
  }
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    throw BackupErrors.BUCKET_CREDENTIALS(file, `cannot be read (${err.code ?? err.message})`);
  });
  if ((info.mode & 0o077) !== 0) throw BackupErrors.BUCKET_CREDENTIALS(file, `is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  const values = new Map<string, string>();
  for (const line of (await readFile(file, 'utf8')).split('\n')) {
    const match = /^\s*(aws_access_key_id|aws_secret_access_key)\s*=\s*(\S+)\s*$/.exec(line);
    if (match) values.set(match[1]!, match[2]!);
  }
  const accessKeyId = values.get('aws_access_key_id');
  const secretAccessKey = values.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) throw BackupErrors.BUCKET_CREDENTIALS(file, 'needs both aws_access_key_id = ... and aws_secret_access_key = ... lines');
  return { accessKeyId, secretAccessKey };
}

export function makeS3Client(settings: S3Settings, credentials: S3Credentials): S3Client {
  // The SDK is pinned to a release that supports Node 20 (see the README); its notice that later ones need Node 22 says nothing to an admin.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    credentials,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // A restarted gateway resets pooled keep-alive sockets once: the SDK's retries (with back-off) carry over that.
    maxAttempts: 6,
    requestHandler: { httpAgent: { keepAlive: true, maxSockets: settings.sockets }, requestTimeout: 120_000 },
  });
}
