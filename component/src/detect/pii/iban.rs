//! IBAN: country code, 2 check digits, BBAN; compact (`DE89370400440532013000`) or printed in
//! groups of 4 separated by single spaces (`DE89 3704 0044 0532 0130 00`). Upper-case only; the
//! length must be the registered one for the country and the ISO 7064 mod-97 check must be 1.

use super::{at, before, is_alnum, is_digit, is_upper};

/// Registered IBAN length per country (SWIFT IBAN registry, plus long-standing partial users).
fn country_len(cc: [u8; 2]) -> Option<usize> {
    let n = match &cc {
        b"AD" => 24,
        b"AE" => 23,
        b"AL" => 28,
        b"AT" => 20,
        b"AZ" => 28,
        b"BA" => 20,
        b"BE" => 16,
        b"BG" => 22,
        b"BH" => 22,
        b"BI" => 27,
        b"BR" => 29,
        b"BY" => 28,
        b"CH" => 21,
        b"CR" => 22,
        b"CY" => 28,
        b"CZ" => 24,
        b"DE" => 22,
        b"DJ" => 27,
        b"DK" => 18,
        b"DO" => 28,
        b"EE" => 20,
        b"EG" => 29,
        b"ES" => 24,
        b"FI" => 18,
        b"FK" => 18,
        b"FO" => 18,
        b"FR" => 27,
        b"GB" => 22,
        b"GE" => 22,
        b"GI" => 23,
        b"GL" => 18,
        b"GR" => 27,
        b"GT" => 28,
        b"HN" => 28,
        b"HR" => 21,
        b"HU" => 28,
        b"IE" => 22,
        b"IL" => 23,
        b"IQ" => 23,
        b"IS" => 26,
        b"IT" => 27,
        b"JO" => 30,
        b"KW" => 30,
        b"KZ" => 20,
        b"LB" => 28,
        b"LC" => 32,
        b"LI" => 21,
        b"LT" => 20,
        b"LU" => 20,
        b"LV" => 21,
        b"LY" => 25,
        b"MC" => 27,
        b"MD" => 24,
        b"ME" => 22,
        b"MK" => 19,
        b"MN" => 20,
        b"MR" => 27,
        b"MT" => 31,
        b"MU" => 30,
        b"NI" => 28,
        b"NL" => 18,
        b"NO" => 15,
        b"OM" => 23,
        b"PK" => 24,
        b"PL" => 28,
        b"PS" => 29,
        b"PT" => 25,
        b"QA" => 29,
        b"RO" => 24,
        b"RS" => 22,
        b"RU" => 33,
        b"SA" => 24,
        b"SC" => 31,
        b"SD" => 18,
        b"SE" => 24,
        b"SI" => 19,
        b"SK" => 24,
        b"SM" => 27,
        b"SO" => 23,
        b"ST" => 25,
        b"SV" => 28,
        b"TL" => 23,
        b"TN" => 24,
        b"TR" => 26,
        b"UA" => 29,
        b"VA" => 22,
        b"VG" => 24,
        b"XK" => 20,
        b"YE" => 30,
        _ => return None,
    };
    Some(n)
}

/// ISO 7064 MOD 97-10 over the rearranged IBAN (first four characters moved to the end).
pub(super) fn mod97_ok(iban: &[u8]) -> bool {
    let (head, tail) = iban.split_at(iban.len().min(4));
    let mut r = 0u32;
    for &c in tail.iter().chain(head) {
        r = if c.is_ascii_digit() {
            (r * 10 + u32::from(c - b'0')) % 97
        } else if c.is_ascii_uppercase() {
            (r * 100 + u32::from(c - b'A') + 10) % 97
        } else {
            return false;
        };
    }
    r == 1
}

/// An IBAN starting at `a` (the first country letter); returns its end.
pub(super) fn parse(t: &[u8], a: usize) -> Option<usize> {
    let len = country_len([at(t, a), at(t, a + 1)])?;
    if is_alnum(before(t, a, 1)) || !is_digit(at(t, a + 2)) || !is_digit(at(t, a + 3)) {
        return None;
    }
    let mut buf = [0u8; 34];
    let mut n = 0usize;
    let mut pos = a;
    // None: not decided yet (before the first group boundary); Some(true): grouped by spaces.
    let mut spaced: Option<bool> = None;
    while n < len {
        if n > 0 && n.is_multiple_of(4) {
            let sp = at(t, pos) == b' ';
            match spaced {
                None => spaced = Some(sp),
                Some(want) if want != sp => return None,
                Some(_) => {}
            }
            if sp {
                pos += 1;
            }
        }
        let c = at(t, pos);
        if !(c.is_ascii_digit() || is_upper(c)) {
            return None;
        }
        *buf.get_mut(n)? = c;
        n += 1;
        pos += 1;
    }
    if is_alnum(at(t, pos)) {
        return None;
    }
    mod97_ok(buf.get(..n)?).then_some(pos)
}
