//! Glob patterns for rule match lists (`action_types`, `tools`, `commands`, `args`, `adapters`,
//! `resources`).
//!
//! Syntax: `*` any run of bytes except `/`; `**` any run of bytes including `/`; `**/` zero or more
//! whole path segments (so `a/**/b` matches `a/b` and `a/x/y/b`); `?` one byte except `/`;
//! `[abc]`, `[a-z]`, `[!abc]` / `[^abc]` one byte (except `/`) in / not in the class. An unclosed
//! `[` is a literal `[`. There is no escape character (use `[*]` for a literal `*`), so Windows
//! paths with `\` work unchanged.
//!
//! Matching is the two-pointer algorithm with one backtrack point for the last `*` and one for the
//! last `**`: O(pattern × text) in the worst case, never exponential, no recursion, no allocation.

/// One compiled pattern element.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Tok {
    Lit(u8),
    /// `?`
    Any,
    /// `[...]`: sorted inclusive byte ranges, negated or not.
    Class {
        negated: bool,
        ranges: Vec<(u8, u8)>,
    },
    /// `*`
    Star,
    /// `**` (not followed by `/`)
    GlobStar,
    /// `**/`: zero or more whole segments
    SegStar,
}

/// A compiled glob. Patterns without metacharacters compare as plain strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Glob {
    source: String,
    case_insensitive: bool,
    kind: Kind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Kind {
    /// No metacharacters: equality (lower-cased when case-insensitive).
    Exact(String),
    Pattern(Vec<Tok>),
}

/// True if `s` contains a glob metacharacter (`*`, `?`, `[`).
pub fn has_meta(s: &str) -> bool {
    s.bytes().any(|b| matches!(b, b'*' | b'?' | b'['))
}

impl Glob {
    /// Compile `pattern`. Never fails: malformed classes are literals.
    pub fn new(pattern: &str, case_insensitive: bool) -> Glob {
        let kind = if has_meta(pattern) {
            Kind::Pattern(compile(pattern.as_bytes(), case_insensitive))
        } else if case_insensitive {
            Kind::Exact(pattern.to_ascii_lowercase())
        } else {
            Kind::Exact(pattern.to_owned())
        };
        Glob {
            source: pattern.to_owned(),
            case_insensitive,
            kind,
        }
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// True if the pattern has glob metacharacters.
    pub fn is_pattern(&self) -> bool {
        matches!(self.kind, Kind::Pattern(_))
    }

    /// True if the whole of `text` matches.
    pub fn matches(&self, text: &str) -> bool {
        match &self.kind {
            Kind::Exact(s) if self.case_insensitive => s.eq_ignore_ascii_case(text),
            Kind::Exact(s) => s == text,
            Kind::Pattern(toks) => match_toks(toks, text.as_bytes(), self.case_insensitive),
        }
    }
}

fn fold(b: u8, ci: bool) -> u8 {
    if ci { b.to_ascii_lowercase() } else { b }
}

fn compile(p: &[u8], ci: bool) -> Vec<Tok> {
    let mut toks = Vec::with_capacity(p.len());
    let mut i = 0;
    while let Some(&b) = p.get(i) {
        match b {
            b'*' => {
                if p.get(i + 1) == Some(&b'*') {
                    // Collapse any run of stars into one globstar.
                    let mut j = i + 2;
                    while p.get(j) == Some(&b'*') {
                        j += 1;
                    }
                    if p.get(j) == Some(&b'/') {
                        toks.push(Tok::SegStar);
                        i = j + 1;
                    } else {
                        toks.push(Tok::GlobStar);
                        i = j;
                    }
                } else {
                    toks.push(Tok::Star);
                    i += 1;
                }
            }
            b'?' => {
                toks.push(Tok::Any);
                i += 1;
            }
            b'[' => match parse_class(p, i + 1, ci) {
                Some((tok, next)) => {
                    toks.push(tok);
                    i = next;
                }
                None => {
                    toks.push(Tok::Lit(b'['));
                    i += 1;
                }
            },
            _ => {
                toks.push(Tok::Lit(fold(b, ci)));
                i += 1;
            }
        }
    }
    toks
}

/// Parse a class body starting at `i` (just after `[`). Returns the token and the index after `]`.
fn parse_class(p: &[u8], mut i: usize, ci: bool) -> Option<(Tok, usize)> {
    let negated = matches!(p.get(i), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let &b = p.get(i)?;
        if b == b']' && !first {
            break;
        }
        first = false;
        if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&e| e != b']') {
            let e = *p.get(i + 2)?;
            let (lo, hi) = if b <= e { (b, e) } else { (e, b) };
            push_range(&mut ranges, lo, hi, ci);
            i += 3;
        } else {
            push_range(&mut ranges, b, b, ci);
            i += 1;
        }
    }
    Some((Tok::Class { negated, ranges }, i + 1))
}

fn push_range(ranges: &mut Vec<(u8, u8)>, lo: u8, hi: u8, ci: bool) {
    ranges.push((lo, hi));
    if ci {
        // Add the other case of any letters in the range (text is folded to lower case).
        let (l, h) = (lo.max(b'A'), hi.min(b'Z'));
        if l <= h {
            ranges.push((l.to_ascii_lowercase(), h.to_ascii_lowercase()));
        }
    }
}

fn class_matches(negated: bool, ranges: &[(u8, u8)], b: u8) -> bool {
    ranges.iter().any(|&(lo, hi)| lo <= b && b <= hi) != negated
}

#[derive(Clone, Copy)]
struct Back {
    /// Pattern index just after the star.
    p: usize,
    /// Text index the star has consumed up to.
    t: usize,
    seg: bool,
}

fn match_toks(toks: &[Tok], text: &[u8], ci: bool) -> bool {
    let (mut p, mut t) = (0usize, 0usize);
    let mut star: Option<Back> = None;
    let mut globstar: Option<Back> = None;
    loop {
        if let Some(tok) = toks.get(p) {
            let c = text.get(t).map(|&b| fold(b, ci));
            let advanced = match (tok, c) {
                (Tok::Lit(l), Some(c)) => *l == c,
                (Tok::Any, Some(c)) => c != b'/',
                (Tok::Class { negated, ranges }, Some(c)) => {
                    c != b'/' && class_matches(*negated, ranges, c)
                }
                (Tok::Star, _) => {
                    star = Some(Back {
                        p: p + 1,
                        t,
                        seg: false,
                    });
                    p += 1;
                    continue;
                }
                (Tok::GlobStar | Tok::SegStar, _) => {
                    globstar = Some(Back {
                        p: p + 1,
                        t,
                        seg: matches!(tok, Tok::SegStar),
                    });
                    star = None;
                    p += 1;
                    continue;
                }
                _ => false,
            };
            if advanced {
                p += 1;
                t += 1;
                continue;
            }
        } else if t == text.len() {
            return true;
        }
        // Mismatch: let the last `*` eat one more byte (never a `/`), else the last `**`.
        if let Some(b) = star.as_mut() {
            if let Some(&c) = text.get(b.t)
                && c != b'/'
            {
                b.t += 1;
                p = b.p;
                t = b.t;
                continue;
            }
            star = None;
        }
        if let Some(b) = globstar.as_mut() {
            if b.seg {
                // `**/` consumes whole segments: jump past the next `/`.
                let rest = text.get(b.t..).unwrap_or_default();
                match rest.iter().position(|&c| c == b'/') {
                    Some(off) => b.t += off + 1,
                    None => return false,
                }
            } else if b.t < text.len() {
                b.t += 1;
            } else {
                return false;
            }
            p = b.p;
            t = b.t;
            continue;
        }
        return false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Glob::new(p, false).matches(t)
    }

    /// Obvious exponential reference matcher over the same tokens.
    fn slow(toks: &[Tok], text: &[u8]) -> bool {
        match toks.split_first() {
            None => text.is_empty(),
            Some((tok, rest)) => match tok {
                Tok::Star => (0..=text.len())
                    .take_while(|&k| k == 0 || text[k - 1] != b'/')
                    .any(|k| slow(rest, &text[k..])),
                Tok::GlobStar => (0..=text.len()).any(|k| slow(rest, &text[k..])),
                Tok::SegStar => {
                    slow(rest, text)
                        || (0..text.len())
                            .filter(|&k| text[k] == b'/')
                            .any(|k| slow(rest, &text[k + 1..]))
                }
                Tok::Lit(l) => text.first() == Some(l) && slow(rest, &text[1..]),
                Tok::Any => text.first().is_some_and(|&c| c != b'/') && slow(rest, &text[1..]),
                Tok::Class { negated, ranges } => {
                    text.first()
                        .is_some_and(|&c| c != b'/' && class_matches(*negated, ranges, c))
                        && slow(rest, &text[1..])
                }
            },
        }
    }

    #[test]
    fn basics() {
        assert!(m("*", "anything"));
        assert!(m("*", ""));
        assert!(!m("*", "a/b"));
        assert!(m("**", "a/b/c"));
        assert!(m("file.*", "file.write"));
        assert!(!m("file.*", "shell.exec"));
        assert!(m("/home/*/.ssh/**", "/home/u/.ssh/id_rsa"));
        assert!(!m("/home/*/.ssh/**", "/home/u/x/.ssh/id_rsa"));
        assert!(m("/src/**/*.rs", "/src/main.rs"));
        assert!(m("/src/**/*.rs", "/src/a/b/main.rs"));
        assert!(!m("/src/**/*.rs", "/src/a/b/main.go"));
        assert!(m("**/.env", ".env"));
        assert!(m("**/.env", "a/b/.env"));
        assert!(!m("**/.env", "a/b/x.env"));
        assert!(m("?.txt", "a.txt"));
        assert!(!m("?.txt", "/.txt"));
        assert!(m("[abc]x", "bx"));
        assert!(!m("[!abc]x", "bx"));
        assert!(m("[^abc]x", "dx"));
        assert!(m("[a-c]x", "cx"));
        assert!(m("[]]", "]"));
        assert!(m("a[", "a["));
        assert!(m("[*]", "*"));
        assert!(!m("[*]", "x"));
        assert!(m("git push *", "git push origin"));
        assert!(m("a**b", "a/x/b"));
        assert!(m("*a*b*c*", "xxaxxbxxcxx"));
        assert!(!m("*a*b*c*", "xxaxxcxxbxx"));
    }

    #[test]
    fn case_folding() {
        let g = Glob::new("Shell.*", true);
        assert!(g.matches("SHELL.EXEC"));
        assert!(Glob::new("[A-C]x", true).matches("bX"));
        assert!(Glob::new("--HELP", true).matches("--help"));
        assert!(!Glob::new("/Home/**", false).matches("/home/x"));
    }

    #[test]
    fn no_blowup() {
        let text = "a".repeat(10_000);
        let pat = format!("{}b", "*a".repeat(100));
        assert!(!m(&pat, &text));
        let pat = format!("{}b", "**a".repeat(100));
        assert!(!m(&pat, &text));
    }

    use proptest::prelude::*;

    proptest! {
        #[test]
        fn agrees_with_slow_reference(p in "[ab/*?\\[\\]!-]{0,10}", t in "[ab/]{0,12}") {
            let toks = compile(p.as_bytes(), false);
            prop_assert_eq!(match_toks(&toks, t.as_bytes(), false), slow(&toks, t.as_bytes()));
        }
    }
}
