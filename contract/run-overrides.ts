// No Node APIs: the backup workflow merges overrides itself.
// What a server pre script may change for one run, by printing `KEY=VALUE` lines on stdout:
//
//   TAGS=a,b       extra engine tags for this run's snapshot (replaces earlier TAGS lines)
//   LABEL=nightly  a label, stored as the tag `backstop-label=<label>`
//   EXCLUDE=*.tmp  one more exclude pattern (repeatable)
//
// Any other stdout line is reported as a warning in the run log; stderr is just logged.

export interface RunOverrides {
  tags: string[];
  label: string | null;
  excludes: string[];
}

export const NO_OVERRIDES: RunOverrides = { tags: [], label: null, excludes: [] };

export const LABEL_TAG_PREFIX = 'backstop-label=';

const TAG = /^[A-Za-z0-9._:@+-]{1,100}$/;
const LINE = /^([A-Z][A-Z0-9_]*)=(.*)$/;

export interface ParsedScriptOutput {
  overrides: RunOverrides;
  /** Lines that are not a known override, and overrides with a bad value, with the reason. */
  warnings: string[];
}

export function parseScriptOutput(stdout: readonly string[]): ParsedScriptOutput {
  const overrides: RunOverrides = { tags: [], label: null, excludes: [] };
  const warnings: string[] = [];
  for (const raw of stdout) {
    const line = raw.trim();
    if (line === '') continue;
    const m = LINE.exec(line);
    const [key, value] = m ? [m[1]!, m[2]!.trim()] : [null, ''];
    if (key === 'TAGS') {
      const tags = value.split(',').map((t) => t.trim()).filter((t) => t !== '');
      const bad = tags.filter((t) => !TAG.test(t));
      if (bad.length > 0) warnings.push(`ignored TAGS: ${bad.map((t) => `"${t}"`).join(', ')} is not a valid tag (letters, digits and ._:@+-)`);
      else overrides.tags = tags;
    } else if (key === 'LABEL') {
      if (TAG.test(value)) overrides.label = value;
      else warnings.push(`ignored LABEL: "${value}" is not a valid label (letters, digits and ._:@+-, at most 100)`);
    } else if (key === 'EXCLUDE') {
      if (value !== '') overrides.excludes.push(value);
      else warnings.push('ignored EXCLUDE: empty pattern');
    } else {
      warnings.push(`unrecognised pre script output (not TAGS=, LABEL= or EXCLUDE=): ${line.slice(0, 200)}`);
    }
  }
  return { overrides, warnings };
}

/** Later scripts add to earlier ones; a later TAGS or LABEL replaces an earlier one. */
export function mergeOverrides(a: RunOverrides, b: RunOverrides): RunOverrides {
  return { tags: b.tags.length > 0 ? b.tags : a.tags, label: b.label ?? a.label, excludes: [...a.excludes, ...b.excludes] };
}

/** The engine tags the overrides add to a run's snapshots. */
export function overrideTags(o: RunOverrides): string[] {
  return [...o.tags, ...(o.label ? [`${LABEL_TAG_PREFIX}${o.label}`] : [])];
}
