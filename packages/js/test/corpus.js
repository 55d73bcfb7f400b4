// The golden corpus (tests/corpus in the repository), read by the tests. The tests run from the
// source tree or from a copy next to an installed tarball, so the repository is found by
// $DATAFOG_REPO_ROOT, else relative to this file (packages/js/test/).
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = process.env.DATAFOG_REPO_ROOT
  ? resolve(process.env.DATAFOG_REPO_ROOT)
  : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Every `tests/corpus/<area>/*.json` file, sorted, as `[name, parsed]`. */
export function corpusFiles(area) {
  const dir = join(repoRoot, 'tests', 'corpus', area);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .sort()
    .map((n) => [n, JSON.parse(readFileSync(join(dir, n), 'utf8'))]);
}

export function readRepoFile(path) {
  return readFileSync(join(repoRoot, path), 'utf8');
}

/**
 * Expected vs actual detection rows (`{type, value, start?, end?}`), as the Rust harness compares
 * them (tests/src/lib.rs `compare`): type and value, plus offsets where the label has them.
 * Returns the unexpected and the missing rows.
 */
export function compare(expect, actual) {
  const unmatched = actual.map((a) => a);
  const missing = [];
  for (const e of expect) {
    const i = unmatched.findIndex(
      (a) =>
        a !== null &&
        a.type === e.type &&
        a.value === e.value &&
        (e.start === undefined || a.start === e.start) &&
        (e.end === undefined || a.end === e.end),
    );
    if (i < 0) missing.push(e);
    else unmatched[i] = null;
  }
  return { unexpected: unmatched.filter((a) => a !== null), missing };
}

/** A JSON action object (`type`, `tool`, ...) is already the API's action. */
export function findingFromJson(f) {
  return { entityType: f.entity_type, start: f.start, end: f.end, confidence: f.confidence };
}

/** The corpus's comparable form of a decision (tests/src/policy_corpus.rs `decision_json`). */
export function decisionJson(d) {
  return {
    decision: d.effect,
    matched_rules: d.matchedRules,
    plan: d.plan.map((s) => ({ entity_type: s.entityType, mode: s.mode })),
    reason: d.reason,
  };
}

export function hex(s) {
  return Uint8Array.from(Buffer.from(s, 'hex'));
}
