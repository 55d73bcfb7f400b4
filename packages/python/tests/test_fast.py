"""The frozen-type call path (`_fast.py`) returns exactly what wasmtime-py's own `Func` returns,
for every shape of type the interface uses."""

import pytest

import datafog_firewall as df
from datafog_firewall import _guest
from datafog_firewall._guest import record

TEXT = "🙂 mail alice@example.com ssn 123-45-6789 token ghp_1234567890abcdefghijABCDEFGHIJ123456"

CALLS = [
    ("scan-text", (TEXT,)),  # string -> list<record>
    ("scan-text-with", (TEXT, record(entity_types=["pii"], offset_unit="utf16"))),  # record param, enum
    ("redact-text", (TEXT,)),  # string -> string
    ("check-policy", ("{}",)),  # result<record, record with list<record with option<string>>>
    ("check-policy", (df.starter_policy(),)),
    ("verify-chain", (["", "not json"],)),  # result with a variant payload
    ("verify-chain", ([],)),
    ("core-version", ()),  # no parameters
]


@pytest.mark.parametrize("name,args", CALLS, ids=[c[0] for c in CALLS])
def test_frozen_equals_stock(name, args):
    guest = _guest.Guest()
    stock = guest.stock_func(name)(guest.store, *args)
    frozen = guest.call(name, *args)
    assert frozen == stock
    # Twice: the frozen types are reused, not consumed.
    assert guest.call(name, *args) == stock


def test_engine_methods_frozen_equals_stock():
    engine = df.Engine.starter()
    guest, handle = engine._guest, engine._handle
    action = record(action_type="http.request", tool="", resource="", command="", args=["a"], sensitive=True)
    options = record(entity_types=[], offset_unit="byte")
    for name, args in [
        ("[method]engine.scan-and-decide", (action, TEXT, options)),
        ("[method]engine.policy-id", ()),
    ]:
        assert guest.call(name, handle, *args) == guest.stock_func(name)(guest.store, handle, *args)
    found = guest.call("[method]engine.scan", handle, TEXT, options)
    plan = [record(entity_type="any", mode="hash")]
    key = b"\x00\x01key"
    assert guest.call("[method]engine.transform", handle, TEXT, found, plan, key) == guest.stock_func(
        "[method]engine.transform"
    )(guest.store, handle, TEXT, found, plan, key)
