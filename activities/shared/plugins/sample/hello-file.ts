// A sample third-party plugin: how to write one. It writes a greeting file into its work
// directory before the backup and contributes it, so the snapshot holds `hello.txt`.
// Load it on an agent with BACKSTOP_PLUGIN_MODULES=/path/to/activities/shared/plugins/sample/hello-file.ts
// and create a configuration `{"plugin": "hello_file", "settings": {"greeting": "hi"}}`.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { reportOf, type BackstopPlugin } from '../../../../contract/plugin-api';
import { onlyFields, optionalString, settingsObject } from '../config-fields';

export interface HelloFileConfig {
  greeting: string;
  /** A secret field: sealed at rest, handed only to this configuration's agent. */
  signature?: string;
}

const TYPE = 'hello_file';

export const plugin: BackstopPlugin<HelloFileConfig> = {
  type: TYPE,
  description: 'writes a greeting file and includes it in the backup',
  capabilities: { engines: ['restic'], restoreTargets: ['files'] },
  secretFields: ['signature'],

  parseConfig(raw) {
    const s = settingsObject(raw, TYPE);
    onlyFields(s, TYPE, ['greeting', 'signature']);
    const signature = optionalString(s, TYPE, 'signature');
    return { greeting: optionalString(s, TYPE, 'greeting') ?? 'hello', ...(signature ? { signature } : {}) };
  },

  async backupInit(ctx) {
    await mkdir(join(ctx.workDir, 'hello'), { recursive: true, mode: 0o700 });
  },

  async backup(ctx, config) {
    const file = join(ctx.workDir, 'hello', 'hello.txt');
    await writeFile(file, `${config.greeting} from ${ctx.agentName}, job ${ctx.jobName}\n`, { mode: 0o600 });
    ctx.log('stdout', `wrote ${file}`);
    return { paths: [join(ctx.workDir, 'hello')], streams: [] };
  },

  async backupCleanup(ctx) {
    await rm(join(ctx.workDir, 'hello'), { recursive: true, force: true });
  },

  async test(ctx) {
    try {
      await mkdir(ctx.workDir, { recursive: true, mode: 0o700 });
      await writeFile(join(ctx.workDir, 'probe'), 'ok');
      await rm(join(ctx.workDir, 'probe'));
      return reportOf([{ name: 'work directory writable', ok: true, detail: ctx.workDir }]);
    } catch (e) {
      return reportOf([{ name: 'work directory writable', ok: false, detail: (e as Error).message }]);
    }
  },
};
