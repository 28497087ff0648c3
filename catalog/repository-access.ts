// A repository as an engine opens it: location and engine from the catalog, the password,
// S3 keys and backend secrets (SSH key, PBS encryption key) opened with the master key. Used
// by the server worker for its own engine runs and by the API for an agent's.
import type { RepositoryAccess } from '../contract/engine';
import { parseBackendSecrets, repositoryAccess, repositoryBackendContext } from '../core/repository-backend';
import { parseS3Credentials, repositoryS3Context, resticS3Env } from '../core/s3';
import type { SecretBox } from '../core/secrets';
import type { Catalog } from './catalog';

export async function openRepositoryAccess(catalog: Catalog, secrets: SecretBox, repositoryId: number): Promise<RepositoryAccess & { name: string }> {
  const repo = await catalog.repositories.get(repositoryId);
  const password = secrets.open(await catalog.repositories.sealedPassword(repositoryId), `repository:${repositoryId}`);
  const s3Sealed = await catalog.repositories.s3Sealed(repositoryId);
  const env = s3Sealed ? resticS3Env(parseS3Credentials(secrets.open(s3Sealed, repositoryS3Context(repositoryId)))) : undefined;
  const backendSealed = await catalog.repositories.backendSealed(repositoryId);
  const backend = backendSealed ? parseBackendSecrets(secrets.open(backendSealed, repositoryBackendContext(repositoryId))) : {};
  const options = await catalog.repositories.options(repositoryId);
  return { name: repo.name, ...repositoryAccess(repo, password, env, options, backend) };
}
