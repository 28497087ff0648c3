// Every operation of the OpenAPI spec has a `backstop` command, except the few an operator
// never calls: they are listed below, each with why. A new API operation without a command
// (or a listed one that gained a command, or left the spec) fails here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { operationsOf, type OperationId } from './command-kit';
import { fullProgram } from './main';

const NOT_FOR_OPERATORS: Partial<Record<OperationId, string>> = {
  // An agent process calls these with its own identity (mTLS certificate or agent token).
  registerAgent: 'an agent registers itself (hostname, version, capabilities) when it starts',
  agentHeartbeat: "the agent's heartbeat",
  renewAgentCertificate: 'the agent renews its short-lived certificate',
  issueAgentExportCertificate: "the agent's certificate for its pull-mode export",
  getAgentRepositorySecret: "a push-mode agent fetches its job's repository secret",
  getAgentPluginConfig: 'the agent fetches a plugin configuration with its secrets, for a run',
  appendAgentRunLog: 'the agent appends its hook and engine output to the run log',
  // The web console's cookie session: a browser's sign-in; the CLI sends its token itself.
  createSession: 'the web console exchanges a token for an HttpOnly session cookie',
  getSession: "the web console reads its session's CSRF token after a reload",
  deleteSession: "the web console's sign-out",
};

function spec(): Array<{ id: OperationId; route: string }> {
  const doc = parse(readFileSync(join(__dirname, '..', 'openapi', 'backstop.yaml'), 'utf8')) as { paths: Record<string, Record<string, { operationId?: string }>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops)
      .filter(([, op]) => typeof op === 'object' && op?.operationId)
      .map(([method, op]) => ({ id: op.operationId as OperationId, route: `${method.toUpperCase()} ${path}` })),
  );
}

function commands(cmd: Command, path: string[] = []): Array<{ path: string; ops: OperationId[] }> {
  return [{ path: path.join(' '), ops: operationsOf(cmd) }, ...cmd.commands.flatMap((c) => commands(c, [...path, c.name()]))];
}

const tree = commands(fullProgram({ env: {}, stdout: { write: () => {}, isTTY: false, columns: 80 }, stderr: () => {} }).program);
const covered = new Set(tree.flatMap((c) => c.ops));

test('every API operation an operator can call has a command', () => {
  expect(spec().length).toBeGreaterThan(80);
  const missing = spec().filter((o) => !covered.has(o.id) && !(o.id in NOT_FOR_OPERATORS));
  expect(missing.map((o) => `${o.id} (${o.route})`)).toEqual([]);
});

test('the operations set aside are in the spec and have no command', () => {
  const ids = new Set(spec().map((o) => o.id));
  for (const id of Object.keys(NOT_FOR_OPERATORS) as OperationId[]) {
    expect({ id, inSpec: ids.has(id), command: covered.has(id) }).toEqual({ id, inSpec: true, command: false });
  }
});

test('commands name only operations the spec has', () => {
  const ids = new Set(spec().map((o) => o.id));
  expect([...covered].filter((id) => !ids.has(id))).toEqual([]);
});
