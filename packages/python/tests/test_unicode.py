"""Offsets on non-ASCII text: code points (the default) index the `str`, `utf16` and `byte` are
the other units, and `transform` takes findings in any of them."""

import pytest

import datafog_firewall as df

# An emoji outside the BMP (2 UTF-16 units, 4 bytes), CJK (1 unit, 3 bytes each), an accent.
TEXT = "🙂🙂 連絡先: alice@example.com, 東京 café ☕ SSN 123-45-6789 🎉 bob@example.org"


def spans(findings):
    return [(f.entity_type, f.start, f.end) for f in findings]


def test_codepoint_offsets_slice_the_str():
    found = df.scan(TEXT)
    assert [(f.entity_type, TEXT[f.start : f.end]) for f in found] == [
        ("email", "alice@example.com"),
        ("ssn", "123-45-6789"),
        ("email", "bob@example.org"),
    ]
    # The exact code-point index, computed independently of the package.
    assert found[0].start == TEXT.index("alice@")
    assert found[0].start == 8


def test_the_three_units_agree():
    cp = df.scan(TEXT)
    by = df.scan(TEXT, offsets="byte")
    u16 = df.scan(TEXT, offsets="utf16")
    data = TEXT.encode("utf-8")
    utf16 = TEXT.encode("utf-16-le")
    for c, b, u in zip(cp, by, u16):
        value = TEXT[c.start : c.end]
        assert data[b.start : b.end].decode("utf-8") == value
        assert utf16[2 * u.start : 2 * u.end].decode("utf-16-le") == value
    # Byte offsets are past the 4-byte emoji and 3-byte CJK; UTF-16 counts the emoji twice.
    assert by[0].start == len("🙂🙂 連絡先: ".encode("utf-8")) == 20
    assert u16[0].start == 10
    assert cp[0].start == 8


def test_cjk_only_text():
    text = "電子メール：山田太郎 taro.yamada@example.jp までご連絡ください"
    (f,) = df.scan(text, "email")
    assert text[f.start : f.end] == "taro.yamada@example.jp"


@pytest.mark.parametrize("unit", ["codepoint", "byte", "utf16"])
def test_transform_takes_findings_in_their_unit(unit):
    engine = df.Engine.starter()
    found = engine.scan(TEXT, offsets=unit)
    done = engine.transform(TEXT, found, [("email", "redact"), ("ssn", "redact")], offsets=unit)
    assert "alice@example.com" not in done.output and "bob@example.org" not in done.output
    assert "123-45-6789" not in done.output
    # Nothing else moved: the emoji, CJK and accents are intact.
    assert done.output.startswith("🙂🙂 連絡先: ")
    assert "東京 café ☕ SSN " in done.output and "🎉 " in done.output
    assert done.entities_transformed == 3


def test_module_transform_with_a_decision_plan():
    decision = df.decide({"type": "http.request"}, df.scan(TEXT))
    assert decision.effect is df.Effect.ALLOW_WITH_REDACTION
    done = df.transform(TEXT, df.scan(TEXT), decision)
    assert "alice@example.com" not in done.output
    assert done.modes_applied == "email:mask,ssn:anonymize"


def test_byte_offsets_map_and_inside_a_character():
    text = "a🙂b"
    assert df.byte_offsets(text, [0, 1, 2, 3], "codepoint") == {0: 0, 1: 1, 2: 5, 3: 6}
    # UTF-16 position 2 is inside the surrogate pair: it maps inside the emoji, which the core
    # refuses as a span boundary; a position past the end stays past the end.
    assert df.byte_offsets(text, [1, 2, 3, 4, 9], "utf16") == {1: 1, 2: 2, 3: 5, 4: 6, 9: 11}


def test_a_span_inside_a_character_is_skipped_not_misplaced():
    text = "x🙂y"
    done = df.transform(text, [df.Finding("email", 2, 3)], [("email", "redact")], offsets="utf16")
    assert done.output == text and done.entities_transformed == 0
