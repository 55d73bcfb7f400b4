// Compiled (never run) by `tsc --noEmit -p types-check`: every export used as documented, and
// some misuses that must not compile (each `@ts-expect-error` fails the check if the line is
// accepted).
import {
  ChainError,
  checkPolicy,
  coreVersion,
  DatafogError,
  decide,
  defaultPolicyEngine,
  Engine,
  PolicyError,
  redact,
  scan,
  transform,
  TrapError,
  verifyChain,
  type Decision,
  type Effect,
  type FieldError,
  type Finding,
  type TransformResult,
} from '@datafog/firewall';

const text = 'mail jane@example.com';
const found: Finding[] = scan(text, { types: ['email', 'secret'], unit: 'utf16' });
const first: string = text.slice(found[0].start, found[0].end);
const d: Decision = decide({ type: 'file.write', resource: 'notes.txt' }, found);
const effect: Effect = d.effect;
const out: TransformResult = transform(text, found, d.plan, new Uint8Array(32), { unit: 'utf16' });
const redacted: string = redact(text);
const version: string = coreVersion();

{
  using engine = Engine.load({ policy_id: 'p', policy_version: '1', rules: [{ id: 'r', effect: 'allow' }] });
  const id: string = engine.policyId;
  const sd = engine.scanAndDecide({ type: 'shell.exec', command: 'ls', args: ['-l'] }, text, { unit: 'codepoint' });
  const n: number = sd.findings.length + engine.scan(text).length;
  engine.transform(text, sd.findings, [{ entityType: 'any', mode: 'redact' }]);
  engine.decide({ type: 'http.request' });
  void [id, n];
}

try {
  checkPolicy('{}');
  verifyChain(['{}'], { prevHash: '0'.repeat(64) });
} catch (e) {
  if (e instanceof PolicyError) {
    const errors: FieldError[] = e.errors;
    const rule: string | null = errors[0].rule;
    void rule;
  } else if (e instanceof ChainError) {
    const line: number = e.line;
    const kind: 'malformed' | 'missing-field' | 'hash-mismatch' | 'broken-link' = e.kind;
    void [line, kind];
  } else if (e instanceof TrapError || e instanceof DatafogError) {
    throw e;
  }
}
defaultPolicyEngine().close();

// @ts-expect-error: offsets are in one of three units
scan(text, { unit: 'bytes' });
// @ts-expect-error: not a mode
transform(text, found, [{ entityType: 'email', mode: 'shred' }]);
// @ts-expect-error: an effect is one of four
const wrong: Effect = 'block';
// @ts-expect-error: engines come from Engine.load
new Engine();

void [first, effect, out, redacted, version, wrong];
