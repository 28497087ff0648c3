// The plugin-configs aggregate: named plugin configurations of an agent and their attachment
// to jobs. Secret fields stay sealed here; only api/routes/plugin-configs.ts opens them, for
// the owning agent.
import type { Session } from './db';
import { iso, jobRefFromRow, one, rethrowForeignKey, rethrowUnique, type Row } from './rows';

export interface PluginConfigRecord {
  id: number;
  agentName: string;
  name: string;
  plugin: string;
  settings: Record<string, unknown>;
  /** Names of the secret fields that are set (their values stay sealed). */
  secretFields: string[];
  createdAt: string;
  updatedAt: string;
}

export interface PluginConfigWrite {
  name: string;
  plugin: string;
  settings: Record<string, unknown>;
  secretFields: string[];
}

/** The context a configuration's sealed secrets are bound to. */
export function pluginConfigSecretContext(id: number): string {
  return `plugin-config:${id}`;
}

// --- rows ----------------------------------------------------------------------------
export const pluginConfigFromRow = (r: Row): PluginConfigRecord => ({
  id: Number(r.id),
  agentName: String(r.agent_name),
  name: String(r.name),
  plugin: String(r.plugin),
  settings: (r.settings as Record<string, unknown>) ?? {},
  secretFields: (r.secret_fields as string[]) ?? [],
  createdAt: iso(r.created_at),
  updatedAt: iso(r.updated_at),
});

const SELECT = `SELECT c.id, a.name AS agent_name, c.name, c.plugin, c.settings, c.secret_fields, c.created_at, c.updated_at
                  FROM plugin_configs c JOIN agents a ON a.id = c.agent_id`;

const nameTaken = (name: string) => `a plugin configuration named "${name}" already exists on this agent`;

// --- queries -------------------------------------------------------------------------
export class PluginConfigs {
  constructor(private readonly s: Session) {}

  async insert(agentId: number, c: PluginConfigWrite): Promise<number> {
    try {
      const { rows } = await this.s.q.query<{ id: string }>(
        `INSERT INTO plugin_configs (agent_id, name, plugin, settings, secret_fields) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
        [agentId, c.name, c.plugin, JSON.stringify(c.settings), c.secretFields],
      );
      return Number(rows[0]!.id);
    } catch (err) {
      rethrowUnique(err, nameTaken(c.name));
    }
  }

  async update(id: number, c: PluginConfigWrite): Promise<void> {
    try {
      await this.s.q.query(`UPDATE plugin_configs SET name = $2, plugin = $3, settings = $4, secret_fields = $5, updated_at = now() WHERE id = $1`, [
        id,
        c.name,
        c.plugin,
        JSON.stringify(c.settings),
        c.secretFields,
      ]);
    } catch (err) {
      rethrowUnique(err, nameTaken(c.name));
    }
  }

  /** Seals are bound to the row id, so they are written once the id exists. */
  async setSecrets(id: number, sealed: string | null): Promise<void> {
    await this.s.q.query('UPDATE plugin_configs SET secrets_sealed = $2 WHERE id = $1', [id, sealed]);
  }

  async secrets(id: number): Promise<string | null> {
    const { rows } = await this.s.q.query<{ secrets_sealed: string | null }>('SELECT secrets_sealed FROM plugin_configs WHERE id = $1', [id]);
    return one(rows, `plugin configuration ${id}`).secrets_sealed;
  }

  /** One configuration of the agent; another agent's configuration is "not found" too. */
  async get(agentName: string, id: number): Promise<PluginConfigRecord> {
    const { rows } = await this.s.q.query(`${SELECT} WHERE a.name = $1 AND c.id = $2`, [agentName, id]);
    return pluginConfigFromRow(one(rows, `plugin configuration ${id} of agent "${agentName}"`));
  }

  async list(agentName: string): Promise<PluginConfigRecord[]> {
    const { rows } = await this.s.q.query(`${SELECT} WHERE a.name = $1 ORDER BY c.id`, [agentName]);
    return rows.map(pluginConfigFromRow);
  }

  /** The jobs a configuration is attached to, by name (for the 409 of a refused delete). */
  async jobsUsing(id: number): Promise<Array<{ id: number; name: string }>> {
    const { rows } = await this.s.q.query(`SELECT j.id, j.name FROM job_plugin_configs jp JOIN jobs j ON j.id = jp.job_id WHERE jp.config_id = $1 ORDER BY j.id`, [id]);
    return rows.map(jobRefFromRow);
  }

  async delete(id: number): Promise<void> {
    try {
      await this.s.q.query('DELETE FROM plugin_configs WHERE id = $1', [id]);
    } catch (err) {
      // A job attached it between the check and the delete.
      rethrowForeignKey(err, `plugin configuration ${id} is attached to a job`);
    }
  }

  /** Replaces a job's configurations with `configIds`, in this order. */
  async setOfJob(jobId: number, configIds: number[]): Promise<void> {
    await this.s.q.query('DELETE FROM job_plugin_configs WHERE job_id = $1', [jobId]);
    for (const [position, configId] of configIds.entries()) {
      await this.s.q.query('INSERT INTO job_plugin_configs (job_id, config_id, position) VALUES ($1, $2, $3)', [jobId, configId, position]);
    }
  }

  /** A job's configurations in their order: what a backup run needs (ids and types, no secrets). */
  async ofJob(jobId: number): Promise<Array<{ id: number; name: string; plugin: string }>> {
    const { rows } = await this.s.q.query(
      `SELECT c.id, c.name, c.plugin FROM job_plugin_configs jp JOIN plugin_configs c ON c.id = jp.config_id WHERE jp.job_id = $1 ORDER BY jp.position`,
      [jobId],
    );
    return rows.map((r) => ({ id: Number(r.id), name: String(r.name), plugin: String(r.plugin) }));
  }
}
