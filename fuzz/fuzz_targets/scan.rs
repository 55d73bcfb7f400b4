//! `scan`: arbitrary bytes through detection, with the default options and with the custom
//! detectors and allow-list of `config/examples/extensions.json`. Checks the contract of
//! `datafog::scan` (`component/src/detect/mod.rs`): every finding is a non-empty in-range span,
//! confidences are in `[0, 1]`, findings are sorted by start (ties: longer first), none lies inside
//! a finding of a stronger built-in type, spans of valid UTF-8 text are on character boundaries,
//! and the char/UTF-16 offset conversion agrees with the standard library.
#![no_main]

use std::sync::OnceLock;

use datafog::detect::offsets;
use datafog::{EntityType, Finding, OffsetUnit, Policy, ScanOptions, scan};
use libfuzzer_sys::fuzz_target;

/// The documented custom-detector example (read at build time: no file I/O while fuzzing).
const EXTENSIONS: &[u8] = include_bytes!("../../config/examples/extensions.json");

fn extensions() -> Option<&'static Policy> {
    static POLICY: OnceLock<Option<Policy>> = OnceLock::new();
    POLICY
        .get_or_init(|| Policy::from_json(EXTENSIONS).ok())
        .as_ref()
}

fn strength(f: &Finding) -> Option<u8> {
    EntityType::parse(&f.entity_type).map(EntityType::strength)
}

fn check(text: &[u8], found: &[Finding]) {
    let utf8 = std::str::from_utf8(text).ok();
    for f in found {
        assert!(f.start < f.end && f.end <= text.len(), "span out of range");
        assert!(
            (0.0..=1.0).contains(&f.confidence),
            "confidence out of range"
        );
        if let Some(s) = utf8 {
            assert!(
                s.is_char_boundary(f.start) && s.is_char_boundary(f.end),
                "span off a character boundary"
            );
        }
    }
    for w in found.windows(2) {
        let (a, b) = (&w[0], &w[1]);
        assert!(
            a.start < b.start || (a.start == b.start && a.end >= b.end),
            "findings not sorted"
        );
    }
    for a in found {
        for b in found {
            if std::ptr::eq(a, b) || a.entity_type == b.entity_type {
                continue;
            }
            let inside = b.start <= a.start && a.end <= b.end;
            if let (Some(sa), Some(sb)) = (strength(a), strength(b)) {
                assert!(!(inside && sb > sa), "finding inside a stronger one");
            }
        }
    }
    if let Some(s) = utf8 {
        let mut chars = found.to_vec();
        offsets::convert(text, &mut chars, OffsetUnit::Char);
        let mut utf16 = found.to_vec();
        offsets::convert(text, &mut utf16, OffsetUnit::Utf16);
        for ((b, c), u) in found.iter().zip(&chars).zip(&utf16) {
            let (head, span) = (&s[..b.start], &s[..b.end]);
            assert_eq!(c.start, head.chars().count(), "char offset");
            assert_eq!(c.end, span.chars().count(), "char offset");
            assert_eq!(u.start, head.encode_utf16().count(), "utf-16 offset");
            assert_eq!(u.end, span.encode_utf16().count(), "utf-16 offset");
        }
    }
}

fuzz_target!(|text: &[u8]| {
    check(text, &scan(text, &ScanOptions::default()));
    if let Some(policy) = extensions() {
        check(text, &scan(text, &policy.scan_options()));
    }
});
