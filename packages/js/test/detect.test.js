// Every labelled detection case of tests/corpus/detect through the package: the findings must
// equal the labels (as tests/tests/integration/detect_corpus.rs checks the native core).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { scan } from '@datafog/firewall';

import { compare, corpusFiles } from './corpus.js';

const files = corpusFiles('detect');

test('the detection corpus is there', () => {
  assert.ok(files.length >= 10, `only ${files.length} detection files`);
  const cases = files.reduce((n, [, f]) => n + f.cases.length, 0);
  assert.ok(cases >= 500, `only ${cases} detection cases`);
});

for (const [file, { cases }] of files) {
  test(`detect corpus: ${file}`, () => {
    const failures = [];
    let expected = 0;
    let matched = 0;
    for (const c of cases) {
      const options = c.types ? { types: c.types } : {};
      const bytes = Buffer.from(c.text, 'utf8');
      // Byte offsets are what the labels carry.
      const byByte = scan(c.text, { ...options, unit: 'byte' });
      const actual = byByte.map((f) => ({
        type: f.entityType,
        value: bytes.subarray(f.start, f.end).toString('utf8'),
        start: f.start,
        end: f.end,
      }));
      // The default unit (UTF-16) slices the same values from the JS string.
      const byUtf16 = scan(c.text, options);
      assert.deepEqual(
        byUtf16.map((f) => [f.entityType, c.text.slice(f.start, f.end)]),
        actual.map((a) => [a.type, a.value]),
        `${c.name}: UTF-16 offsets slice different values than byte offsets`,
      );
      const { unexpected, missing } = compare(c.expect, actual);
      const differs = unexpected.length > 0 || missing.length > 0;
      if (c.known_gap !== undefined) {
        // A gap that closed must be promoted to a normal case (as the Rust test requires).
        if (!differs) failures.push(`${c.name}: known_gap no longer differs`);
        continue;
      }
      expected += c.expect.length;
      matched += c.expect.length - missing.length;
      if (differs) {
        // Types and offsets only: the corpus values are test data, but keep reports value-free.
        const rows = (xs) => xs.map((x) => `${x.type}@${x.start ?? '?'}..${x.end ?? '?'}`).join(', ');
        failures.push(`${c.name}: unexpected [${rows(unexpected)}]; missing [${rows(missing)}]`);
      }
    }
    assert.deepEqual(failures, [], `${failures.length} of ${cases.length} cases differ`);
    assert.equal(matched, expected);
  });
}
