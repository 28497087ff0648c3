// How the server worker opens a repository itself: the location from the catalog, the
// password (and S3 keys, SSH key or PBS key) decrypted with the master key. Nothing of it
// leaves this process: workflows pass repository ids only.
export { openRepositoryAccess as openRepository } from '../../catalog/repository-access';
