"""The package's value types and exceptions.

Every type is a frozen dataclass with the JSON field names of the DataFog HTTP API (`entity_type`,
`matched_rules`, ...), so `to_dict()` gives the API's JSON form. None of them holds matched text:
a finding is a span of the caller's own input.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Dict, List, Literal, Mapping, Optional, Tuple, Union

#: The unit of `Finding.start` / `Finding.end`. `codepoint` indexes a Python `str` (the
#: default), `byte` the UTF-8 encoding (the Go contract), `utf16` UTF-16 code units (JavaScript).
Offsets = Literal["codepoint", "byte", "utf16"]

OFFSET_UNITS: Tuple[str, ...] = ("codepoint", "byte", "utf16")


class Effect(str, enum.Enum):
    """A rule's effect and a decision's outcome (precedence: deny > transform >
    allow_with_redaction > allow). The values are the API's JSON names."""

    ALLOW = "allow"
    ALLOW_WITH_REDACTION = "allow_with_redaction"
    TRANSFORM = "transform"
    DENY = "deny"

    def __str__(self) -> str:
        return self.value


class TransformMode(str, enum.Enum):
    """The six transform modes."""

    MASK = "mask"
    TOKENIZE = "tokenize"
    ANONYMIZE = "anonymize"
    REDACT = "redact"
    REPLACE = "replace"
    HASH = "hash"

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Finding:
    """One detected entity: the half-open span `[start, end)` of the scanned text, in the unit
    the scan was asked for (code points by default, so `text[f.start:f.end]` is the match)."""

    entity_type: str
    start: int
    end: int
    confidence: float = 1.0

    def to_dict(self) -> Dict[str, Any]:
        return {
            "entity_type": self.entity_type,
            "start": self.start,
            "end": self.end,
            "confidence": self.confidence,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        """From the API's JSON form (`entity_type`, `start`, `end`, optional `confidence`)."""
        try:
            return cls(
                entity_type=_str(d["entity_type"], "entity_type"),
                start=_int(d["start"], "start"),
                end=_int(d["end"], "end"),
                confidence=float(d.get("confidence", 1.0)),
            )
        except KeyError as e:
            raise ValueError(f"finding: missing field {e.args[0]!r}") from None


@dataclass(frozen=True)
class Action:
    """The action an agent is about to take (the API's `ActionMeta`; `type` is e.g.
    `shell.exec`, `file.read`, `file.write`, `http.request`)."""

    type: str
    tool: str = ""
    resource: str = ""
    command: str = ""
    args: Tuple[str, ...] = ()
    sensitive: bool = False

    def to_dict(self) -> Dict[str, Any]:
        return {
            "type": self.type,
            "tool": self.tool,
            "resource": self.resource,
            "command": self.command,
            "args": list(self.args),
            "sensitive": self.sensitive,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Action":
        """From the API's JSON form. Missing fields are empty; other keys are ignored, as the
        core ignores them."""
        args = d.get("args") or ()
        if isinstance(args, str) or not all(isinstance(a, str) for a in args):
            raise TypeError("action.args must be a list of strings")
        sensitive = d.get("sensitive", False)
        if not isinstance(sensitive, bool):
            raise TypeError("action.sensitive must be a bool")
        return cls(
            type=_str(d.get("type", ""), "action.type"),
            tool=_str(d.get("tool", ""), "action.tool"),
            resource=_str(d.get("resource", ""), "action.resource"),
            command=_str(d.get("command", ""), "action.command"),
            args=tuple(args),
            sensitive=sensitive,
        )


@dataclass(frozen=True)
class TransformStep:
    """One step of a transform plan: every finding of `entity_type` (a type, a custom detector,
    or a group `secret`/`pii`/`any`) is replaced under `mode`."""

    entity_type: str
    mode: TransformMode

    def to_dict(self) -> Dict[str, str]:
        return {"entity_type": self.entity_type, "mode": self.mode.value}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TransformStep":
        return cls(entity_type=_str(d["entity_type"], "entity_type"), mode=_mode(d["mode"]))


@dataclass(frozen=True)
class Decision:
    """The outcome of evaluating a policy. A decision is data, not an error: no matching rule is
    `deny` with reason `no matching rule`."""

    effect: Effect
    matched_rules: Tuple[str, ...] = ()
    plan: Tuple[TransformStep, ...] = ()
    reason: str = ""

    def to_dict(self) -> Dict[str, Any]:
        """The golden corpus's (and the API's) JSON form: `decision`, `matched_rules`, `plan`,
        `reason`."""
        return {
            "decision": self.effect.value,
            "matched_rules": list(self.matched_rules),
            "plan": [s.to_dict() for s in self.plan],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class ScanDecision:
    """Findings and the decision they led to."""

    findings: List[Finding]
    decision: Decision


@dataclass(frozen=True)
class TransformResult:
    """A transformed text and what was done (`modes_applied` is the sorted `type:mode` pairs
    joined with `,`, e.g. `email:mask,ssn:hash`)."""

    output: str
    entities_transformed: int
    modes_applied: str


@dataclass(frozen=True)
class PolicyInfo:
    """What a loaded policy is."""

    policy_id: str
    policy_version: str
    rule_count: int


@dataclass(frozen=True)
class ChainSummary:
    """A verified receipt chain: how many receipts, and the last one's hash (the next receipt's
    `prev_hash`)."""

    count: int
    last_hash: str


@dataclass(frozen=True)
class FieldError:
    """One policy validation problem: the rule (its id, or `rules[3]`; None for top-level
    fields), the field (`rules[0].effect`; empty for the whole document), the message and a
    hint."""

    rule: Optional[str]
    field: str
    message: str
    help: Optional[str] = None


class DatafogError(Exception):
    """Base of every exception this package raises on purpose."""


class PolicyError(DatafogError, ValueError):
    """A policy could not be loaded. `errors` lists every problem found, not just the first."""

    def __init__(self, errors: List[FieldError]):
        self.errors: List[FieldError] = list(errors)
        lines = [_describe(e) for e in self.errors] or ["invalid policy"]
        super().__init__(
            f"invalid policy ({len(self.errors)} error{'s' if len(self.errors) != 1 else ''}):\n  "
            + "\n  ".join(lines)
        )

    @property
    def messages(self) -> List[str]:
        return [e.message for e in self.errors]


class ChainError(DatafogError, ValueError):
    """A receipt chain is broken. `line` is 1-based (blank lines count); `kind` is one of
    `malformed`, `missing_field` (`missing_field` then names the field), `hash_mismatch` (a receipt
    was altered) or `broken_link` (a receipt was removed, reordered or inserted)."""

    def __init__(self, line: int, kind: str, message: str, missing_field: Optional[str] = None):
        self.line = line
        self.kind = kind
        self.missing_field = missing_field
        self.message = message
        super().__init__(f"receipt chain broken at line {line} ({kind}): {message}")


class GuestTrap(DatafogError, RuntimeError):
    """The DataFog component trapped (a bug, or a resource limit such as `memory_limit` was hit).
    The instance it ran in is dropped; an `Engine` that trapped refuses further calls: create a
    new one."""


class ComponentLoadError(DatafogError, RuntimeError):
    """`datafog.wasm` could not be read, compiled or instantiated."""


def _describe(e: FieldError) -> str:
    where = e.field or "policy"
    text = f"{where}: {e.message}"
    if e.help:
        text += f" ({e.help})"
    return text


def _str(v: Any, name: str) -> str:
    if not isinstance(v, str):
        raise TypeError(f"{name} must be a str, not {type(v).__name__}")
    return v


def _int(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{name} must be an int, not {type(v).__name__}")
    return int(v)


def _mode(v: Union[str, TransformMode]) -> TransformMode:
    if isinstance(v, TransformMode):
        return v
    try:
        return TransformMode(_str(v, "mode"))
    except ValueError:
        raise ValueError(
            f"unknown transform mode {v!r}; use one of: "
            + ", ".join(m.value for m in TransformMode)
        ) from None


FindingLike = Union[Finding, Mapping[str, Any]]
ActionLike = Union[Action, Mapping[str, Any]]
StepLike = Union[TransformStep, Mapping[str, Any], Tuple[str, str]]

__all__ = [
    "Action",
    "ActionLike",
    "ChainError",
    "ChainSummary",
    "ComponentLoadError",
    "DatafogError",
    "Decision",
    "Effect",
    "FieldError",
    "Finding",
    "FindingLike",
    "GuestTrap",
    "Offsets",
    "PolicyError",
    "PolicyInfo",
    "ScanDecision",
    "StepLike",
    "TransformMode",
    "TransformResult",
    "TransformStep",
]
