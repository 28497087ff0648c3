// API fuzzing: schemathesis (PyPI, installed by setup into .tools/venv) against the embedded
// stack README command 1 starts, with the spec, as admin, on every operation, two workers,
// in bounded time. Every check runs, response conformance among them, and the API checks
// its own answers too (BACKSTOP_VALIDATE_RESPONSES=1). It passes when schemathesis reports
// nothing, the API logged no unhandled error and no answer off the contract, and the stack
// still serves afterwards (a revoked local agent may stay down: that is its design).
//
// The fuzzer acts as admin on a real stack, so the stack is fenced in: repositories, backup
// sources and restore targets only under its own data directory. (Unfenced, an early run
// made the machine's / a restic repository.) test/fuzz/schemathesis.toml says, per operation,
// which business-rule refusals the schema cannot express.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient } from '../../core/api-client';
import { waitFor } from '../support/wait';
import { apiLogErrors, FUZZ_SEED, runSchemathesis, schemathesisInstalled } from '../support/schemathesis';
import { adminTokenOf, childrenOf, freeUpPorts, processesOfDataDir, startUp, stopUp, untilUp, type Up } from '../support/up';
import { removeWorkDir } from '../support/work-dir';

jest.setTimeout(900_000);

/** The fuzzer's own time budget; the examples per operation bound it too. */
const MAX_SECONDS = Number(process.env.BACKSTOP_FUZZ_SECONDS || 240);

let dataDir: string;
let up: Up | undefined;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'backstop-fuzz-'));
});

afterAll(async () => {
  await stopUp(up);
  // Last: every process that wrote there has stopped.
  removeWorkDir(dataDir);
});

describe('the API under fuzzing', () => {
  it('answers every generated request within its contract, with no 5xx, and keeps serving', async () => {
    expect(schemathesisInstalled()).toBe(true);
    const ports = await freeUpPorts();
    up = startUp(dataDir, ports, [], {
      BACKSTOP_VALIDATE_RESPONSES: '1',
      BACKSTOP_REPOSITORY_ROOTS: dataDir,
      BACKSTOP_BACKUP_ROOTS: dataDir,
      BACKSTOP_RESTORE_ROOTS: join(dataDir, 'restores'),
    });
    // The sample leaves a job, a repository and a snapshot for the fuzzer to reach into.
    await untilUp(up, /Restore check: \d+ files restored byte-equal/);
    const apiUrl = `http://127.0.0.1:${ports.api}`;
    const token = adminTokenOf(up);

    const { code, summary, casesGenerated } = await runSchemathesis(apiUrl, token, { maxSeconds: MAX_SECONDS });
    if (code !== 0) throw new Error(`schemathesis (seed ${FUZZ_SEED}) exited ${code}:\n${summary}`);
    expect(casesGenerated).toBeGreaterThan(0);

    // What the API itself saw: no unhandled error, no answer its own check replaced.
    expect(apiLogErrors(join(dataDir, 'logs', 'api.log'))).toEqual([]);

    // Still serving: the launcher, Temporal, the catalog, the API and the server worker.
    expect(up.proc.exitCode).toBeNull();
    const api = new ApiClient(apiUrl, token);
    await api.waitUntilHealthy(60_000);
    // The fuzzer may have renamed or deleted the sample (both are operations it calls); the
    // catalog still answers.
    expect(Array.isArray(await api.listRepositories())).toBe(true);
    const children = childrenOf(up.proc.pid!).map((p) => p.cmd);
    for (const role of [/temporal server start-dev/, /postgres -D/, / api$/, / worker server$/]) expect(children.some((c) => role.test(c))).toBe(true);
    // The local agent runs, unless the fuzzer revoked it; then it stays down and says why.
    const local = (await api.listAgents()).find((a) => a.name === 'local');
    if (local?.status === 'revoked') expect(up.out()).toMatch(/agent exited \(code 3\) and stays down/);
    else expect(children.some((c) => / agent$/.test(c))).toBe(true);

    // And Ctrl-C still stops it all.
    expect(await stopUp(up)).toBe(0);
    // The launcher has exited once its children have; what it SIGKILLed last (a grandchild
    // in the group) may still be on its way out on a loaded machine. A leak stays.
    await waitFor('every process of the stack to be gone', async () => processesOfDataDir(dataDir).length === 0, 60_000, 200);
  });
});
