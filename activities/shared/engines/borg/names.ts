// Borg archive names and comments, as data. Borg has no tags: Backstop derives the archive's
// name from the request's tags (so a retried attempt of a run writes the same name and finds
// its own archive) and keeps the tags, host and paths as JSON in the archive comment.
import { createHash } from 'node:crypto';
import { ITEM_TAG_PREFIX, JOB_TAG_PREFIX } from '../../../../contract/names';
import type { EngineSnapshot } from '../../../../contract/engine';

const RUN_TAG_PREFIX = 'backstop-run=';

/**
 * A tag as a piece of an archive name: borg refuses '/' in names, and '.' separates the
 * pieces, whitespace would make prune's listing ambiguous, and glob characters would make
 * the group's --glob-archives match more than its own archives.
 */
export function sanitizeNamePart(tag: string): string {
  return tag.replace(/[/\s*?[\]\\.]/g, '_');
}

/** The parts of the name that say which archives belong together (retention's group). */
function groupParts(tags: readonly string[]): string[] {
  const job = tags.find((t) => t.startsWith(JOB_TAG_PREFIX));
  const item = tags.find((t) => t.startsWith(ITEM_TAG_PREFIX));
  return [job, item].filter((t): t is string => t !== undefined).map(sanitizeNamePart);
}

/**
 * `<job tag>.<item tag>.<run tag>` (those present), e.g.
 * `backstop-job=3.backstop-run=backup_3_2026-12-03T00_36_07Z`. Without a job or run tag (tests,
 * the sample) the name is `backstop-tags=<hash of all tags>`: still deterministic.
 */
export function archiveName(tags: readonly string[]): string {
  const run = tags.find((t) => t.startsWith(RUN_TAG_PREFIX));
  const parts = groupParts(tags);
  if (parts.length === 0 || run === undefined) {
    const digest = createHash('sha256').update(JSON.stringify([...tags].sort())).digest('hex').slice(0, 16);
    return [...parts, `backstop-tags=${digest}`].join('.');
  }
  return [...parts, sanitizeNamePart(run)].join('.');
}

/**
 * The group of an archive: its name without the last (run) part. Prune runs once per group
 * with `--glob-archives '<group>.*'`, so a job's files and each of its plugin streams keep
 * their own history, as restic's host+paths groups do.
 */
export function archiveGroup(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

/**
 * The --glob-archives pattern of an archive's group: the group, a dot, and the kind of the
 * last part (`backstop-run=*`). Not `<group>.*`: that would also match the longer names of
 * the job's plugin streams (`<job>.<item>.<run>`), mixing their history into the files'.
 */
export function groupGlob(name: string): string {
  const dot = name.lastIndexOf('.');
  const last = name.slice(dot + 1);
  const eq = last.indexOf('=');
  return `${name.slice(0, dot + 1)}${eq < 0 ? '' : last.slice(0, eq + 1)}*`;
}

/** What Backstop stores in an archive's comment. */
export interface BackstopComment {
  backstop: 1;
  tags: string[];
  host: string;
  paths: string[];
}

export function archiveComment(tags: readonly string[], host: string, paths: readonly string[]): string {
  const comment: BackstopComment = { backstop: 1, tags: [...tags], host, paths: [...paths] };
  return JSON.stringify(comment);
}

/**
 * borg 1.2 expands `{placeholders}` in --comment (as in archive names): braces are doubled so
 * the JSON arrives as written.
 */
export function escapePlaceholders(text: string): string {
  return text.replace(/[{}]/g, (c) => c + c);
}

/** The comment of an archive Backstop wrote, or null (an operator's archive, or another comment). */
export function parseComment(comment: unknown): BackstopComment | null {
  if (typeof comment !== 'string' || !comment.startsWith('{')) return null;
  try {
    const c = JSON.parse(comment) as Record<string, unknown>;
    if (c.backstop !== 1 || !Array.isArray(c.tags)) return null;
    return {
      backstop: 1,
      tags: c.tags.map(String),
      host: typeof c.host === 'string' ? c.host : '',
      paths: Array.isArray(c.paths) ? c.paths.map(String) : [],
    };
  } catch {
    return null;
  }
}

/** An archive as Backstop sees it: the snapshot, plus the name borg addresses it by. */
export interface Archive {
  name: string;
  snapshot: EngineSnapshot;
}
