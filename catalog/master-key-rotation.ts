// Master-key rotation: every sealed value of the catalog (catalog/sealed-columns.ts) opened
// with the box's keys (current first, then the previous one) and sealed again under the
// current key, in ONE transaction. A rotation killed part-way therefore leaves nothing
// half-rotated: the transaction rolls back, every value still opens as before, and running
// the rotation again starts over. Values already under the current key (written by a
// process that switched keys before the rotation) are re-sealed like the others.
import type { Pool } from 'pg';
import { InputError } from '../contract/errors';
import type { SecretBox } from '../core/secrets';
import { withTransaction } from './db';
import { SEALED_COLUMNS, sealedColumnName, type SealedColumn } from './sealed-columns';

/** How a rotating connection shows in pg_stat_activity (operators and tests look for it). */
export const ROTATION_APPLICATION_NAME = 'backstop rotate-master-key';

export interface RotationReport {
  /** Values re-sealed per `table.column`. */
  resealed: Record<string, number>;
  total: number;
}

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

export async function rotateMasterKey(pool: Pool, box: SecretBox, columns: readonly SealedColumn[] = SEALED_COLUMNS): Promise<RotationReport> {
  const current = box.currentOnly();
  return withTransaction(pool, async (tx) => {
    await tx.query(`SELECT set_config('application_name', $1, true)`, [ROTATION_APPLICATION_NAME]);
    const report: RotationReport = { resealed: {}, total: 0 };
    for (const c of columns) {
      const name = sealedColumnName(c);
      // FOR UPDATE: a process writing one of these rows meanwhile waits for the rotation
      // instead of having its value overwritten by a re-seal of the older one.
      const { rows } = await tx.query<{ id: string; sealed: string }>(
        `SELECT ${quote(c.idColumn)}::text AS id, ${quote(c.column)} AS sealed FROM ${quote(c.table)}
         WHERE ${quote(c.column)} IS NOT NULL ORDER BY ${quote(c.idColumn)} FOR UPDATE`,
      );
      for (const row of rows) {
        let plaintext: string;
        try {
          plaintext = box.open(row.sealed, c.label(row.id));
        } catch {
          // Names the row, never the value; the transaction rolls back, so nothing changed.
          throw new InputError(
            `${name} of ${c.idColumn} ${row.id} opens under neither the current master key nor the previous one` +
              `${box.hasPreviousKey ? '' : ' (none is set: BACKSTOP_MASTER_KEY_PREVIOUS or data/master.key.previous)'}; nothing was changed`,
          );
        }
        await tx.query(`UPDATE ${quote(c.table)} SET ${quote(c.column)} = $1 WHERE ${quote(c.idColumn)} = $2`, [current.seal(plaintext, c.label(row.id)), row.id]);
      }
      report.resealed[name] = (report.resealed[name] ?? 0) + rows.length;
      report.total += rows.length;
    }
    return report;
  });
}
