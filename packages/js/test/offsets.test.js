// Offsets outside the Basic Multilingual Plane: UTF-16 (the default) indexes the JS string,
// `codepoint` indexes [...text], `byte` the UTF-8 encoding; transform takes any of them back.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Engine, scan, transform } from '@datafog/firewall';

// Each emoji is 2 UTF-16 units, 1 code point and 4 UTF-8 bytes, so the three units disagree after
// the first one.
const text = '🔥🔥 mail jane.doe@example.com 🧪 ssn 123-45-6789 𝔘𝔫𝔦 and 4111 1111 1111 1111 ✅';

function values(findings, slice) {
  return findings.map((f) => [f.entityType, slice(f.start, f.end)]);
}

test('UTF-16 offsets (the default) slice the JS string', () => {
  const found = scan(text);
  assert.deepEqual(values(found, (s, e) => text.slice(s, e)), [
    ['email', 'jane.doe@example.com'],
    ['ssn', '123-45-6789'],
    ['credit_card', '4111 1111 1111 1111'],
  ]);
  // Not the byte offsets: the emojis moved them.
  assert.equal(found[0].start, text.indexOf('jane'));
  assert.notEqual(found[0].start, Buffer.from(text.slice(0, found[0].start)).length);
});

test('code point and byte offsets index [...text] and the UTF-8 bytes', () => {
  const cps = [...text];
  const bytes = Buffer.from(text, 'utf8');
  const byCp = scan(text, { unit: 'codepoint' });
  const byByte = scan(text, { unit: 'byte' });
  const want = values(scan(text), (s, e) => text.slice(s, e));
  assert.deepEqual(values(byCp, (s, e) => cps.slice(s, e).join('')), want);
  assert.deepEqual(values(byByte, (s, e) => bytes.subarray(s, e).toString('utf8')), want);
  assert.equal(byCp[0].start, cps.indexOf('j'));
  assert.equal(byByte[0].start, bytes.indexOf('jane'));
});

test('transform takes the findings scan returned, in any unit', () => {
  const plan = [
    { entityType: 'email', mode: 'mask' },
    { entityType: 'ssn', mode: 'redact' },
    { entityType: 'credit_card', mode: 'redact' },
  ];
  const want = '🔥🔥 mail ******************** 🧪 ssn [REDACTED] 𝔘𝔫𝔦 and [REDACTED] ✅';
  for (const unit of [undefined, 'utf16', 'codepoint', 'byte']) {
    const found = scan(text, { unit });
    const out = transform(text, found, plan, undefined, { unit });
    assert.equal(out.output, want, `unit ${unit}`);
    assert.equal(out.stats.entitiesTransformed, 3);
  }
});

test('a UTF-16 offset inside a surrogate pair or past the end is skipped, like a bad byte offset', () => {
  const t = 'x😀y';
  const plan = [{ entityType: 'email', mode: 'redact' }];
  const one = (start, end) => transform(t, [{ entityType: 'email', start, end }], plan).output;
  assert.equal(one(1, 3), 'x[REDACTED]y'); // the whole emoji
  assert.equal(one(2, 3), t); // starts inside the pair
  assert.equal(one(1, 2), t); // ends inside the pair
  assert.equal(one(3, 9), t); // past the end
  assert.equal(one(0, 4), '[REDACTED]'); // the whole string
});

test('lone surrogates count as one unit (the guest sees U+FFFD)', () => {
  const t = '\ud800 a@b.co \udc00 jane@example.com';
  const found = scan(t, { types: ['email'] });
  assert.deepEqual(values(found, (s, e) => t.slice(s, e)), [
    ['email', 'a@b.co'],
    ['email', 'jane@example.com'],
  ]);
  // And transform maps them back to the same bytes.
  const out = transform(t, found, [{ entityType: 'email', mode: 'redact' }]).output;
  assert.equal(out, '\ufffd [REDACTED] \ufffd [REDACTED]');
});

test('an Engine scans in UTF-16 by default too, with its custom detectors', () => {
  const engine = Engine.load({
    policy_id: 'p',
    policy_version: '1',
    rules: [{ id: 'r', effect: 'allow_with_redaction', any_entities: ['ticket'] }],
    custom_detectors: [{ name: 'ticket', pattern: 'TCK-[0-9]{4}' }],
  });
  const t = '🎫🎫 see TCK-1234 please';
  const r = engine.scanAndDecide({ type: 'file.write' }, t);
  assert.deepEqual(values(r.findings, (s, e) => t.slice(s, e)), [['ticket', 'TCK-1234']]);
  assert.equal(r.decision.effect, 'allow_with_redaction');
  engine.close();
});
