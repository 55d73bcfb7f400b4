"""DataFog data firewall for AI agents, in Python.

Detect sensitive entities, decide by a JSON policy what an agent may do, and transform text by
the decision's plan. The work is done by the DataFog core compiled to a WebAssembly component
(`datafog.wasm`, shipped in this package; `DATAFOG_WASM` names another build) and run by PyPI
`wasmtime`. See `docs/embedding.md` in the repository.

    >>> import datafog_firewall as df
    >>> text = "mail alice@example.com"
    >>> [(f.entity_type, text[f.start:f.end]) for f in df.scan(text)]
    [('email', 'alice@example.com')]
"""

from ._api import (
    Engine,
    byte_offsets,
    check_policy,
    component_path,
    core_version,
    decide,
    redact,
    scan,
    starter_policy,
    transform,
    verify_chain,
)
from ._types import (
    Action,
    ChainError,
    ChainSummary,
    ComponentLoadError,
    DatafogError,
    Decision,
    Effect,
    FieldError,
    Finding,
    GuestTrap,
    Offsets,
    PolicyError,
    PolicyInfo,
    ScanDecision,
    TransformMode,
    TransformResult,
    TransformStep,
)

__version__ = "0.1.0"

__all__ = [
    "Action",
    "ChainError",
    "ChainSummary",
    "ComponentLoadError",
    "DatafogError",
    "Decision",
    "Effect",
    "Engine",
    "FieldError",
    "Finding",
    "GuestTrap",
    "Offsets",
    "PolicyError",
    "PolicyInfo",
    "ScanDecision",
    "TransformMode",
    "TransformResult",
    "TransformStep",
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
