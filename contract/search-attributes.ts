// Typed keys of Backstop's search attributes, shared by the API (set at start) and the
// workflows (filled in and upserted at the end). Search attributes are never encrypted:
// only ids, names and outcomes go in them, no paths, no secrets. Workflows import this
// module, so it must stay free of Node APIs.
import { SearchAttributeType, defineSearchAttributeKey, type SearchAttributePair } from '@temporalio/common';
import { SearchAttribute } from './names';

export const SearchAttributeKeys = {
  jobId: defineSearchAttributeKey(SearchAttribute.jobId, SearchAttributeType.KEYWORD),
  agent: defineSearchAttributeKey(SearchAttribute.agent, SearchAttributeType.KEYWORD),
  kind: defineSearchAttributeKey(SearchAttribute.kind, SearchAttributeType.KEYWORD),
  repository: defineSearchAttributeKey(SearchAttribute.repository, SearchAttributeType.KEYWORD),
  outcome: defineSearchAttributeKey(SearchAttribute.outcome, SearchAttributeType.KEYWORD),
} as const;

/** What a run is about, as far as it is known; absent fields are left unset. */
export interface RunAttributes {
  kind: string;
  jobId?: number | null;
  agentName?: string | null;
  /** The repository's id (its name may be chosen by anyone; the id is enough to filter). */
  repositoryId?: number | null;
}

/** `BackstopJobId='4'` etc.: every value a keyword, so the Web UI filters with `=`. */
export function runSearchAttributes(a: RunAttributes): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [{ key: SearchAttributeKeys.kind, value: a.kind }];
  if (a.jobId != null) pairs.push({ key: SearchAttributeKeys.jobId, value: String(a.jobId) });
  if (a.agentName != null) pairs.push({ key: SearchAttributeKeys.agent, value: a.agentName });
  if (a.repositoryId != null) pairs.push({ key: SearchAttributeKeys.repository, value: String(a.repositoryId) });
  return pairs;
}
