"""The public API: module-level functions and the `Engine` class."""

from __future__ import annotations

import json
import os
import threading
from importlib import resources
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from wasmtime import component as wc

from . import _guest
from ._guest import Guest, get, record, result
from ._types import (
    OFFSET_UNITS,
    Action,
    ActionLike,
    ChainError,
    ChainSummary,
    Decision,
    Effect,
    FieldError,
    Finding,
    FindingLike,
    Offsets,
    PolicyError,
    PolicyInfo,
    ScanDecision,
    StepLike,
    TransformMode,
    TransformResult,
    TransformStep,
    _mode,
)

PolicySource = Union[str, bytes, Mapping[str, Any]]
Types = Union[None, str, Iterable[str]]

_U32 = 1 << 32


# ---------------------------------------------------------------------------- engine


class Engine:
    """A loaded policy in its own instance of the component: load once, call many times.

    `Engine(policy)` takes the policy JSON (a `str`, UTF-8 `bytes`, or an already parsed `dict`);
    `Engine.from_file(path)` reads it; `Engine.starter()` loads the starter policy shipped with
    the package. A policy that does not validate raises `PolicyError` listing every problem.

    Thread safety: the component is compiled once per process and shared; each `Engine` owns one
    wasmtime store and instance, which run one call at a time. An `Engine` serialises its calls
    with a lock, so sharing one between threads is safe but not parallel; wasmtime releases the
    GIL while the guest runs, so one `Engine` per thread scans in parallel.

    `memory_limit` (bytes) caps the instance's linear memory; a call that needs more traps.
    A trap raises `GuestTrap`; the next call runs in a fresh instance with the policy reloaded.
    """

    def __init__(self, policy: PolicySource, *, memory_limit: Optional[int] = None):
        self._policy_json = _policy_text(policy)
        self._memory_limit = memory_limit
        self._lock = threading.Lock()
        self._guest, self._handle = self._instantiate()
        self.policy_id: str = self._guest.call("[method]engine.policy-id", self._handle)
        self.policy_version: str = self._guest.call("[method]engine.policy-version", self._handle)

    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"], **kwargs: Any) -> "Engine":
        """Load the policy file at `path` (`policy.json`)."""
        with open(path, "rb") as f:
            return cls(f.read(), **kwargs)

    @classmethod
    def starter(cls, **kwargs: Any) -> "Engine":
        """The starter policy (the repository's `config/policy.json`): deny secrets in commands,
        redact sensitive data leaving the machine, deny anything unknown."""
        return cls(starter_policy(), **kwargs)

    def _instantiate(self) -> "tuple[Guest, Any]":
        guest = Guest(self._memory_limit)
        loaded = guest.call("[static]engine.load", self._policy_json)
        ok, payload = result(loaded, wc.ResourceAny)
        if not ok:
            raise PolicyError(_field_errors(payload))
        return guest, payload

    def _call(self, name: str, *args: Any) -> Any:
        with self._lock:
            if self._guest.trapped is not None:
                # The instance that trapped is unusable (its state is undefined): start over.
                self._guest, self._handle = self._instantiate()
            return self._guest.call(name, self._handle, *args)

    def scan(self, text: str, types: Types = None, *, offsets: Offsets = "codepoint") -> List[Finding]:
        """Scan `text` with the built-in detectors plus the policy's custom detectors, allow-list
        and confidence floor. `types` keeps only these types or groups (`secret`, `pii`, `any`);
        None: every type. Offsets are code points by default (`text[f.start:f.end]`)."""
        found = self._call("[method]engine.scan", _text(text), _scan_options(types, offsets))
        return [_finding(f) for f in found]

    def decide(self, action: ActionLike, findings: Iterable[FindingLike] = ()) -> Decision:
        """Decide on `action` given `findings` (only their types and confidences matter, so any
        offset unit will do). Never raises for a denial: a decision is data."""
        d = self._call("[method]engine.decide", _action(action), [_finding_in(f) for f in findings])
        return _decision(d)

    def scan_and_decide(
        self,
        action: ActionLike,
        text: str,
        types: Types = None,
        *,
        offsets: Offsets = "codepoint",
    ) -> ScanDecision:
        """`scan` then `decide`, in one call into the component."""
        sd = self._call(
            "[method]engine.scan-and-decide",
            _action(action),
            _text(text),
            _scan_options(types, offsets),
        )
        return ScanDecision(
            findings=[_finding(f) for f in get(sd, "findings")],
            decision=_decision(get(sd, "decision")),
        )

    def transform(
        self,
        text: str,
        findings: Iterable[FindingLike],
        plan: Union[Decision, Iterable[StepLike]],
        key: bytes = b"",
        *,
        offsets: Offsets = "codepoint",
    ) -> TransformResult:
        """Replace `findings` (in the `offsets` unit, as `scan` returned them) by `plan` (a
        `Decision`, or its steps). Findings that are empty, out of range or inside a character
        are skipped; overlaps are merged and replaced once. Tokens and hashes are HMAC-SHA256
        under `key` (empty: the Go service's unkeyed SHA-256)."""
        text = _text(text)
        steps = plan.plan if isinstance(plan, Decision) else plan
        if not isinstance(key, (bytes, bytearray)):
            raise TypeError(f"key must be bytes, not {type(key).__name__}")
        done = self._call(
            "[method]engine.transform",
            text,
            _findings_as_bytes(text, findings, _unit(offsets)),
            [_step(s) for s in steps],
            bytes(key),
        )
        stats = get(done, "stats")
        return TransformResult(
            output=get(done, "output"),
            entities_transformed=get(stats, "entities_transformed"),
            modes_applied=get(stats, "modes_applied"),
        )

    def __repr__(self) -> str:
        return f"Engine(policy_id={self.policy_id!r}, policy_version={self.policy_version!r})"


# ---------------------------------------------------------------------------- module level

_PLAIN: Optional[Guest] = None
_STARTER: Optional[Engine] = None
_DEFAULTS_LOCK = threading.Lock()


def _plain(name: str, *args: Any) -> Any:
    """Call a plain export on the process's shared instance (created on first use, replaced
    after a trap)."""
    global _PLAIN
    with _DEFAULTS_LOCK:
        if _PLAIN is None or _PLAIN.trapped is not None:
            _PLAIN = Guest()
        guest = _PLAIN
    with guest.lock:
        return guest.call(name, *args)


def _starter() -> Engine:
    global _STARTER
    with _DEFAULTS_LOCK:
        if _STARTER is None:
            _STARTER = Engine.starter()
        return _STARTER


def starter_policy() -> str:
    """The starter policy's JSON (shipped with the package)."""
    return resources.files("datafog_firewall").joinpath("starter_policy.json").read_text("utf-8")


def scan(text: str, types: Types = None, *, offsets: Offsets = "codepoint") -> List[Finding]:
    """Scan `text` with every built-in detector (no policy). `types` keeps only these types or
    groups (`secret`, `pii`, `any`; trimmed, case-insensitive); None: every type. Offsets are
    code points by default, so `text[f.start:f.end]` is the match."""
    found = _plain("scan-text-with", _text(text), _scan_options(types, offsets))
    return [_finding(f) for f in found]


def redact(text: str) -> str:
    """`text` with every finding of the built-in detectors replaced by `[REDACTED]`."""
    out: str = _plain("redact-text", _text(text))
    return out


def decide(action: ActionLike, findings: Iterable[FindingLike] = ()) -> Decision:
    """Decide on `action` under the starter policy (`Engine.starter()`). Use an `Engine` for
    your own policy."""
    return _starter().decide(action, findings)


def transform(
    text: str,
    findings: Iterable[FindingLike],
    plan: Union[Decision, Iterable[StepLike]],
    key: bytes = b"",
    *,
    offsets: Offsets = "codepoint",
) -> TransformResult:
    """`Engine.transform` without a policy of your own (plan groups expand over the built-in
    types and the starter policy's detectors)."""
    return _starter().transform(text, findings, plan, key, offsets=offsets)


def check_policy(policy: PolicySource) -> PolicyInfo:
    """Validate a policy without keeping it: its id, version and rule count, or `PolicyError`
    listing every problem."""
    checked = _plain("check-policy", _policy_text(policy))
    ok, payload = result(checked)
    if not ok:
        raise PolicyError(_field_errors(payload))
    return PolicyInfo(
        policy_id=get(payload, "policy_id"),
        policy_version=get(payload, "policy_version"),
        rule_count=get(payload, "rule_count"),
    )


def verify_chain(lines: Iterable[str], prev_hash: Optional[str] = None) -> ChainSummary:
    """Verify a receipt log (its JSONL lines, in order; blank lines are skipped) from the
    genesis hash, or from `prev_hash` (a rotated log's predecessor's `last_hash`). Raises
    `ChainError` at the first break."""
    if isinstance(lines, (str, bytes)):
        # Iterating a whole log would verify it one character at a time.
        raise TypeError("verify_chain takes the log's lines (e.g. text.splitlines()), not one string")
    lines = [_str_line(line) for line in lines]
    if prev_hash is None:
        checked = _plain("verify-chain", lines)
    else:
        checked = _plain("verify-chain-from", _text(prev_hash), lines)
    ok, payload = result(checked)
    if not ok:
        kind = get(payload, "kind")
        missing = kind.payload if kind.tag == "missing-field" else None
        raise ChainError(
            line=get(payload, "line"),
            kind=kind.tag.replace("-", "_"),
            message=get(payload, "message"),
            missing_field=missing,
        )
    return ChainSummary(count=get(payload, "count"), last_hash=get(payload, "last_hash"))


def core_version() -> str:
    """The component's core version (`<crate version>+<source digest>`)."""
    version: str = _plain("core-version")
    return version


def component_path() -> str:
    """The `datafog.wasm` this process loads (`DATAFOG_WASM`, else the packaged one)."""
    return _guest.component_path()


# ---------------------------------------------------------------------------- conversions


def _text(text: Any) -> str:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, not {type(text).__name__}")
    return text


def _str_line(line: Any) -> str:
    if not isinstance(line, str):
        raise TypeError(f"receipt lines must be str, not {type(line).__name__}")
    return line.rstrip("\r\n")


def _policy_text(policy: PolicySource) -> str:
    if isinstance(policy, str):
        return policy
    if isinstance(policy, (bytes, bytearray)):
        try:
            return bytes(policy).decode("utf-8")
        except UnicodeDecodeError:
            raise PolicyError(
                [FieldError(rule=None, field="", message="policy is not valid UTF-8")]
            ) from None
    if isinstance(policy, Mapping):
        return json.dumps(policy)
    raise TypeError(f"policy must be JSON text, bytes or a dict, not {type(policy).__name__}")


def _unit(offsets: str) -> str:
    if offsets not in OFFSET_UNITS:
        raise ValueError(f"offsets must be one of {', '.join(OFFSET_UNITS)}, not {offsets!r}")
    return offsets


def _scan_options(types: Types, offsets: str) -> wc.Record:
    if types is None:
        names: List[str] = []
    elif isinstance(types, str):
        names = [types]
    else:
        names = list(types)
        for t in names:
            if not isinstance(t, str):
                raise TypeError(f"types must be str names, not {type(t).__name__}")
    return record(entity_types=names, offset_unit=_unit(offsets))


def _finding(f: Any) -> Finding:
    return Finding(
        entity_type=get(f, "entity_type"),
        start=get(f, "start"),
        end=get(f, "end"),
        confidence=get(f, "confidence"),
    )


def _as_finding(f: FindingLike) -> Finding:
    if isinstance(f, Finding):
        return f
    if isinstance(f, Mapping):
        return Finding.from_dict(f)
    raise TypeError(f"a finding must be a Finding or a dict, not {type(f).__name__}")


def _u32(v: int, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"finding.{name} must be an int")
    if not 0 <= v < _U32:
        raise ValueError(f"finding.{name} {v} is out of range (0 to 2**32 - 1)")
    return v


def _finding_in(f: FindingLike, start: Optional[int] = None, end: Optional[int] = None) -> wc.Record:
    f = _as_finding(f)
    return record(
        entity_type=f.entity_type,
        start=_u32(f.start if start is None else start, "start"),
        end=_u32(f.end if end is None else end, "end"),
        confidence=float(f.confidence),
    )


def _findings_as_bytes(text: str, findings: Iterable[FindingLike], unit: str) -> List[wc.Record]:
    """Findings in `unit` as the byte-offset records `transform` takes."""
    fs = [_as_finding(f) for f in findings]
    for f in fs:
        _u32(f.start, "start")
        _u32(f.end, "end")
    table = byte_offsets(text, [p for f in fs for p in (f.start, f.end)], unit)
    return [_finding_in(f, table[f.start], table[f.end]) for f in fs]


def byte_offsets(text: str, positions: Iterable[int], unit: str) -> Dict[int, int]:
    """Map offsets of `text` in `unit` to UTF-8 byte offsets, in one pass over the text.

    A position inside a character (the middle of a UTF-16 surrogate pair) maps to a byte inside
    it and a position past the end to a byte past the end, so the core skips such a finding as
    it skips a bad byte span, instead of replacing something else.
    """
    targets = sorted(set(positions))
    if unit == "byte" or text.isascii():
        return {t: t for t in targets}
    out: Dict[int, int] = {}
    i = 0
    pos = 0
    b = 0
    for ch in text:
        o = ord(ch)
        width = 2 if unit == "utf16" and o > 0xFFFF else 1
        nbytes = 1 if o < 0x80 else 2 if o < 0x800 else 3 if o < 0x10000 else 4
        while i < len(targets) and targets[i] < pos + width:
            out[targets[i]] = b if targets[i] == pos else b + 1
            i += 1
        pos += width
        b += nbytes
    for t in targets[i:]:
        out[t] = b + (t - pos)
    return out


def _action(a: ActionLike) -> wc.Record:
    if isinstance(a, Mapping):
        a = Action.from_dict(a)
    if not isinstance(a, Action):
        raise TypeError(f"action must be an Action or a dict, not {type(a).__name__}")
    return record(
        action_type=a.type,
        tool=a.tool,
        resource=a.resource,
        command=a.command,
        args=list(a.args),
        sensitive=bool(a.sensitive),
    )


def _step(s: StepLike) -> wc.Record:
    if isinstance(s, TransformStep):
        entity_type, mode = s.entity_type, s.mode
    elif isinstance(s, Mapping):
        step = TransformStep.from_dict(s)
        entity_type, mode = step.entity_type, step.mode
    elif isinstance(s, tuple) and len(s) == 2:
        entity_type, mode = s[0], _mode(s[1])
    else:
        raise TypeError("a plan step must be a TransformStep, a dict or an (entity_type, mode) pair")
    if not isinstance(entity_type, str):
        raise TypeError("a plan step's entity_type must be a str")
    return record(entity_type=entity_type, mode=_mode(mode).value)


def _decision(d: Any) -> Decision:
    return Decision(
        effect=Effect(get(d, "effect").replace("-", "_")),
        matched_rules=tuple(get(d, "matched_rules")),
        plan=tuple(
            TransformStep(entity_type=get(s, "entity_type"), mode=TransformMode(get(s, "mode")))
            for s in get(d, "plan")
        ),
        reason=get(d, "reason"),
    )


def _field_errors(policy_error: Any) -> List[FieldError]:
    return [
        FieldError(
            rule=get(e, "rule"),
            field=get(e, "field"),
            message=get(e, "message"),
            help=get(e, "help"),
        )
        for e in get(policy_error, "errors")
    ]


__all__: Sequence[str] = [
    "Engine",
    "byte_offsets",
    "check_policy",
    "component_path",
    "core_version",
    "decide",
    "redact",
    "scan",
    "starter_policy",
    "transform",
    "verify_chain",
]
