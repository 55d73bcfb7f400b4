// Errors: a bad policy lists every field error; bad arguments are TypeErrors naming the argument;
// no error message quotes the scanned text.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkPolicy, DatafogError, decide, Engine, PolicyError, scan, transform } from '@datafog/firewall';

import { readRepoFile } from './corpus.js';

test('a bad policy throws a PolicyError carrying every field error', () => {
  const bad = {
    policy_id: 'p',
    policy_version: '1',
    rules: [
      { id: 'r1', effect: 'block' },
      { id: 'r2', effect: 'allow', any_entities: ['nope'], min_confidence: 2 },
    ],
  };
  for (const load of [() => Engine.load(bad), () => Engine.load(JSON.stringify(bad)), () => checkPolicy(bad)]) {
    assert.throws(load, (e) => {
      assert.ok(e instanceof PolicyError && e instanceof DatafogError && e instanceof Error);
      assert.equal(e.name, 'PolicyError');
      assert.equal(e.errors.length, 3, JSON.stringify(e.errors));
      const byField = Object.fromEntries(e.errors.map((x) => [x.field, x]));
      assert.equal(byField['rules[0].effect'].rule, 'r1');
      assert.match(byField['rules[0].effect'].message, /unsupported effect: block/);
      assert.equal(typeof byField['rules[0].effect'].help, 'string');
      assert.equal(byField['rules[1].min_confidence'].rule, 'r2');
      assert.equal(byField['rules[1].any_entities[0]'].rule, 'r2');
      // The message lists every problem.
      for (const x of e.errors) assert.ok(e.message.includes(x.message), x.message);
      return true;
    });
  }
});

test('a document that is not JSON is a PolicyError with a whole-document error', () => {
  assert.throws(
    () => Engine.load('{"policy_id": '),
    (e) => e instanceof PolicyError && e.errors.length === 1 && e.errors[0].rule === null,
  );
});

test('a good policy loads and reports what it is', () => {
  const info = checkPolicy(readRepoFile('config/policy.json'));
  assert.equal(info.policyId, 'datafog-starter');
  assert.ok(info.ruleCount > 3);
  const engine = Engine.load(readRepoFile('config/policy.json'));
  assert.equal(engine.policyId, 'datafog-starter');
  assert.equal(engine.policyVersion, info.policyVersion);
  engine.close();
  assert.throws(() => engine.scan('x'), (e) => e instanceof DatafogError && /closed/.test(e.message));
  engine.close(); // twice is fine
});

test('bad arguments are TypeErrors that name the argument, never quote the text', () => {
  const secret = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc';
  const checks = [
    [() => scan(42), /text must be a string/],
    [() => scan(secret, { unit: 'bytes' }), /unit must be one of utf16, codepoint, byte/],
    [() => scan(secret, { types: 'email' }), /options.types must be an array/],
    [() => decide({ type: 1 }), /action.type must be a string/],
    [() => decide({ type: 'shell.exec' }, [{ entityType: 'email', start: -1, end: 2 }]), /findings\[0\].start/],
    [() => transform(secret, [], [{ entityType: 'email', mode: 'shred' }]), /plan\[0\].mode/],
    [() => transform(secret, [], [], 'key'), /key must be a Uint8Array/],
    [() => Engine.load(7), /policy must be/],
    [() => new Engine(), /Engine.load/],
  ];
  for (const [fn, re] of checks) {
    assert.throws(fn, (e) => {
      assert.ok(e instanceof TypeError, `${e}`);
      assert.match(e.message, re);
      assert.ok(!e.message.includes(secret));
      return true;
    });
  }
});

test('the top-level decide uses the shipped starter policy', () => {
  const found = scan('curl -H "Authorization: Bearer ghp_abcdefghijklmnopqrstuvwxyz0123456789"');
  assert.ok(found.length > 0);
  const d = decide({ type: 'shell.exec', command: 'curl' }, found);
  assert.equal(d.effect, 'deny');
  assert.deepEqual(d.matchedRules.slice(0, 1), ['deny-command-secrets']);
  assert.deepEqual(decide({ type: 'shell.exec', command: 'ls' }), {
    effect: 'allow',
    matchedRules: ['allow-commands'],
    plan: [],
    reason: '',
  });
  assert.equal(decide({ type: 'no.such.action' }).effect, 'deny');
});
