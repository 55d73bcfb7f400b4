"""The public API on known inputs: exact findings, decisions and outputs (so a package that
returned nothing, or the wrong thing, fails), and sharing an Engine between threads."""

import threading

import pytest

import datafog_firewall as df

TEXT = "mail alice@example.com ssn 123-45-6789 token ghp_1234567890abcdefghijABCDEFGHIJ123456"


def test_scan_finds_exactly_these():
    found = df.scan(TEXT)
    assert [(f.entity_type, f.start, f.end) for f in found] == [
        ("email", 5, 22),
        ("ssn", 27, 38),
        ("github_token", 45, 85),
    ]
    assert all(0 < f.confidence <= 1 for f in found)
    assert found[0] == df.Finding("email", 5, 22, found[0].confidence)


def test_types_filter_and_groups():
    assert [f.entity_type for f in df.scan(TEXT, ["email"])] == ["email"]
    assert [f.entity_type for f in df.scan(TEXT, "secret")] == ["github_token"]
    assert [f.entity_type for f in df.scan(TEXT, [" EMAIL ", "ssn"])] == ["email", "ssn"]
    assert df.scan(TEXT, ["no_such_type"]) == []
    assert df.scan("nothing sensitive here") == []


def test_redact():
    assert df.redact(TEXT) == "mail [REDACTED] ssn [REDACTED] token [REDACTED]"


def test_module_decide_uses_the_starter_policy():
    found = df.scan(TEXT)
    deny = df.decide(df.Action("shell.exec", command="curl"), found)
    assert deny.effect is df.Effect.DENY
    assert deny.matched_rules[0] == "deny-command-secrets" and deny.reason
    allow = df.decide({"type": "shell.exec", "command": "ls"}, [])
    assert (allow.effect, allow.matched_rules, allow.plan) == (df.Effect.ALLOW, ("allow-commands",), ())
    unknown = df.decide({"type": "teleport"})
    assert (unknown.effect, unknown.reason) == (df.Effect.DENY, "no matching rule")
    assert unknown.to_dict() == {"decision": "deny", "matched_rules": [], "plan": [], "reason": "no matching rule"}


def test_engine_scan_and_decide_then_transform():
    engine = df.Engine.starter()
    result = engine.scan_and_decide({"type": "http.request", "resource": "https://x.test"}, TEXT)
    assert [f.entity_type for f in result.findings] == ["email", "ssn", "github_token"]
    assert result.decision.effect is df.Effect.ALLOW_WITH_REDACTION
    done = engine.transform(TEXT, result.findings, result.decision, key=b"secret key")
    assert done.output.startswith("mail ***************** ssn anon-")
    assert "ghp_" not in done.output and "alice@" not in done.output
    assert done.entities_transformed == 3
    assert done.modes_applied == "email:mask,github_token:redact,ssn:anonymize"
    # Keyed anonymization differs from the unkeyed one, and is deterministic.
    unkeyed = engine.transform(TEXT, result.findings, result.decision)
    assert unkeyed.output != done.output
    assert engine.transform(TEXT, result.findings, result.decision, key=b"secret key") == done


def test_custom_policy_and_custom_detector():
    policy = {
        "policy_id": "p",
        "policy_version": "1",
        "custom_detectors": [{"name": "ticket", "pattern": "TICKET-[0-9]{4}"}],
        "rules": [
            {"id": "deny-tickets", "priority": 10, "effect": "deny", "match": {"action_types": ["file.write"]},
             "any_entities": ["ticket"], "description": "no tickets"},
            {"id": "allow", "priority": 1, "effect": "allow", "match": {"action_types": ["file.write"]}},
        ],
    }
    engine = df.Engine(policy)
    assert (engine.policy_id, engine.policy_version) == ("p", "1")
    text = "see TICKET-1234"
    found = engine.scan(text)
    assert [(f.entity_type, text[f.start : f.end]) for f in found] == [("ticket", "TICKET-1234")]
    assert df.scan(text) == []  # no policy, no custom detector
    d = engine.decide({"type": "file.write"}, found)
    assert (d.effect, d.matched_rules, d.reason) == (df.Effect.DENY, ("deny-tickets", "allow"), "no tickets")


def test_core_version_and_component_path():
    assert df.core_version().startswith("0.1.0+")
    assert df.component_path().endswith("datafog.wasm")


def test_one_engine_shared_between_threads():
    engine = df.Engine.starter()
    want = engine.scan(TEXT)
    results, errors = [], []

    def work():
        try:
            for _ in range(50):
                results.append(engine.scan(TEXT))
        except Exception as e:  # collected: an exception in a thread would otherwise be lost
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == 200 and all(r == want for r in results)


def test_value_types_are_frozen():
    f = df.Finding("email", 0, 1)
    with pytest.raises(Exception):
        f.start = 2  # type: ignore[misc]
