// `backstop repos list|create|show` and the runs a repository has of its own: `repos check`,
// `repos prune`, `repos sync`. The repository password comes from
// BACKSTOP_REPOSITORY_PASSWORD and keys from files, never from argv, where `ps` and shell
// history would keep them.
import { type Command, Option } from 'commander';
import type { components } from '../contract/generated/api-schema';
import { ENGINE_KINDS } from '../contract/engine';
import type { ApiRepository } from '../core/api-client';
import { confirm, covers, defined, followStartedRun, positiveInt, show, showTable, type CliContext } from './command-kit';
import { UsageError } from './exit-codes';
import { formatFields, relativeTime } from './format';

type RepositoryCreate = components['schemas']['RepositoryCreate'];
type RepositoryUpdate = components['schemas']['RepositoryUpdate'];

/** The PATCH the flags describe; --no-post-prune-script (false) removes the script. */
export function repositoryUpdateRequest(o: { name?: string; postPruneScript?: string | false }): RepositoryUpdate {
  const update: RepositoryUpdate = defined({ name: o.name, postPruneScript: o.postPruneScript === false ? null : o.postPruneScript });
  if (Object.keys(update).length === 0) throw new UsageError('say what to change (--name, --post-prune-script, --no-post-prune-script)');
  return update;
}

export interface RepositoryCreateOptions {
  url: string;
  engine: RepositoryCreate['engine'];
  init: boolean;
  appendOnly?: boolean;
  sshKey?: string;
  knownHosts?: string;
  pbsFingerprint?: string;
  pbsNamespace?: string;
  pbsKeyfile?: string;
}

/** Reads a key file named on the command line; its contents go to the API only. */
export type ReadFile = (path: string) => string;

export function repositoryRequest(name: string, o: RepositoryCreateOptions, password: string | undefined, read: ReadFile): RepositoryCreate {
  if (!password) throw new UsageError('set BACKSTOP_REPOSITORY_PASSWORD (the repository password or passphrase; never on the command line)');
  const req: RepositoryCreate = { name, url: o.url, password, engine: o.engine };
  if (!o.init) req.init = false;
  if (o.appendOnly) req.appendOnly = true;
  if ((o.sshKey === undefined) !== (o.knownHosts === undefined)) throw new UsageError('--ssh-key and --known-hosts go together');
  if (o.sshKey && o.knownHosts) req.ssh = { privateKey: read(o.sshKey), knownHosts: read(o.knownHosts) };
  if (o.pbsFingerprint) req.pbs = { fingerprint: o.pbsFingerprint, ...(o.pbsNamespace ? { namespace: o.pbsNamespace } : {}), ...(o.pbsKeyfile ? { encryptionKey: read(o.pbsKeyfile) } : {}) };
  else if (o.pbsNamespace || o.pbsKeyfile) throw new UsageError('--pbs-namespace and --pbs-keyfile need --pbs-fingerprint');
  return req;
}

export function repositoryLines(r: ApiRepository, now: Date): string[] {
  return formatFields([
    ['id', r.id],
    ['name', r.name],
    ['engine', r.engine],
    ['url', r.url],
    ['append-only', String(r.appendOnly)],
    ['pbs', r.pbs ? JSON.stringify(r.pbs) : null],
    ['post-prune script', r.postPruneScript],
    ['created', `${relativeTime(r.createdAt, now)} (${r.createdAt})`],
  ]);
}

export function registerRepositories(repos: Command, ctx: CliContext): void {
  covers(
    repos
      .command('list')
      .description('repositories and their engines')
      .action(async () => {
        const answer = await ctx.api().request<{ items: ApiRepository[] }>('GET', '/v1/repositories');
        showTable(ctx, answer, answer.items, [
          { header: 'id', value: (r) => r.id, right: true },
          { header: 'name', value: (r) => r.name },
          { header: 'engine', value: (r) => r.engine },
          { header: 'append-only', value: (r) => (r.appendOnly ? 'yes' : 'no') },
          { header: 'url', value: (r) => r.url },
        ]);
      }),
    'listRepositories',
  );

  covers(
    repos
      .command('show')
      .description('one repository')
      .argument('<id>', 'repository id', positiveInt)
      .action(async (id: number) => {
        show(ctx, await ctx.api().request<ApiRepository>('GET', `/v1/repositories/${id}`), (r) => repositoryLines(r, ctx.now()));
      }),
    'getRepository',
  );

  covers(
    repos
      .command('create')
      .description('register a repository (password from BACKSTOP_REPOSITORY_PASSWORD); creates it unless --no-init')
      .argument('<name>', 'repository name')
      .requiredOption('--url <location>', "the engine's repository location (a path, sftp:, s3:, ssh://, a PBS datastore)")
      .addOption(new Option('--engine <engine>', 'backup engine').choices(ENGINE_KINDS).default('restic'))
      .option('--no-init', 'register an existing repository instead of creating it')
      .option('--append-only', 'the engine may only add data (borg append-only; no prune from Backstop)')
      .option('--ssh-key <file>', 'private key for an ssh:// repository (with --known-hosts)')
      .option('--known-hosts <file>', "the SSH server's known_hosts lines")
      .option('--pbs-fingerprint <sha256>', "the Proxmox Backup Server's certificate fingerprint")
      .option('--pbs-namespace <ns>', 'PBS namespace')
      .option('--pbs-keyfile <file>', 'PBS client encryption key file')
      .action(async (name: string, o: RepositoryCreateOptions) => {
        const repo = await ctx.api().createRepository(repositoryRequest(name, o, ctx.config().repositoryPassword, ctx.readFile));
        show(ctx, repo, (r) => [`repository ${r.id} (${r.engine}) ${r.name} at ${r.url}`]);
      }),
    'createRepository',
  );

  covers(
    repos
      .command('edit')
      .description('rename a repository or set its post-prune script (its location, engine and password stay)')
      .argument('<id>', 'repository id', positiveInt)
      .option('--name <name>', 'new name')
      .option('--post-prune-script <command>', 'a shell command the server runs after each prune')
      .option('--no-post-prune-script', 'remove the post-prune script')
      .action(async (id: number, o: { name?: string; postPruneScript?: string | false }) => {
        show(ctx, await ctx.api().updateRepository(id, repositoryUpdateRequest(o)), (r) => repositoryLines(r, ctx.now()));
      }),
    'updateRepository',
  );

  covers(
    repos
      .command('delete')
      .description("remove a repository from Backstop (refused while a job uses it); its data is never touched")
      .argument('<id>', 'repository id', positiveInt)
      .action(async (id: number) => {
        await ctx.api().deleteRepository(id);
        confirm(ctx, `repository ${id} removed from Backstop; its data is where it was`);
      }),
    'deleteRepository',
  );

  const runCommand = (name: string, description: string, label: string, start: (id: number) => Promise<{ runId: string; workflowId: string }>, op: 'checkRepository' | 'pruneRepository' | 'runS3Sync') =>
    covers(
      repos
        .command(name)
        .description(description)
        .argument('<id>', 'repository id', positiveInt)
        .option('--wait', "follow the run to its end and exit with its outcome (1 failed, 3 warnings)")
        .action(async (id: number, o: { wait?: boolean }) => {
          await followStartedRun(ctx, await start(id), { wait: o.wait, label });
        }),
      op,
    );
  runCommand('check', 'check the repository for missing or damaged data (restic check, borg check)', 'check run', (id) => ctx.api().checkRepository(id), 'checkRepository');
  runCommand('prune', "apply the retention policies of the repository's jobs and prune it", 'prune run', (id) => ctx.api().pruneRepository(id), 'pruneRepository');
  runCommand('sync', 'mirror the repository to its S3 sync target now', 'S3 sync run', (id) => ctx.api().runS3Sync(id), 'runS3Sync');
}
