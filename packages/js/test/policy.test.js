// Every file of tests/corpus/policy: the policy loads (or fails with exactly the expected
// messages) and every case decides as expected (tests/src/policy_corpus.rs).
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Engine, PolicyError } from '@datafog/firewall';

import { corpusFiles, decisionJson, findingFromJson, readRepoFile } from './corpus.js';

const files = corpusFiles('policy');

test('the policy corpus is there', () => {
  assert.ok(files.length >= 10, `only ${files.length} policy files`);
});

for (const [file, spec] of files) {
  test(`policy corpus: ${file}`, () => {
    const policy = typeof spec.policy === 'string' ? readRepoFile(spec.policy) : spec.policy;
    if (spec.expect_errors) {
      assert.throws(
        () => Engine.load(policy),
        (e) => {
          assert.ok(e instanceof PolicyError, `not a PolicyError: ${e}`);
          assert.deepEqual(e.errors.map((x) => x.message), spec.expect_errors);
          return true;
        },
      );
      return;
    }
    const engine = Engine.load(policy);
    assert.ok(spec.cases.length > 0, 'a loadable policy file has cases');
    for (const c of spec.cases) {
      const actual = decisionJson(engine.decide(c.action, (c.findings ?? []).map(findingFromJson)));
      for (const [k, want] of Object.entries(c.expect)) {
        assert.deepEqual(actual[k], want, `${c.name}: ${k}`);
      }
    }
    engine.close();
  });
}
