// @datafog/firewall: the DataFog data firewall for Node.
//
// Every call runs the DataFog core as a WebAssembly component (`datafog.wasm`, transpiled by jco
// into gen/): the same code, and so the same answers, as the native server and the other hosts.
// This file only adapts it to JavaScript: camelCase objects, UTF-16 offsets by default (they index
// JS strings), policy and chain errors as `Error` subclasses, and a trap as a thrown error.
import { readFileSync } from 'node:fs';

import { firewall as fw } from './gen/datafog.js';
import { call, DatafogError, TrapError } from './guard.js';
import { toByteOffsets, unitOf } from './offsets.js';

export { DatafogError, TrapError };

// ------------------------------------------------------------------------------- errors

/**
 * A policy could not be loaded. `errors` holds every problem found (not just the first), each
 * `{rule, field, message, help}`; the message lists them all.
 */
export class PolicyError extends DatafogError {
  constructor(errors) {
    const lines = errors.map((e) => `  ${e.field ? `${e.field}: ` : ''}${e.message}`);
    super(`policy rejected (${errors.length} ${errors.length === 1 ? 'problem' : 'problems'}):\n${lines.join('\n')}`);
    this.errors = errors;
  }
}

/**
 * A receipt chain does not verify. `line` is the 1-based line of the first break, `kind` one of
 * `malformed`, `missing-field` (then `field` names it), `hash-mismatch`, `broken-link`.
 */
export class ChainError extends DatafogError {
  constructor({ line, kind, message }) {
    super(`receipt chain broken: ${message}`);
    this.line = line;
    this.kind = kind.tag;
    this.field = kind.tag === 'missing-field' ? kind.val : null;
  }
}

function policyError(payload) {
  return new PolicyError(
    payload.errors.map((e) => ({
      rule: e.rule ?? null,
      field: e.field,
      message: e.message,
      help: e.help ?? null,
    })),
  );
}

// ------------------------------------------------------------------------------- arguments
// Checked here so a mistake is a TypeError naming the argument, never a message quoting the text.

function text(value, name = 'text') {
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string, not ${typeof value}`);
  return value;
}

function scanOptions(options = {}) {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const { types, unit } = options;
  let entityTypes = [];
  if (types !== undefined && types !== null) {
    if (!Array.isArray(types) || types.some((t) => typeof t !== 'string')) {
      throw new TypeError('options.types must be an array of entity type names');
    }
    entityTypes = types;
  }
  return { entityTypes, offsetUnit: unitOf(unit) };
}

const U32_MAX = 0xffffffff;

function offset(value, where) {
  if (!Number.isInteger(value) || value < 0 || value > U32_MAX) {
    throw new TypeError(`${where} must be an integer from 0 to ${U32_MAX}`);
  }
  return value;
}

function findingsIn(findings) {
  if (!Array.isArray(findings)) throw new TypeError('findings must be an array');
  return findings.map((f, i) => {
    if (f === null || typeof f !== 'object') throw new TypeError(`findings[${i}] must be an object`);
    if (typeof f.entityType !== 'string') throw new TypeError(`findings[${i}].entityType must be a string`);
    const confidence = f.confidence ?? 1;
    if (typeof confidence !== 'number' || Number.isNaN(confidence)) {
      throw new TypeError(`findings[${i}].confidence must be a number`);
    }
    return {
      entityType: f.entityType,
      start: offset(f.start, `findings[${i}].start`),
      end: offset(f.end, `findings[${i}].end`),
      confidence,
    };
  });
}

function actionIn(action) {
  if (action === null || typeof action !== 'object') throw new TypeError('action must be an object');
  const str = (k) => {
    const v = action[k] ?? '';
    if (typeof v !== 'string') throw new TypeError(`action.${k} must be a string`);
    return v;
  };
  const args = action.args ?? [];
  if (!Array.isArray(args) || args.some((a) => typeof a !== 'string')) {
    throw new TypeError('action.args must be an array of strings');
  }
  const sensitive = action.sensitive ?? false;
  if (typeof sensitive !== 'boolean') throw new TypeError('action.sensitive must be a boolean');
  return {
    actionType: str('type'),
    tool: str('tool'),
    resource: str('resource'),
    command: str('command'),
    args,
    sensitive,
  };
}

const MODES = new Set(['mask', 'tokenize', 'anonymize', 'redact', 'replace', 'hash']);

function planIn(plan) {
  if (!Array.isArray(plan)) throw new TypeError('plan must be an array of {entityType, mode}');
  return plan.map((s, i) => {
    if (s === null || typeof s !== 'object' || typeof s.entityType !== 'string') {
      throw new TypeError(`plan[${i}].entityType must be a string`);
    }
    if (!MODES.has(s.mode)) throw new TypeError(`plan[${i}].mode must be one of ${[...MODES].join(', ')}`);
    return { entityType: s.entityType, mode: s.mode };
  });
}

function keyIn(key) {
  if (key === undefined || key === null) return new Uint8Array(0);
  if (key instanceof Uint8Array) return key;
  if (key instanceof ArrayBuffer) return new Uint8Array(key);
  throw new TypeError('key must be a Uint8Array (or Buffer), or omitted for the unkeyed SHA-256');
}

/** Findings in `unit` of `text` -> findings in UTF-8 bytes (what `transform` takes). */
function findingsToBytes(value, findings, unit) {
  if (unit === 'byte' || findings.length === 0) return findings;
  const map = toByteOffsets(value, findings.flatMap((f) => [f.start, f.end]), unit);
  const clamp = (n) => Math.min(n, U32_MAX);
  return findings.map((f) => ({ ...f, start: clamp(map.get(f.start)), end: clamp(map.get(f.end)) }));
}

// ------------------------------------------------------------------------------- results

/** WIT effect names -> the policy's (and the HTTP API's) wire names. */
const EFFECT = {
  allow: 'allow',
  'allow-with-redaction': 'allow_with_redaction',
  transform: 'transform',
  deny: 'deny',
};

function decisionOut(d) {
  return {
    effect: EFFECT[d.effect],
    matchedRules: d.matchedRules,
    plan: d.plan.map((s) => ({ entityType: s.entityType, mode: s.mode })),
    reason: d.reason,
  };
}

// ------------------------------------------------------------------------------- the engine

function policyText(policy) {
  if (typeof policy === 'string') return policy;
  if (policy instanceof Uint8Array) return new TextDecoder('utf-8', { fatal: true }).decode(policy);
  if (policy !== null && typeof policy === 'object') return JSON.stringify(policy);
  throw new TypeError('policy must be JSON text, bytes, or an object');
}

/** A loaded policy. Load once, call many times. */
export class Engine {
  #inner;

  /** Use `Engine.load`. */
  constructor(inner) {
    if (!inner) throw new TypeError('use Engine.load(policyJson)');
    this.#inner = inner;
    this.policyId = call(() => inner.policyId());
    this.policyVersion = call(() => inner.policyVersion());
  }

  /**
   * Parses and validates a policy (JSON text, its UTF-8 bytes, or the parsed object). Throws a
   * `PolicyError` listing every problem.
   */
  static load(policy) {
    const json = policyText(policy);
    return new Engine(call(() => fw.Engine.load(json), policyError));
  }

  get #engine() {
    if (!this.#inner) throw new DatafogError('this Engine was closed');
    return this.#inner;
  }

  /** Scans with the policy's custom detectors, allow-list and confidence floor. */
  scan(value, options) {
    const opts = scanOptions(options);
    text(value);
    return call(() => this.#engine.scan(value, opts));
  }

  /** Decides on an action. Only the findings' types and confidences matter (any unit). */
  decide(action, findings = []) {
    const a = actionIn(action);
    const f = findingsIn(findings);
    return decisionOut(call(() => this.#engine.decide(a, f)));
  }

  /** `scan`, then `decide` on its findings, in one guest call. */
  scanAndDecide(action, value, options) {
    const a = actionIn(action);
    const opts = scanOptions(options);
    text(value);
    const r = call(() => this.#engine.scanAndDecide(a, value, opts));
    return { findings: r.findings, decision: decisionOut(r.decision) };
  }

  /**
   * Replaces every finding whose type the plan names. `findings` are in `options.unit` (UTF-16
   * by default, as `scan` returns them); invalid ones (empty, out of range, inside a character)
   * are skipped. Tokens and hashes are HMAC-SHA256 under `key` (omitted: unkeyed SHA-256).
   */
  transform(value, findings, plan, key, options = {}) {
    text(value);
    const unit = unitOf(options?.unit);
    const f = findingsToBytes(value, findingsIn(findings), unit);
    const p = planIn(plan);
    const k = keyIn(key);
    return call(() => this.#engine.transform(value, f, p, k));
  }

  /** Frees the guest's engine now (otherwise the garbage collector does, eventually). */
  close() {
    if (this.#inner) {
      const inner = this.#inner;
      this.#inner = undefined;
      inner[Symbol.dispose]();
    }
  }

  [Symbol.dispose]() {
    this.close();
  }
}

// ------------------------------------------------------------------------------- plain functions

let defaultEngine;

/**
 * The engine behind the top-level `decide` and `transform`: the starter policy DataFog ships
 * (`default-policy.json`, the repository's `config/policy.json`).
 */
export function defaultPolicyEngine() {
  defaultEngine ??= Engine.load(readFileSync(new URL('./default-policy.json', import.meta.url), 'utf8'));
  return defaultEngine;
}

/**
 * Scans with every built-in detector (no policy). Offsets are UTF-16 code units by default, so
 * `text.slice(f.start, f.end)` is the match; `unit: 'codepoint'` or `'byte'` for the others.
 */
export function scan(value, options) {
  const opts = scanOptions(options);
  text(value);
  return call(() => fw.scanTextWith(value, opts));
}

/** Decides on an action under the shipped starter policy (use an `Engine` for your own). */
export function decide(action, findings = []) {
  return defaultPolicyEngine().decide(action, findings);
}

/** Applies a transform plan (see `Engine#transform`; no policy is involved). */
export function transform(value, findings, plan, key, options) {
  return defaultPolicyEngine().transform(value, findings, plan, key, options);
}

/** Replaces every finding of every built-in detector with `[REDACTED]`. */
export function redact(value) {
  text(value);
  return call(() => fw.redactText(value));
}

/**
 * Validates a policy without keeping it: `{policyId, policyVersion, ruleCount}`, or a
 * `PolicyError` listing every problem.
 */
export function checkPolicy(policy) {
  const json = policyText(policy);
  return call(() => fw.checkPolicy(json), policyError);
}

/**
 * Verifies a receipt chain (JSONL: an array of lines, or the file's text). Returns `{count,
 * lastHash}`; throws a `ChainError` at the first break. `options.prevHash` continues a chain
 * (a rotated file's predecessor's `lastHash`); by default the chain starts at genesis.
 */
export function verifyChain(lines, options = {}) {
  if (typeof lines === 'string') lines = lines.split('\n');
  if (!Array.isArray(lines) || lines.some((l) => typeof l !== 'string')) {
    throw new TypeError('lines must be an array of strings, or JSONL text');
  }
  const prevHash = options?.prevHash;
  if (prevHash === undefined || prevHash === null) {
    return call(() => fw.verifyChain(lines), (p) => new ChainError(p));
  }
  text(prevHash, 'options.prevHash');
  return call(() => fw.verifyChainFrom(prevHash, lines), (p) => new ChainError(p));
}

/** The core's version, `<crate version>+<digest of the core's sources and WIT>`. */
export function coreVersion() {
  return call(() => fw.coreVersion());
}
