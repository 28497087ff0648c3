// `backstop repos list|create` and `backstop jobs create`: set up what a backup needs. The
// repository password comes from BACKSTOP_REPOSITORY_PASSWORD, and keys from files, never
// from argv, where `ps` and shell history would keep them.
import { readFileSync } from 'node:fs';
import type { ApiClient } from '../core/api-client';
import type { components } from '../contract/generated/api-schema';
import { ENGINE_KINDS, type EngineKind } from '../contract/engine';
import { flag, flags, positiveInt } from './args';

type RepositoryCreate = components['schemas']['RepositoryCreate'];
type JobCreate = components['schemas']['JobCreate'];

export const REPOSITORIES_USAGE = `  repos list                                 list repositories and their engines
  repos create <name> --url <location> [--engine restic|borg|pbs] [--no-init]
               [--append-only] [--ssh-key <file> --known-hosts <file>]
               [--pbs-fingerprint <sha256> [--pbs-namespace <ns>] [--pbs-keyfile <file>]]
                                             register a repository (password from
                                             BACKSTOP_REPOSITORY_PASSWORD); creates it unless --no-init
  jobs create <name> --agent <name> --repository <id> --path <p> [--path <p>…]
              [--exclude <pattern>…] [--mode push|pull]
                                             define a backup job`;

/** Reads a key file named on the command line; its contents go to the API only. */
export type ReadFile = (path: string) => string;

export function repositoryRequest(args: string[], password: string | undefined, read: ReadFile): RepositoryCreate {
  const name = args[0];
  if (!name || name.startsWith('--')) throw new Error('repos create needs a name');
  const url = flag(args, '--url');
  if (!url) throw new Error('repos create needs --url');
  if (!password) throw new Error('set BACKSTOP_REPOSITORY_PASSWORD (the repository password or passphrase; never on the command line)');
  const engineName = flag(args, '--engine') ?? 'restic';
  const engine = ENGINE_KINDS.find((k) => k === engineName);
  if (!engine) throw new Error(`--engine must be one of ${ENGINE_KINDS.join(', ')}`);
  const req: RepositoryCreate = { name, url, password, engine: engine satisfies EngineKind };
  if (args.includes('--no-init')) req.init = false;
  if (args.includes('--append-only')) req.appendOnly = true;
  const sshKey = flag(args, '--ssh-key');
  const knownHosts = flag(args, '--known-hosts');
  if ((sshKey === undefined) !== (knownHosts === undefined)) throw new Error('--ssh-key and --known-hosts go together');
  if (sshKey && knownHosts) req.ssh = { privateKey: read(sshKey), knownHosts: read(knownHosts) };
  const fingerprint = flag(args, '--pbs-fingerprint');
  const namespace = flag(args, '--pbs-namespace');
  const keyfile = flag(args, '--pbs-keyfile');
  if (fingerprint) req.pbs = { fingerprint, ...(namespace ? { namespace } : {}), ...(keyfile ? { encryptionKey: read(keyfile) } : {}) };
  else if (namespace || keyfile) throw new Error('--pbs-namespace and --pbs-keyfile need --pbs-fingerprint');
  return req;
}

export function jobRequest(args: string[]): JobCreate {
  const name = args[0];
  if (!name || name.startsWith('--')) throw new Error('jobs create needs a name');
  const agent = flag(args, '--agent');
  if (!agent) throw new Error('jobs create needs --agent');
  const paths = flags(args, '--path');
  if (paths.length === 0) throw new Error('jobs create needs at least one --path');
  const mode = flag(args, '--mode');
  if (mode !== undefined && mode !== 'push' && mode !== 'pull') throw new Error('--mode must be push or pull');
  const excludes = flags(args, '--exclude');
  return {
    name,
    agent,
    repositoryId: positiveInt(flag(args, '--repository'), '--repository'),
    paths,
    ...(excludes.length > 0 ? { excludes } : {}),
    ...(mode ? { mode } : {}),
  };
}

export async function repositoriesCommand(api: ApiClient, sub: string, args: string[], password: string | undefined): Promise<number> {
  if (sub === 'list') {
    console.table((await api.listRepositories()).map((r) => ({ id: r.id, name: r.name, engine: r.engine, url: r.url, appendOnly: r.appendOnly })));
    return 0;
  }
  const repo = await api.createRepository(repositoryRequest(args, password, (p) => readFileSync(p, 'utf8')));
  console.log(`repository ${repo.id} (${repo.engine}) ${repo.name} at ${repo.url}`);
  return 0;
}

export async function createJobCommand(api: ApiClient, args: string[]): Promise<number> {
  const job = await api.createJob(jobRequest(args));
  console.log(`job ${job.id} ${job.name}: ${job.paths.join(' ')} on ${job.agent} → repository ${job.repositoryId}`);
  return 0;
}
