import { ErrorType, NON_RETRYABLE_ERROR_TYPES } from '../../../contract/errors';
import { CheckProblems } from './check-report';
import { isResticCheckProblem, resticCheckFoundDamage } from './restic/parse';
import { borgCheckLine } from './borg/parse';

describe('CheckProblems', () => {
  test('names the first three problems and counts the rest; not retryable', () => {
    const p = new CheckProblems();
    for (const l of ['pack 1: does not exist', '  ', 'pack 2: does not exist', 'tree 3: blob missing', 'pack 4: does not exist', 'pack 5: does not exist']) p.add(l);
    expect(p.count).toBe(5);
    const err = p.damaged('restic check');
    expect(err.type).toBe(ErrorType.repositoryDamaged);
    expect(err.retryable).toBe(false);
    expect(NON_RETRYABLE_ERROR_TYPES).toContain(ErrorType.repositoryDamaged);
    expect(err.message).toBe('restic check: the repository is damaged: pack 1: does not exist; pack 2: does not exist; tree 3: blob missing (and 2 more)');
  });

  test('says the repository is damaged even when no problem line was seen', () => {
    expect(new CheckProblems().damaged('borg check').message).toBe('borg check: the repository is damaged');
    const one = new CheckProblems();
    one.add('pack 1: does not exist');
    expect(one.damaged('restic check').message).toBe('restic check: the repository is damaged: pack 1: does not exist');
  });
});

// restic 0.18.1, one pack file deleted after a backup (stderr of `restic check`).
const RESTIC_DAMAGED_STDERR = `pack 46f7a6121fa26b3976c0a2e2810b18faa5643c65788a9d299f846538b573ad04: does not exist

The repository is damaged and must be repaired. Please follow the troubleshooting guide at https://restic.readthedocs.io/en/stable/077_troubleshooting.html .

Fatal: repository contains errors
`;

describe('restic check output', () => {
  test('damage is restic finishing with "repository contains errors"; other failures are not damage', () => {
    expect(resticCheckFoundDamage(RESTIC_DAMAGED_STDERR)).toBe(true);
    expect(resticCheckFoundDamage('Fatal: wrong password or no key found\n')).toBe(false);
    expect(resticCheckFoundDamage('Fatal: unable to create lock in backend: repository is already locked exclusively by PID 1\n')).toBe(false);
  });

  test('problem lines are the ones between restic\'s verdicts', () => {
    const problems = RESTIC_DAMAGED_STDERR.split('\n').filter(isResticCheckProblem);
    expect(problems).toEqual(['pack 46f7a6121fa26b3976c0a2e2810b18faa5643c65788a9d299f846538b573ad04: does not exist']);
  });
});

// restic 0.18.1, `check --read-data-subset=100%` after 16 bytes of a data pack were flipped.
const RESTIC_CORRUPT_PACK_STDERR = `pack 95366723c90cf0d68b861ed2ad89fb1567d24c97495b1d19537b861010a126b8 contains 2 errors: [blob d9b0a54499f1f1f74febda81dae755bda4667da41f46568c3cab26b95c07447d: decrypting blob <data/d9b0a544> from 95366723 failed: ciphertext verification failed unexpected pack id 2dbe45265ddf8822075ef6c5b3af760e7cab327ebfae09cbf7c83e0b71b06c4c]

The repository contains damaged pack files. These damaged files must be removed to repair the repository. This can be done using the following commands. Please read the troubleshooting guide at https://restic.readthedocs.io/en/stable/077_troubleshooting.html first.

restic repair packs 95366723c90cf0d68b861ed2ad89fb1567d24c97495b1d19537b861010a126b8
restic repair snapshots --forget

Damaged pack files can be caused by backend problems, hardware problems or bugs in restic. Please open an issue at https://github.com/restic/restic/issues/new/choose for further troubleshooting!
Fatal: repository contains errors
`;

describe('restic check output with a data read', () => {
  test('a corrupt pack is the problem; the repair advice around it is not', () => {
    expect(resticCheckFoundDamage(RESTIC_CORRUPT_PACK_STDERR)).toBe(true);
    const problems = RESTIC_CORRUPT_PACK_STDERR.split('\n').filter(isResticCheckProblem);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^pack 95366723\w+ contains 2 errors: .*ciphertext verification failed/);
  });
});

describe('borg check output', () => {
  const log = (levelname: string, message: string, msgid?: string) => JSON.stringify({ type: 'log_message', time: 1, message, levelname, name: 'borg.repository', ...(msgid ? { msgid } : {}) });

  test('ERROR lines are problems, the closing "errors found" lines the verdict (borg 1.2.4, a corrupted segment)', () => {
    expect(borgCheckLine(log('ERROR', 'Data integrity error: Segment entry checksum mismatch [segment 1, offset 8]'))).toEqual({ problem: 'Data integrity error: Segment entry checksum mismatch [segment 1, offset 8]', verdict: false });
    expect(borgCheckLine(log('ERROR', 'Finished full repository check, errors found.'))).toEqual({ problem: null, verdict: true });
    expect(borgCheckLine(log('ERROR', 'Archive consistency check complete, problems found.'))).toEqual({ problem: null, verdict: true });
  });

  test('lock and access errors (with a msgid), info lines and plain text are neither', () => {
    expect(borgCheckLine(log('ERROR', 'Failed to create/acquire the lock', 'LockTimeout'))).toEqual({ problem: null, verdict: false });
    expect(borgCheckLine(log('INFO', 'Starting repository check'))).toEqual({ problem: null, verdict: false });
    expect(borgCheckLine('IMPORTANT: you will need both KEY AND PASSPHRASE')).toEqual({ problem: null, verdict: false });
  });
});
