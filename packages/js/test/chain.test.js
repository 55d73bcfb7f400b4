// verifyChain on a real chain: receipts sealed by the component's own decide-request, then
// intact, continued from a midpoint, and broken each way.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ChainError, DatafogError, verifyChain } from '@datafog/firewall';

import { readRepoFile } from './corpus.js';
import { raw } from './internals.js';

const GENESIS = '0'.repeat(64);

function buildChain(n) {
  const engine = raw.Engine.load(readRepoFile('config/policy.json'));
  const lines = [];
  const hashes = [];
  let prev = GENESIS;
  for (let i = 0; i < n; i++) {
    const decided = engine.decideRequest(
      {
        action: { actionType: 'file.write', tool: 'fs', resource: `notes-${i}.txt`, command: '', args: [], sensitive: false },
        text: `note ${i}: mail jane${i}@example.com`,
        findings: [],
        requestId: `req-${i}`,
        traceId: '',
        tenantId: '',
        actorId: '',
        sessionId: '',
        idempotencyKey: '',
      },
      {
        receiptId: i.toString(16).padStart(32, '0'),
        timestamp: `2026-12-03T12:00:${String(i).padStart(2, '0')}.000000000Z`,
        prevHash: prev,
        key: new Uint8Array(32).fill(7),
        inputHash: '',
      },
    );
    assert.equal(decided.receipt.prevHash, prev);
    prev = decided.receipt.hash;
    lines.push(decided.receipt.line);
    hashes.push(prev);
  }
  return { lines, hashes };
}

const { lines, hashes } = buildChain(6);

test('an intact chain verifies, as lines or as JSONL text', () => {
  assert.deepEqual(verifyChain(lines), { count: 6, lastHash: hashes[5] });
  assert.deepEqual(verifyChain(lines.join('\n') + '\n'), { count: 6, lastHash: hashes[5] });
  assert.deepEqual(verifyChain([]), { count: 0, lastHash: GENESIS });
});

test('a chain continues from a previous file\'s last hash', () => {
  assert.deepEqual(verifyChain(lines.slice(3), { prevHash: hashes[2] }), { count: 3, lastHash: hashes[5] });
  assert.throws(() => verifyChain(lines.slice(3)), (e) => e instanceof ChainError && e.kind === 'broken-link' && e.line === 1);
});

test('every kind of break is a ChainError with its line', () => {
  const altered = [...lines];
  altered[2] = altered[2].replace('notes-2.txt', 'notes-9.txt');
  assert.notEqual(altered[2], lines[2]);
  const cases = [
    [altered, 'hash-mismatch', 3],
    [[...lines.slice(0, 2), ...lines.slice(3)], 'broken-link', 3],
    [[lines[0], lines[1].slice(0, 40)], 'malformed', 2],
    [[lines[0], '{"prev_hash":"x"}'], 'missing-field', 2],
  ];
  for (const [chain, kind, line] of cases) {
    assert.throws(
      () => verifyChain(chain),
      (e) => {
        assert.ok(e instanceof ChainError && e instanceof DatafogError && e instanceof Error);
        assert.equal(e.kind, kind);
        assert.equal(e.line, line);
        assert.match(e.message, /^receipt chain broken: /);
        return true;
      },
      kind,
    );
  }
  assert.throws(() => verifyChain([lines[0], '{"prev_hash":"x"}']), (e) => e.field === 'hash');
});

test('receipts carry no raw values', () => {
  for (const [i, line] of lines.entries()) assert.ok(!line.includes(`jane${i}@example.com`));
});
