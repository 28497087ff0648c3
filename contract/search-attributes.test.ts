import { runSearchAttributes, SearchAttributeKeys } from './search-attributes';
import { SearchAttribute } from './names';

describe('runSearchAttributes', () => {
  it('sets every known field as a keyword string', () => {
    const pairs = runSearchAttributes({ kind: 'backup', jobId: 4, agentName: 'web1', repositoryId: 2 });
    expect(pairs.map((p) => [p.key.name, p.key.type, p.value])).toEqual([
      [SearchAttribute.kind, 'KEYWORD', 'backup'],
      [SearchAttribute.jobId, 'KEYWORD', '4'],
      [SearchAttribute.agent, 'KEYWORD', 'web1'],
      [SearchAttribute.repository, 'KEYWORD', '2'],
    ]);
  });

  it('leaves out what a run does not have (a prune has no job nor agent)', () => {
    const pairs = runSearchAttributes({ kind: 'prune', jobId: null, agentName: null, repositoryId: 3 });
    expect(pairs.map((p) => p.key.name)).toEqual([SearchAttribute.kind, SearchAttribute.repository]);
  });

  it('defines a key for each name in contract/names.ts', () => {
    expect(Object.values(SearchAttributeKeys).map((k) => k.name).sort()).toEqual(Object.values(SearchAttribute).sort());
  });
});
