//! Offset units. Findings carry byte offsets (the Go contract); JavaScript clients index strings in
//! UTF-16 code units and Python in characters, and a wrong unit leaks PII, so either is available
//! on request.
//!
//! For invalid UTF-8 input, each byte of an invalid sequence counts as one character and one UTF-16
//! unit (it decodes to one U+FFFD per maximal invalid subpart, as `String::from_utf8_lossy` does,
//! and each such subpart here is counted per byte: the conservative choice, documented in
//! `docs/wit.md`).

use serde::{Deserialize, Serialize};

use crate::entity::Finding;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OffsetUnit {
    #[default]
    Byte,
    Char,
    Utf16,
}

impl OffsetUnit {
    pub fn parse(s: &str) -> Option<OffsetUnit> {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "byte" | "bytes" | "utf8" | "utf-8" => Some(OffsetUnit::Byte),
            "char" | "chars" | "codepoint" | "codepoints" => Some(OffsetUnit::Char),
            "utf16" | "utf-16" => Some(OffsetUnit::Utf16),
            _ => None,
        }
    }
}

/// Units taken by the character that starts with byte `b` (0 for continuation bytes).
fn units(b: u8, unit: OffsetUnit) -> usize {
    match unit {
        OffsetUnit::Byte => 1,
        OffsetUnit::Char => usize::from(!(0x80..0xC0).contains(&b)),
        OffsetUnit::Utf16 => {
            if b < 0x80 || (0xC0..0xF0).contains(&b) {
                1
            } else if b >= 0xF0 {
                2
            } else {
                0
            }
        }
    }
}

/// Convert byte offsets (sorted or not) of `findings` into `unit` offsets of `text`, in place.
/// One pass over the text; offsets past the end are clamped.
pub fn convert(text: &[u8], findings: &mut [Finding], unit: OffsetUnit) {
    if unit == OffsetUnit::Byte || findings.is_empty() {
        return;
    }
    let valid = std::str::from_utf8(text).is_ok();
    // Collect every boundary we need, sort, and walk the text once.
    let mut points: Vec<usize> = findings.iter().flat_map(|f| [f.start, f.end]).collect();
    points.sort_unstable();
    points.dedup();
    let mut mapped = Vec::with_capacity(points.len());
    let mut pos = 0usize;
    let mut count = 0usize;
    for &p in &points {
        let p = p.min(text.len());
        while pos < p {
            let b = text.get(pos).copied().unwrap_or(0);
            count += if valid {
                units(b, unit)
            } else {
                lossy_units(text, pos, unit)
            };
            pos += 1;
        }
        mapped.push(count);
    }
    for f in findings.iter_mut() {
        let map = |x: usize| {
            points
                .binary_search(&x)
                .ok()
                .and_then(|i| mapped.get(i).copied())
                .unwrap_or(count)
        };
        f.start = map(f.start);
        f.end = map(f.end);
    }
}

/// Units for the byte at `pos` of possibly invalid UTF-8: a byte that starts a valid sequence
/// counts as that character; a continuation byte of a valid sequence counts 0; any byte of an
/// invalid sequence counts as one unit.
fn lossy_units(text: &[u8], pos: usize, unit: OffsetUnit) -> usize {
    let b = text.get(pos).copied().unwrap_or(0);
    if b < 0x80 {
        return 1;
    }
    if (0x80..0xC0).contains(&b) {
        // Continuation: part of a valid char if a valid lead byte within 3 back decodes over it.
        for back in 1..=3usize {
            let Some(start) = pos.checked_sub(back) else {
                break;
            };
            let lead = text.get(start).copied().unwrap_or(0);
            if (0x80..0xC0).contains(&lead) {
                continue;
            }
            let len = utf8_len(lead);
            if len > back
                && text
                    .get(start..start + len)
                    .is_some_and(|s| std::str::from_utf8(s).is_ok())
            {
                return 0;
            }
            break;
        }
        return 1;
    }
    let len = utf8_len(b);
    match text.get(pos..pos + len) {
        Some(s) if len > 1 && std::str::from_utf8(s).is_ok() => units(b, unit),
        _ => 1,
    }
}

fn utf8_len(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entity::EntityType;

    #[test]
    fn converts_char_and_utf16() {
        let text = "é😀 a@b.co".as_bytes();
        // "é" 2 bytes, "😀" 4 bytes, " " 1 => email at byte 7..13
        let mk = || vec![Finding::new(EntityType::Email, 7, 13, 1.0)];
        let mut c = mk();
        convert(text, &mut c, OffsetUnit::Char);
        assert_eq!((c[0].start, c[0].end), (3, 9));
        let mut u = mk();
        convert(text, &mut u, OffsetUnit::Utf16);
        assert_eq!((u[0].start, u[0].end), (4, 10));
    }

    #[test]
    fn invalid_bytes_count_one_each() {
        let text = b"\xff\xfe a@b.co";
        let mut c = vec![Finding::new(EntityType::Email, 3, 9, 1.0)];
        convert(text, &mut c, OffsetUnit::Char);
        assert_eq!((c[0].start, c[0].end), (3, 9));
    }
}
