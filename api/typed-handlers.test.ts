// Handlers are typed by the spec: a response that drifts from it must fail the typecheck.
// Each case is a handler source next to the real routes (served from memory, never written
// to disk) that the TypeScript compiler checks with the project's own options; a case that
// should compile is checked too, so the test fails both ways.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { projectRoot } from '../core/project-root';
import { listOperations, loadSpec } from './spec';
import { QUERY_DEFAULTS } from './context';

const root = projectRoot();
const routes = join(root, 'api', 'routes');

function compilerOptions(): ts.CompilerOptions {
  const parsed = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!parsed) throw new Error('tsconfig.json did not parse');
  // Unused imports of a mutated copy are no drift; the rest is the project's own strictness.
  return { ...parsed.options, noEmit: true, skipLibCheck: true, noUnusedLocals: false, noUnusedParameters: false };
}

/** Type-checks the given sources as files in api/routes; returns each one's diagnostics as text. */
function typecheck(sources: Record<string, string>): Record<string, string[]> {
  const options = compilerOptions();
  const files = new Map(Object.entries(sources).map(([name, text]) => [join(routes, name), text]));
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) => {
    const text = files.get(name);
    return text === undefined ? getSourceFile(name, language, ...rest) : ts.createSourceFile(name, text, language);
  };
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => files.has(name) || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => files.get(name) ?? readFile(name);
  const program = ts.createProgram([...files.keys()], options, host);
  return Object.fromEntries(
    Object.keys(sources).map((name) => {
      const sf = program.getSourceFile(join(routes, name));
      if (!sf) throw new Error(`${name} is not in the program`);
      const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
      return [name, diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))];
    }),
  );
}

/** A real route file with one edit; fails loudly when the edit no longer applies. */
function mutated(route: string, from: string, to: string): string {
  const text = readFileSync(join(routes, route), 'utf8');
  if (!text.includes(from)) throw new Error(`${route} no longer contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

// Values that are no object literal at the return (a catalog record, a view built elsewhere):
// TypeScript's excess-property check does not look at them, the handler's type does.
const synthetic = (body: string) => `
import { handler, type Handlers } from '../context';
import type { components } from '../../contract/generated/api-schema';
type Repository = components['schemas']['Repository'];
declare const stored: Repository;
declare const storedWithSecret: Repository & { passwordSealed: string };
${body}
`;

describe('handlers typed by the spec', () => {
  let diagnostics: Record<string, string[]>;

  beforeAll(() => {
    const getRepository = "export const getRepository = handler('getRepository', async (ctx, { params }) => ({ status: 200, body: (await withUsage(ctx, [await ctx.catalog.repositories.get(params.id)]))[0]! }));";
    diagnostics = typecheck({
      '__drift_unchanged.ts': readFileSync(join(routes, 'repositories.ts'), 'utf8'),
      '__drift_extra_literal.ts': mutated('repositories.ts', getRepository, getRepository.replace('body: (await withUsage(ctx, [await ctx.catalog.repositories.get(params.id)]))[0]!', 'body: { ...(await withUsage(ctx, [await ctx.catalog.repositories.get(params.id)]))[0]!, sealed: true }')),
      '__drift_missing.ts': mutated('scripts.ts', "return { status: 201, body: await ctx.catalog.scripts.get(id) };", "const { body: _dropped, ...script } = await ctx.catalog.scripts.get(id);\n  return { status: 201, body: script };"),
      '__drift_status.ts': mutated('scripts.ts', 'return { status: 204, body: undefined };', 'return { status: 200, body: undefined };'),
      '__drift_input.ts': mutated('jobs.ts', 'const nextRuns = query.nextRuns ?? DEFAULT_NEXT_RUNS;', 'const nextRuns: number = query.nextRuns;'),
      '__drift_fine.ts': synthetic(`
export const a = handler('getRepository', async () => ({ status: 200, body: stored }));
export const b = handler('listRepositories', async () => ({ status: 200, body: { items: [stored] } }));
export const c = handler('deleteScript', async () => ({ status: 204, body: undefined }));
export const d = handler('listRuns', async (_ctx, { query }) => {
  // A defaulted query parameter is always there (the validator fills it in).
  const limit: number = query.limit;
  return { status: 200, body: { items: [], nextCursor: String(limit) } };
});
`),
      '__drift_extra_record.ts': synthetic(`export const a = handler('getRepository', async () => ({ status: 200, body: storedWithSecret }));`),
      '__drift_extra_nested.ts': synthetic(`export const b = handler('listRepositories', async () => ({ status: 200, body: { items: [storedWithSecret] } }));`),
      '__drift_table.ts': synthetic(`
const listRepositories = handler('listRepositories', async () => ({ status: 200, body: { items: [stored] } }));
export const table: Pick<Handlers, 'getRepository'> = { getRepository: listRepositories };
`),
    });
  }, 60_000);

  it('compiles the real routes and spec-shaped answers cleanly', () => {
    expect(diagnostics['__drift_unchanged.ts']).toEqual([]);
    expect(diagnostics['__drift_fine.ts']).toEqual([]);
  });

  it('refuses a field the spec does not have, in a literal or in a record, at any depth', () => {
    expect(diagnostics['__drift_extra_literal.ts']!.join('\n')).toMatch(/fields the spec does not have.*"\.body\.sealed"/);
    expect(diagnostics['__drift_extra_record.ts']!.join('\n')).toMatch(/fields the spec does not have.*"\.body\.passwordSealed"/);
    expect(diagnostics['__drift_extra_nested.ts']!.join('\n')).toMatch(/fields the spec does not have.*"\.body\.items\[\]\.passwordSealed"/);
  });

  it('refuses a missing required field and an undeclared status', () => {
    expect(diagnostics['__drift_missing.ts']!.join('\n')).toMatch(/Property 'body' is missing/);
    expect(diagnostics['__drift_status.ts']!.join('\n')).toMatch(/'200' is not assignable to type '204'/);
  });

  it('types the request: an optional query parameter without a default may be absent', () => {
    expect(diagnostics['__drift_input.ts']!.join('\n')).toMatch(/'number \| undefined' is not assignable to type 'number'/);
  });

  it("refuses a handler wired to another operation's key", () => {
    expect(diagnostics['__drift_table.ts']!.join('\n')).toMatch(/not assignable to type 'Handler<"getRepository">'/);
  });
});

describe('QUERY_DEFAULTS', () => {
  it('lists exactly the query parameters whose schema has a default (the validator fills those in)', () => {
    const fromSpec: Record<string, string[]> = {};
    for (const op of listOperations(loadSpec())) {
      const defaulted = op.parameters.filter((p) => p.in === 'query' && p.schema?.default !== undefined).map((p) => p.name);
      if (defaulted.length > 0) fromSpec[op.operationId] = defaulted.sort();
    }
    const declared = Object.fromEntries(Object.entries(QUERY_DEFAULTS).map(([op, names]) => [op, [...names].sort()]));
    expect(declared).toEqual(fromSpec);
  });
});
