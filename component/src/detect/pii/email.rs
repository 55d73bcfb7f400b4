//! Email addresses, anchored at `@`.
//!
//! Go's `(?i)\b[\w.+-]+@[\w.-]+\.[A-Za-z]{2,}\b` (ASCII), with these differences:
//! - a local part may contain non-ASCII letters (RFC 6531): `jürgen@beispiel.de` is found whole
//!   (Go: `rgen@beispiel.de`); a non-letter non-ASCII character (`«`, NBSP) ends it;
//! - the domain starts with a letter or digit and has no empty label (`a@.com`, `a@b..com`);
//! - not an email: an scp-style git remote (`git@github.com:org/repo`: the host is followed by
//!   `:` and a non-space), URL userinfo (`scheme://user@host`, `scheme://user:pass@host`,
//!   `user:pass@host`; but labels such as `mailto:`, `email:`, `to:` do precede emails), and
//!   retina image names (`icon@2x.png`, any image extension as TLD).

use super::{State, at, before, is_alpha, is_local, is_space, is_word, push};
use crate::entity::{EntityType, Finding};

const MAX_PART: usize = 254;

/// Labels that may precede an email directly after a colon (`mailto:a@b.com`).
const LABELS: &[&str] = &[
    "mailto",
    "email",
    "e-mail",
    "mail",
    "to",
    "from",
    "cc",
    "bcc",
    "reply-to",
    "sender",
    "recipient",
    "contact",
    "address",
    "addr",
    "courriel",
    "correo",
];

const IMAGE_EXT: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "avif", "heic",
];

/// Decode the UTF-8 character that ends right before `i`: `(char, byte length)`.
fn char_before(t: &[u8], i: usize) -> Option<(char, usize)> {
    for len in 2..=4 {
        let s = i.checked_sub(len)?;
        let lead = *t.get(s)?;
        if lead & 0xC0 == 0xC0 {
            let ch = std::str::from_utf8(t.get(s..i)?).ok()?.chars().next()?;
            return Some((ch, len));
        }
        if lead & 0xC0 != 0x80 {
            return None;
        }
    }
    None
}

pub(super) fn at_sign(t: &[u8], p: usize, st: &mut State, out: &mut Vec<Finding>) {
    let floor = st.email_floor;
    st.email_floor = p + 1;
    // Local part, backwards.
    let mut a = p;
    while a > floor && p - a < MAX_PART {
        let c = before(t, a, 1);
        if is_local(c) {
            a -= 1;
        } else if c >= 0x80
            && let Some((ch, len)) = char_before(t, a)
            && ch.is_alphanumeric()
            && a - len >= floor
        {
            a -= len;
        } else {
            break;
        }
    }
    // Go's leading `\b`: the local part starts at a word character.
    while a < p && matches!(at(t, a), b'.' | b'+' | b'-') {
        a += 1;
    }
    if a == p || userinfo(t, a) {
        return;
    }
    let Some(end) = domain_end(t, p + 1) else {
        return;
    };
    // scp-style remote `git@github.com:org/repo`.
    if at(t, end) == b':' && !is_space(at(t, end + 1)) && at(t, end + 1) != 0 {
        return;
    }
    push(out, EntityType::Email, a, end, 0.995);
    st.email_floor = end;
}

/// End of `[\w.-]+\.[A-Za-z]{2,}\b` starting at `d`, Go-style (the last dot whose label is
/// 2+ letters followed by a non-word byte), with no empty label and not an image name.
fn domain_end(t: &[u8], d: usize) -> Option<usize> {
    if !is_word(at(t, d)) {
        return None;
    }
    let mut e = d;
    while e - d < MAX_PART && is_local(at(t, e)) && at(t, e) != b'+' {
        e += 1;
    }
    // Candidate dots from the right.
    let mut k = e;
    while k > d {
        k -= 1;
        if at(t, k) != b'.' || k == d {
            continue;
        }
        let ls = k + 1;
        let mut le = ls;
        while is_alpha(at(t, le)) {
            le += 1;
        }
        if le - ls < 2 || is_word(at(t, le)) {
            continue;
        }
        let dom = t.get(d..le)?;
        if dom.windows(2).any(|w| w == b"..") {
            return None;
        }
        let tld = t.get(ls..le)?;
        let first = dom.split(|&b| b == b'.').next().unwrap_or_default();
        let retina = first.len() >= 2
            && first.last() == Some(&b'x')
            && first
                .iter()
                .take(first.len() - 1)
                .all(|b| b.is_ascii_digit() || *b == b'_');
        if retina
            || IMAGE_EXT
                .iter()
                .any(|x| x.as_bytes().eq_ignore_ascii_case(tld))
        {
            return None;
        }
        return Some(le);
    }
    None
}

/// Is the local part starting at `a` URL userinfo (`scheme://user@`, `scheme://user:pass@`,
/// `user:pass@`)?
fn userinfo(t: &[u8], a: usize) -> bool {
    match before(t, a, 1) {
        b'/' => before(t, a, 2) == b'/',
        b':' => {
            let colon = a - 1;
            let mut k = colon;
            while k > 0 && colon - k < MAX_PART {
                let c = before(t, k, 1);
                if is_space(c)
                    || matches!(c, 0 | b'"' | b'\'' | b'<' | b'>' | b'(' | b')' | b'[')
                    || matches!(c, b']' | b'{' | b'}' | b',' | b';')
                {
                    break;
                }
                k -= 1;
            }
            let Some(tok) = t.get(k..colon) else {
                return false;
            };
            if tok.is_empty() {
                return false;
            }
            if tok.windows(2).any(|w| w == b"//") {
                return true;
            }
            !LABELS
                .iter()
                .any(|l| l.as_bytes().eq_ignore_ascii_case(tok))
        }
        _ => false,
    }
}
