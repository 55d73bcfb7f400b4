//! A Go-compatible JSON writer for the hashes that must match the Go service byte for byte
//! (`action_hash`, `input_hash`, idempotency fingerprints, `sanitized_summary`).
//!
//! It reproduces `encoding/json` as the Go service uses it: struct fields in declaration order,
//! `omitempty` where the Go struct has it, strings escaped with HTML escaping on (`<`, `>`, `&` as
//! `\u003c`, `\u003e`, `\u0026`; U+2028/U+2029 escaped; `\b`, `\f`, `\n`, `\r`, `\t` short forms as
//! in Go 1.22+; other control characters as `\u00XX`), and floats in Go's shortest form (`1`, not
//! `1.0`; exponent form `1e-7` / `1e+21` below 1e-6 or from 1e21).

use crate::policy::Action;
use crate::transform::{SuppliedFinding, TransformStep};

/// Append `s` as a Go-escaped JSON string: `"` `\` and control characters escaped (`\n`, `\r`,
/// `\t`, `\b`, `\f` by name, others as `\u00XX`), and, as Go's HTML-safe encoder does, `<`,
/// `>`, `&`, U+2028 and U+2029 as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`.
///
/// Runs without an escape are copied whole (receipts and request hashes write every text this
/// way, so this is on decide's hot path).
pub fn string(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut copied = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let (escape, len): (&str, usize) = match b {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            0x08 => ("\\b", 1),
            0x0c => ("\\f", 1),
            b'<' => ("\\u003c", 1),
            b'>' => ("\\u003e", 1),
            b'&' => ("\\u0026", 1),
            0xe2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xa8) => {
                ("\\u2028", 3)
            }
            0xe2 if bytes.get(i + 1) == Some(&0x80) && bytes.get(i + 2) == Some(&0xa9) => {
                ("\\u2029", 3)
            }
            b if b < 0x20 => ("", 1),
            _ => continue,
        };
        // `i` is a character boundary: `b` is ASCII or the lead byte of U+2028/U+2029.
        out.push_str(s.get(copied..i).unwrap_or_default());
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(
                HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'),
            ));
            out.push(char::from(
                HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'),
            ));
        } else {
            out.push_str(escape);
        }
        copied = i + len;
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    out.push('"');
}

/// Append `f` the way Go's `encoding/json` writes a float64. Non-finite values (which Go refuses to
/// encode, and which JSON input cannot carry) are written as `null`.
pub fn float(out: &mut String, f: f64) {
    if !f.is_finite() {
        out.push_str("null");
        return;
    }
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let s = format!("{f:e}");
        match s.split_once('e') {
            Some((m, e)) if !e.starts_with('-') => {
                out.push_str(m);
                out.push_str("e+");
                out.push_str(e);
            }
            _ => out.push_str(&s),
        }
    } else {
        // Rust's `Display` is the shortest round-trip decimal without an exponent, as Go's 'f'.
        out.push_str(&format!("{f}"));
    }
}

/// An object being written field by field.
#[derive(Debug)]
pub struct Obj {
    buf: String,
    first: bool,
}

impl Default for Obj {
    fn default() -> Obj {
        Obj::new()
    }
}

impl Obj {
    pub fn new() -> Obj {
        Obj {
            buf: String::from("{"),
            first: true,
        }
    }

    fn key(&mut self, k: &str) {
        if !self.first {
            self.buf.push(',');
        }
        self.first = false;
        string(&mut self.buf, k);
        self.buf.push(':');
    }

    pub fn str(mut self, k: &str, v: &str) -> Obj {
        self.key(k);
        string(&mut self.buf, v);
        self
    }

    /// `omitempty` string.
    pub fn str_omit(self, k: &str, v: &str) -> Obj {
        if v.is_empty() { self } else { self.str(k, v) }
    }

    /// A pre-encoded JSON value.
    pub fn raw(mut self, k: &str, json: &str) -> Obj {
        self.key(k);
        self.buf.push_str(json);
        self
    }

    pub fn uint(mut self, k: &str, v: usize) -> Obj {
        self.key(k);
        self.buf.push_str(&v.to_string());
        self
    }

    pub fn float(mut self, k: &str, v: f64) -> Obj {
        self.key(k);
        float(&mut self.buf, v);
        self
    }

    pub fn finish(mut self) -> String {
        self.buf.push('}');
        self.buf
    }
}

/// `[a,b]` from pre-encoded items.
pub fn array<I: IntoIterator<Item = String>>(items: I) -> String {
    let mut out = String::from("[");
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&item);
    }
    out.push(']');
    out
}

pub fn string_array(items: &[String]) -> String {
    array(items.iter().map(|s| {
        let mut o = String::new();
        string(&mut o, s);
        o
    }))
}

/// Go `ActionMeta`: `type` always; `tool`, `resource`, `command`, `args`, `sensitive` omitempty.
pub fn action(a: &Action) -> String {
    let mut o = Obj::new()
        .str("type", &a.action_type)
        .str_omit("tool", &a.tool)
        .str_omit("resource", &a.resource)
        .str_omit("command", &a.command);
    if !a.args.is_empty() {
        o = o.raw("args", &string_array(&a.args));
    }
    if a.sensitive {
        o = o.raw("sensitive", "true");
    }
    o.finish()
}

/// Go `ScanFinding`: every field always written.
pub fn finding(f: &SuppliedFinding) -> String {
    Obj::new()
        .str("entity_type", &f.entity_type)
        .str("value", &f.value)
        .uint("start", f.start)
        .uint("end", f.end)
        .float("confidence", f.confidence)
        .finish()
}

pub fn findings(fs: &[SuppliedFinding]) -> String {
    array(fs.iter().map(finding))
}

/// Go `[]TransformStep`.
pub fn plan(steps: &[TransformStep]) -> String {
    array(steps.iter().map(|s| {
        Obj::new()
            .str("entity_type", &s.entity_type)
            .str("mode", s.mode.as_str())
            .finish()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(x: &str) -> String {
        let mut o = String::new();
        string(&mut o, x);
        o
    }

    fn fl(x: f64) -> String {
        let mut o = String::new();
        float(&mut o, x);
        o
    }

    #[test]
    fn strings_escape_like_go() {
        assert_eq!(s("a<b>&c"), r#""a\u003cb\u003e\u0026c""#);
        assert_eq!(s("q\"\\\n\t\u{1}\u{2028}é"), r#""q\"\\\n\t\u0001\u2028é""#);
    }

    /// The escaping rules one character at a time (the previous implementation).
    fn reference(x: &str) -> String {
        let mut out = String::from('"');
        for c in x.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                    out.push_str(&format!("\\u{:04x}", u32::from(c)));
                }
                c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }

    #[test]
    fn strings_escape_like_the_reference() {
        let mut all: String = (0u32..0x80).filter_map(char::from_u32).collect();
        all.push_str("é\u{2027}\u{2028}\u{2029}\u{202a}😀\u{e280}\u{ffff}");
        assert_eq!(s(&all), reference(&all));
        // Every character alone, at the start, in the middle and at the end of a run.
        for c in all.chars() {
            for t in [
                format!("{c}"),
                format!("ab{c}"),
                format!("{c}cd"),
                format!("a{c}{c}b"),
            ] {
                assert_eq!(s(&t), reference(&t), "{t:?}");
            }
        }
        // serde_json reads it back as the same string.
        assert_eq!(serde_json::from_str::<String>(&s(&all)).unwrap(), all);
    }

    #[test]
    fn floats_format_like_go() {
        assert_eq!(fl(1.0), "1");
        assert_eq!(fl(0.0), "0");
        assert_eq!(fl(0.995), "0.995");
        assert_eq!(fl(0.7999999999999999), "0.7999999999999999");
        assert_eq!(fl(1e-7), "1e-7");
        assert_eq!(fl(1.5e21), "1.5e+21");
        assert_eq!(fl(123456.0), "123456");
        assert_eq!(fl(-0.5), "-0.5");
    }

    #[test]
    fn plan_json() {
        let p = [TransformStep {
            entity_type: "email".into(),
            mode: crate::transform::Mode::Mask,
        }];
        assert_eq!(plan(&p), r#"[{"entity_type":"email","mode":"mask"}]"#);
        assert_eq!(plan(&[]), "[]");
    }
}
