// Types of @datafog/firewall (written by hand: jco's generated types describe the raw WIT
// bindings in gen/, which this package wraps).

/** The unit of `Finding.start` / `end`. `utf16` (the default) indexes JS strings. */
export type OffsetUnit = 'utf16' | 'codepoint' | 'byte';

/** One detected entity: the half-open range `[start, end)` of the scanned text. */
export interface Finding {
  /** A built-in type (`email`, `ssn`, `stripe_key`, ...) or a policy custom detector's name. */
  entityType: string;
  start: number;
  end: number;
  /** 0 ..= 1. */
  confidence: number;
}

/** A finding passed in: `confidence` defaults to 1. */
export interface FindingInput {
  entityType: string;
  start: number;
  end: number;
  confidence?: number;
}

export interface ScanOptions {
  /**
   * Report only these types (groups `secret`, `pii`, `any` expand; names are trimmed and
   * case-insensitive; unknown names match nothing). Omitted or empty: every type.
   */
  types?: readonly string[];
  /** Unit of the returned offsets; default `utf16`. */
  unit?: OffsetUnit;
}

export interface TransformOptions {
  /** Unit of the findings' offsets; default `utf16` (what `scan` returns by default). */
  unit?: OffsetUnit;
}

/** The action an agent is about to take (the policy's `ActionMeta`; omitted fields are empty). */
export interface Action {
  /** `shell.exec`, `file.read`, `file.write`, `http.request`, ... */
  type?: string;
  tool?: string;
  resource?: string;
  command?: string;
  args?: readonly string[];
  sensitive?: boolean;
}

/** A rule effect and a decision's outcome (the policy's wire names). */
export type Effect = 'allow' | 'allow_with_redaction' | 'transform' | 'deny';

export type TransformMode = 'mask' | 'tokenize' | 'anonymize' | 'redact' | 'replace' | 'hash';

/** Every finding of `entityType` (a type or a group: `any`, `secret`, `pii`) is replaced under `mode`. */
export interface TransformStep {
  entityType: string;
  mode: TransformMode;
}

/** A decision is data, not an error: no matching rule is a `deny` with reason `no matching rule`. */
export interface Decision {
  effect: Effect;
  /** Ids of every matching rule, in evaluation order. */
  matchedRules: string[];
  /** What to replace (empty for allow and deny). */
  plan: TransformStep[];
  /** Why (for a deny), else empty. */
  reason: string;
}

export interface ScanDecision {
  findings: Finding[];
  decision: Decision;
}

export interface TransformStats {
  /** Replacements made (one per merged span). */
  entitiesTransformed: number;
  /** Sorted, de-duplicated `entity_type:mode` pairs joined with `,`. */
  modesApplied: string;
}

export interface TransformResult {
  output: string;
  stats: TransformStats;
}

export interface PolicyInfo {
  policyId: string;
  policyVersion: string;
  ruleCount: number;
}

/** One policy validation problem. */
export interface FieldError {
  /** The rule's id (or `rules[3]`); null for top-level fields. */
  rule: string | null;
  /** The field, e.g. `rules[0].effect`; empty when the problem is the whole document. */
  field: string;
  message: string;
  /** What to do about it, when the core knows. */
  help: string | null;
}

export interface ChainSummary {
  /** Receipts verified (blank lines are skipped). */
  count: number;
  /** `hash` of the last receipt (64 zeros for an empty chain): the next receipt's `prev_hash`. */
  lastHash: string;
}

export interface VerifyChainOptions {
  /** Continue a chain from this hash (a rotated file's predecessor's `lastHash`). */
  prevHash?: string;
}

export type ChainErrorKind = 'malformed' | 'missing-field' | 'hash-mismatch' | 'broken-link';

/** A policy as `Engine.load` and `checkPolicy` take it: JSON text, its UTF-8 bytes, or the object. */
export type PolicySource = string | Uint8Array | object;

/** The base class of every error this package throws on purpose. */
export class DatafogError extends Error {}

/** A policy could not be loaded; `errors` holds every problem found. */
export class PolicyError extends DatafogError {
  readonly errors: FieldError[];
}

/** A receipt chain does not verify; `line` is the 1-based line of the first break. */
export class ChainError extends DatafogError {
  readonly line: number;
  readonly kind: ChainErrorKind;
  /** The missing member for `missing-field`, else null. */
  readonly field: string | null;
}

/** The WebAssembly guest trapped; every later call throws this too. Restart the process. */
export class TrapError extends DatafogError {}

/** A loaded policy. Load once, call many times. */
export class Engine implements Disposable {
  /** Use `Engine.load`. */
  private constructor();
  /** Parses and validates a policy; throws a `PolicyError` listing every problem. */
  static load(policy: PolicySource): Engine;
  readonly policyId: string;
  readonly policyVersion: string;
  /** Scans with the policy's custom detectors, allow-list and confidence floor. */
  scan(text: string, options?: ScanOptions): Finding[];
  /** Only the findings' types and confidences matter (any unit). */
  decide(action: Action, findings?: readonly FindingInput[]): Decision;
  scanAndDecide(action: Action, text: string, options?: ScanOptions): ScanDecision;
  /**
   * Applies `plan` to `findings` (in `options.unit`, UTF-16 by default); invalid findings are
   * skipped. Tokens and hashes are HMAC-SHA256 under `key` (omitted: unkeyed SHA-256).
   */
  transform(
    text: string,
    findings: readonly FindingInput[],
    plan: readonly TransformStep[],
    key?: Uint8Array | ArrayBuffer | null,
    options?: TransformOptions,
  ): TransformResult;
  /** Frees the guest's engine now; later calls throw. */
  close(): void;
  [Symbol.dispose](): void;
}

/** Scans with every built-in detector (no policy); UTF-16 offsets by default. */
export function scan(text: string, options?: ScanOptions): Finding[];
/** Decides under the shipped starter policy (`default-policy.json`). */
export function decide(action: Action, findings?: readonly FindingInput[]): Decision;
/** Applies a transform plan (no policy involved); see `Engine#transform`. */
export function transform(
  text: string,
  findings: readonly FindingInput[],
  plan: readonly TransformStep[],
  key?: Uint8Array | ArrayBuffer | null,
  options?: TransformOptions,
): TransformResult;
/** Replaces every finding of every built-in detector with `[REDACTED]`. */
export function redact(text: string): string;
/** Validates a policy without keeping it; throws a `PolicyError` listing every problem. */
export function checkPolicy(policy: PolicySource): PolicyInfo;
/** Verifies a receipt chain (lines, or JSONL text); throws a `ChainError` at the first break. */
export function verifyChain(lines: readonly string[] | string, options?: VerifyChainOptions): ChainSummary;
/** The core's version: `<crate version>+<digest of the core's sources and WIT>`. */
export function coreVersion(): string;
/** The engine behind the top-level `decide` and `transform` (the shipped starter policy). */
export function defaultPolicyEngine(): Engine;
