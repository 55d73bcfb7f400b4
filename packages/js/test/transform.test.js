// tests/corpus/transform: every case whose findings are trusted (not `supplied`: those go through
// the HTTP contract's reconciliation, which this API does not expose). go_vectors.json must be
// complete; the other files run their trusted cases too. Offsets in the corpus are bytes.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { transform } from '@datafog/firewall';

import { corpusFiles, findingFromJson, hex } from './corpus.js';

const files = corpusFiles('transform');

test('go_vectors.json is in the corpus and has only trusted cases', () => {
  const go = files.find(([n]) => n === 'go_vectors.json');
  assert.ok(go, 'go_vectors.json missing');
  assert.ok(go[1].cases.length >= 10);
  assert.ok(go[1].cases.every((c) => !c.supplied && c.expect));
});

for (const [file, { cases }] of files) {
  test(`transform corpus: ${file}`, () => {
    const trusted = cases.filter((c) => !c.supplied);
    for (const c of trusted) {
      const got = transform(
        c.text,
        c.findings.map(findingFromJson),
        c.plan.map((s) => ({ entityType: s.entity_type, mode: s.mode })),
        hex(c.key ?? ''),
        { unit: 'byte' },
      );
      assert.ok(c.expect, `${c.name}: a trusted case has an expected output`);
      assert.deepEqual(
        { output: got.output, stats: { entities_transformed: got.stats.entitiesTransformed, modes_applied: got.stats.modesApplied } },
        c.expect,
        c.name,
      );
    }
  });
}
