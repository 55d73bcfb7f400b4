// The package must answer, not stay silent: a scan of the benchmark sample finds what is in it,
// and a trap is an error that poisons every later call (never an empty answer).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import * as df from '@datafog/firewall';

import { repoRoot } from './corpus.js';
import { guard, pkgRoot } from './internals.js';

const sample = readFileSync(join(repoRoot, 'tests', 'corpus', 'bench', 'sample.txt'), 'utf8');

test('scanning the benchmark sample finds many entities of many types', () => {
  const found = df.scan(sample);
  assert.ok(found.length >= 10, `only ${found.length} findings`);
  const types = new Set(found.map((f) => f.entityType));
  for (const t of ['email', 'phone', 'private_key', 'aws_access_key']) assert.ok(types.has(t), `no ${t} in ${[...types]}`);
  for (const f of found) {
    assert.ok(f.start < f.end && f.end <= sample.length);
    assert.ok(f.confidence > 0 && f.confidence <= 1);
  }
  assert.notEqual(df.redact(sample), sample);
  assert.ok(df.redact(sample).includes('[REDACTED]'));
});

test('the package is the component it says it is', () => {
  if (process.env.DATAFOG_EXPECT_INSTALLED) {
    // scripts/test-node: the tests must run against the installed tarball, not the source tree.
    assert.match(pkgRoot, /[\\/]node_modules[\\/]@datafog[\\/]firewall$/);
  }
  assert.match(df.coreVersion(), /^\d+\.\d+\.\d+\+[0-9a-f]{16}$/);
  const pkg = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8'));
  assert.equal(pkg.name, '@datafog/firewall');
  assert.equal(df.coreVersion().split('+')[0], pkg.version);
});

test('a trap is a TrapError, and every later call throws too', async () => {
  // A real WebAssembly trap: a module whose only function executes `unreachable`.
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
    0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type: () -> ()
    0x03, 0x02, 0x01, 0x00, // func 0 has type 0
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00, // export "f"
    0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b, // body: unreachable, end
  ]);
  const { instance } = await WebAssembly.instantiate(bytes);
  assert.ok(df.scan('jane@example.com').length === 1);
  assert.throws(
    () => guard.call(() => instance.exports.f()),
    (e) => e instanceof df.TrapError && e.cause instanceof WebAssembly.RuntimeError,
  );
  // Poisoned: the firewall refuses to answer instead of answering "nothing found".
  for (const fn of [() => df.scan('jane@example.com'), () => df.decide({ type: 'shell.exec' }), () => df.coreVersion()]) {
    assert.throws(fn, (e) => e instanceof df.TrapError && /trapped earlier/.test(e.message));
  }
});
