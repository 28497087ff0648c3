// How the server worker opens a repository itself: the location from the catalog, the
// password (and S3 keys, for a repository on S3) decrypted with the master key. Nothing
// of it leaves this process: workflows pass repository ids only.
import type { Catalog } from '../../catalog/catalog';
import type { SecretBox } from '../../core/secrets';
import { parseS3Credentials, repositoryS3Context, resticS3Env } from '../../core/s3';
import type { RepositoryAccess } from '../../contract/engine';

export async function openRepository(catalog: Catalog, secrets: SecretBox, repositoryId: number): Promise<RepositoryAccess & { name: string }> {
  const repo = await catalog.repositories.get(repositoryId);
  const password = secrets.open(await catalog.repositories.sealedPassword(repositoryId), `repository:${repositoryId}`);
  const s3Sealed = await catalog.repositories.s3Sealed(repositoryId);
  const env = s3Sealed ? resticS3Env(parseS3Credentials(secrets.open(s3Sealed, repositoryS3Context(repositoryId)))) : undefined;
  return { name: repo.name, url: repo.url, password, ...(env ? { env } : {}) };
}
