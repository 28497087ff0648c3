// Database names go into SQL and command lines; only plain identifiers are accepted, so no
// quoting can be escaped.
import { InputError } from '../../../../contract/errors';

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

export function checkDatabaseName(name: string, what = 'database name'): string {
  if (!DATABASE_NAME.test(name)) throw new InputError(`${what} "${name}" must be letters, digits, _ and - (at most 63, not starting with a digit or -)`);
  return name;
}
