"""Bad input gets a clear exception, a trap is never a silent pass, and no exception quotes
scanned text."""

import json

import pytest

import datafog_firewall as df
from datafog_firewall import _guest
from conftest import REPO

SECRET = "alice@example.com"


def test_bad_policy_lists_every_field_error():
    bad = json.loads((REPO / "tests/corpus/policy/invalid_go_messages.json").read_text())["policy"]
    with pytest.raises(df.PolicyError) as raised:
        df.Engine(bad)
    err = raised.value
    assert len(err.errors) == 10
    assert all(isinstance(e, df.FieldError) for e in err.errors)
    first = err.errors[0]
    assert (first.rule, first.field, first.message) == (None, "policy_id", "policy_id is required")
    assert first.help
    by_message = {e.message: e for e in err.errors}
    effect = by_message["rule dup has unsupported effect: block"]
    assert effect.rule == "dup" and effect.field.endswith(".effect") and effect.help
    # The exception's text lists every problem, one per line.
    for e in err.errors:
        assert e.message in str(err)
    assert isinstance(err, ValueError) and isinstance(err, df.DatafogError)


def test_policy_that_is_not_json():
    with pytest.raises(df.PolicyError) as raised:
        df.Engine("{not json")
    assert raised.value.errors and raised.value.errors[0].message


def test_check_policy_matches_engine():
    starter = df.starter_policy()
    info = df.check_policy(starter)
    rules = json.loads(starter)["rules"]
    assert (info.policy_id, info.rule_count) == ("datafog-starter", len(rules))
    with pytest.raises(df.PolicyError) as raised:
        df.check_policy({})
    assert raised.value.messages[0] == "policy_id is required"


def test_engine_from_file(tmp_path, repo):
    engine = df.Engine.from_file(repo / "config/policy.json")
    assert engine.policy_id == "datafog-starter"
    with pytest.raises(FileNotFoundError):
        df.Engine.from_file(tmp_path / "missing.json")


def test_wrong_argument_types():
    with pytest.raises(TypeError):
        df.scan(b"bytes are not text")
    with pytest.raises(ValueError, match="offsets must be one of"):
        df.scan("x", offsets="chars")
    with pytest.raises(TypeError):
        df.decide("shell.exec", [])
    with pytest.raises(ValueError, match="unknown transform mode"):
        df.transform("x", [], [("email", "blur")])
    with pytest.raises(ValueError, match="out of range"):
        df.decide({"type": "shell.exec"}, [df.Finding("email", -1, 3)])
    with pytest.raises(TypeError, match="key must be bytes"):
        df.transform("x", [], [], key="not bytes")


def test_lone_surrogate_is_a_clear_error_without_the_text():
    with pytest.raises(ValueError) as raised:
        df.scan(SECRET + "\ud800")
    assert "Unicode" in str(raised.value)
    assert SECRET not in str(raised.value)


def test_a_trap_raises_and_the_engine_recovers():
    # 4 MiB of linear memory cannot hold an 8 MiB text: the guest's allocator aborts (a trap).
    engine = df.Engine.starter(memory_limit=4 << 20)
    big = ("x " + SECRET + " ") * ((8 << 20) // 20)
    with pytest.raises(df.GuestTrap) as raised:
        engine.scan(big)
    assert "trapped" in str(raised.value)
    assert SECRET not in str(raised.value)
    # The next call runs in a fresh instance with the policy reloaded.
    assert [f.entity_type for f in engine.scan("mail " + SECRET)] == ["email"]


def test_a_broken_component_is_an_error_not_an_empty_result(tmp_path, monkeypatch):
    junk = tmp_path / "datafog.wasm"
    junk.write_bytes(b"\0asm not a component")
    monkeypatch.setenv("DATAFOG_WASM", str(junk))
    with pytest.raises(df.ComponentLoadError):
        df.Engine.starter()
    monkeypatch.setenv("DATAFOG_WASM", str(tmp_path / "missing.wasm"))
    with pytest.raises(df.ComponentLoadError, match="cannot read"):
        df.Engine.starter()


def test_chain_errors():
    with pytest.raises(TypeError, match="lines"):
        df.verify_chain("{}\n{}")
    assert df.verify_chain([]).count == 0
    assert df.verify_chain(["", ""]).count == 0
    with pytest.raises(df.ChainError) as raised:
        df.verify_chain(["not json"])
    assert (raised.value.line, raised.value.kind) == (1, "malformed")
    with pytest.raises(df.ChainError) as raised:
        df.verify_chain(["", "{}"])
    assert (raised.value.line, raised.value.kind) == (2, "missing_field")
    assert raised.value.missing_field in ("hash", "prev_hash")


def _receipts(n):
    """A real chain of `n` receipts, sealed by the component's `decide-request` (not wrapped by
    the package, so called directly)."""
    engine = df.Engine.starter()
    guest, handle = engine._guest, engine._handle
    lines, prev = [], "0" * 64
    for i in range(n):
        request = _guest.record(
            action=_guest.record(
                action_type="shell.exec", tool="", resource="", command="ls", args=[], sensitive=False
            ),
            text="mail " + SECRET,
            findings=[],
            request_id=f"r{i}",
            trace_id="",
            tenant_id="",
            actor_id="",
            session_id="",
            idempotency_key="",
        )
        context = _guest.record(
            receipt_id=f"{i:032x}",
            timestamp="2026-12-01T00:00:00.000000000Z",
            prev_hash=prev,
            key=b"k",
            input_hash="",
        )
        ok, decided = _guest.result(guest.call("[method]engine.decide-request", handle, request, context))
        assert ok
        receipt = _guest.get(decided, "receipt")
        lines.append(_guest.get(receipt, "line"))
        prev = _guest.get(receipt, "hash")
    return lines, prev


def test_verify_a_real_chain_and_find_tampering():
    lines, last = _receipts(3)
    summary = df.verify_chain(lines)
    assert (summary.count, summary.last_hash) == (3, last)
    # Continuing a rotated log from its predecessor's last hash.
    assert df.verify_chain(lines[1:], prev_hash=json.loads(lines[0])["hash"]).count == 2
    with pytest.raises(df.ChainError) as raised:
        df.verify_chain([lines[0], lines[2]])
    assert (raised.value.line, raised.value.kind) == (2, "broken_link")
    altered = json.loads(lines[1])
    altered["request_id"] = "forged"
    with pytest.raises(df.ChainError) as raised:
        df.verify_chain([lines[0], json.dumps(altered), lines[2]])
    assert (raised.value.line, raised.value.kind) == (2, "hash_mismatch")
