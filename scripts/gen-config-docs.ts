// Writes the settings tables of README.md (every variable) and deploy/agent/README.md (the
// agent's) from core/settings.ts, between their generated-section markers.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../core/project-root';
import { settingsTable, withSettingsTable, type Reader } from '../core/settings';

for (const [doc, reader] of [['README.md', undefined], [join('deploy', 'agent', 'README.md'), 'agent']] as Array<[string, Reader | undefined]>) {
  const path = join(projectRoot(), doc);
  const before = readFileSync(path, 'utf8');
  const after = withSettingsTable(before, settingsTable(reader));
  if (after !== before) writeFileSync(path, after);
  console.log(`${doc}: ${after === before ? 'up to date' : 'rewritten'}`);
}
