// The walls between Backstop's rooms: which code may import which. A room is a set of
// folders named by the process that runs them (see the README's map); the `backstop/rooms`
// lint rule resolves every import to a path in the repository and fails the build when it
// crosses a wall. `npm test` runs eslint, and lint/rooms.test.ts shows each wall failing on
// a deliberate violation.
import { builtinModules } from 'node:module';
import path from 'node:path';

/**
 * Each room: the folders it covers (`files`, repository-relative prefixes, `except` carved
 * out), and either an allow-list (`onlyImport`: folders, and `packages` for bare imports)
 * or a deny-list (`mayNotImport`). Every room a file is in applies.
 */
export const rooms = [
  {
    room: 'contract',
    why: 'the contract is imported by every process, workflows included: types, names, errors and pure rules only',
    files: ['contract/'],
    onlyImport: ['contract/'],
    packages: ['@temporalio/common'],
  },
  {
    room: 'workflows',
    why: 'workflows run in the deterministic sandbox and may import only the contract',
    files: ['workflows/'],
    onlyImport: ['contract/', 'workflows/'],
    packages: ['@temporalio/workflow', '@temporalio/common'],
  },
  {
    room: 'shared',
    why: 'code both workers run (core, activities/shared) may not depend on either side',
    files: ['core/', 'activities/shared/'],
    mayNotImport: ['activities/agent/', 'activities/server/', 'workers/', 'catalog/', 'api/', 'cli/', 'workflows/'],
  },
  {
    room: 'agent',
    why: "agent code runs on customers' machines: it reaches the server only through the API",
    files: ['activities/agent/', 'workers/agent/'],
    mayNotImport: ['catalog/', 'api/', 'activities/server/', 'workers/server/', 'workers/embedded/', 'cli/', 'workflows/'],
  },
  {
    room: 'server',
    why: 'server code (API, catalog, server worker) never runs agent code; it talks to agents through Temporal',
    files: ['api/', 'catalog/', 'activities/server/', 'workers/server/', 'workers/embedded/', 'workers/admin/'],
    mayNotImport: ['activities/agent/', 'workers/agent/'],
  },
  {
    room: 'api',
    why: 'the API process does not embed worker or workflow code: it starts workflows by their contract references (contract/workflows.ts)',
    files: ['api/'],
    mayNotImport: ['workers/', 'workflows/'],
  },
  {
    room: 'catalog',
    why: 'the catalog is storage: it does not call the API, activities or workers',
    files: ['catalog/'],
    mayNotImport: ['api/', 'activities/', 'workers/', 'workflows/', 'cli/'],
  },
  {
    room: 'activities',
    why: 'activities get their dependencies from the worker that registers them, never the other way',
    files: ['activities/'],
    mayNotImport: ['workers/', 'workflows/'],
  },
  {
    room: 'workers',
    why: 'workers do not depend on the operator CLI',
    files: ['workers/'],
    mayNotImport: ['cli/'],
  },
  {
    room: 'cli',
    why: "the operator's CLI talks to the API over HTTP; only its entry point (cli/main.ts) starts processes",
    files: ['cli/'],
    except: ['cli/main.ts'],
    mayNotImport: ['catalog/', 'activities/', 'workers/', 'api/', 'workflows/'],
  },
];

const nodeBuiltins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`). */
function packageOf(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** Why importing `spec` from `file` (repository-relative) crosses a wall, or null. */
export function violation(file, spec, table = rooms) {
  const relative = spec.startsWith('.');
  const target = relative ? path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)) : null;
  const within = (p, prefixes) => prefixes.some((prefix) => p === prefix.replace(/\/$/, '') || p.startsWith(prefix));
  for (const room of table) {
    if (!within(file, room.files) || within(file, room.except ?? [])) continue;
    if (room.onlyImport) {
      if (relative && !within(target, room.onlyImport)) return `${room.room}: may import only ${room.onlyImport.join(', ')} (${room.why})`;
      if (!relative && (nodeBuiltins.has(spec) || !(room.packages ?? []).includes(packageOf(spec)))) {
        return `${room.room}: may not import '${spec}' (${room.why})`;
      }
    } else if (relative) {
      const hit = room.mayNotImport.find((prefix) => within(target, [prefix]));
      if (hit) return `${room.room}: may not import ${hit} (${room.why})`;
    }
  }
  return null;
}

const roomsRule = {
  meta: { type: 'problem', schema: [], docs: { description: "keeps each process's code in its room" } },
  create(context) {
    const file = path.relative(context.cwd, context.filename).split(path.sep).join('/');
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string') return;
      const why = violation(file, source.value);
      if (why) context.report({ node, message: `'${source.value}' crosses a wall: ${why}` });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source),
      ExportNamedDeclaration: (node) => check(node, node.source),
      ExportAllDeclaration: (node) => check(node, node.source),
      ImportExpression: (node) => check(node, node.source),
      CallExpression: (node) => {
        if (node.callee.type === 'Identifier' && node.callee.name === 'require') check(node, node.arguments[0]);
      },
    };
  },
};

export const roomsPlugin = { rules: { rooms: roomsRule } };

/** The flat-config entry eslint.config.mjs (and the walls' own test) use. */
export const roomsConfig = {
  files: ['**/*.ts'],
  plugins: { backstop: roomsPlugin },
  rules: { 'backstop/rooms': 'error' },
};
