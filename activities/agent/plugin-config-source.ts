// Where an agent gets a plugin configuration, secrets included, when a step needs it: the
// API, as this agent (certificate or token; the API hands out only this agent's configurations).
// Workflows carry configuration ids only, so secrets never enter workflow history.
import { BackstopError, ErrorType, NotFoundError, UnauthorizedError } from '../../contract/errors';
import type { AgentHttp } from './api-http';

export interface FetchedPluginConfig {
  id: number;
  name: string;
  plugin: string;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

export interface PluginConfigSource {
  get(configId: number): Promise<FetchedPluginConfig>;
}

export class ApiPluginConfigSource implements PluginConfigSource {
  constructor(private readonly http: AgentHttp) {}

  async get(configId: number): Promise<FetchedPluginConfig> {
    const res = await this.http.request('GET', `/v1/agent/plugin-configs/${configId}`).catch((e: Error) => {
      throw new BackstopError(ErrorType.engine, `cannot reach the API for plugin configuration ${configId}: ${e.message}`);
    });
    if (res.status === 401 || res.status === 403) throw new UnauthorizedError("the agent's credentials were refused by the API");
    if (res.status === 404) throw new NotFoundError(`plugin configuration ${configId} not found or not a configuration of this agent`);
    if (!res.ok) throw new BackstopError(ErrorType.engine, `API answered ${res.status} for plugin configuration ${configId}`);
    return JSON.parse(res.text) as FetchedPluginConfig;
  }
}
