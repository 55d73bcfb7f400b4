//! IPv6 and MAC addresses.
//!
//! Both are found from a digit run whose hex group touches `:`, `-` or `.`, so both must contain
//! a decimal digit.
//!
//! IPv6: the maximal hex/colon/dot token around the colon is validated against
//! the RFC 4291 text grammar: 1-4 hex digits per group, at most one `::`, 8 groups without `::`
//! and at most 7 with it, an embedded dotted IPv4 as the last two groups (`::ffff:192.0.2.1`),
//! an optional zone id (`%eth0`). To stay clear of code and prose it must also have at least two
//! explicit groups (so `::`, `::1`, `a[::2]`, `std::vector`, `cafe::beef` are
//! not addresses); times (`12:30:45`) and MACs fail the group count.
//!
//! MAC: six hex pairs with one consistent separator `:` or `-` (`00:1A:2B:3C:4D:5E`), or Cisco
//! dotted `001a.2b3c.4d5e`; never a part of a longer hex/colon run,
//! so never inside an IPv6 address. The all-zero address (`00:00:00:00:00:00`, what `ip link`
//! prints for loopback and unset interfaces) and the broadcast address (`ff:ff:ff:ff:ff:ff`)
//! identify no device, so they are not PII and not reported.

use super::{State, at, before, is_digit, is_hex, is_word, push};
use crate::entity::{EntityType, Finding};

const MAX_TOKEN: usize = 48;

/// The hex/colon token around the `:` at `p`.
fn colon(t: &[u8], p: usize, st: &mut State, out: &mut Vec<Finding>) {
    let mut a = p;
    while a > st.net_done
        && p - a < MAX_TOKEN
        && (is_hex(before(t, a, 1)) || before(t, a, 1) == b':')
    {
        a -= 1;
    }
    let mut b = p + 1;
    while b - p < MAX_TOKEN && (is_hex(at(t, b)) || matches!(at(t, b), b':' | b'.')) {
        b += 1;
    }
    st.net_done = b;
    // Trim a sentence dot, a single trailing colon, a single leading colon (`ip:fe80::1`).
    let mut e = b;
    while e > a && before(t, e, 1) == b'.' {
        e -= 1;
    }
    if e >= a + 2 && before(t, e, 1) == b':' && before(t, e, 2) != b':' {
        e -= 1;
    }
    let mut s = a;
    if at(t, s) == b':' && at(t, s + 1) != b':' {
        s += 1;
    }
    if s >= e || is_word(before(t, s, 1)) || before(t, s, 1) == b'.' {
        return;
    }
    let Some(tok) = t.get(s..e) else {
        return;
    };
    if is_mac(tok, b':') {
        if !is_word(at(t, e)) && !null_mac(tok) {
            push(out, EntityType::MacAddress, s, e, 0.90);
        }
        return;
    }
    if !ipv6_ok(tok) {
        return;
    }
    let mut end = e;
    if e == b && at(t, e) == b'%' {
        let mut z = e + 1;
        while z - e <= 16 && (at(t, z).is_ascii_alphanumeric() || matches!(at(t, z), b'_' | b'-')) {
            z += 1;
        }
        if z > e + 1 && !is_word(at(t, z)) {
            end = z;
            st.net_done = z;
        }
    }
    if !is_word(at(t, end)) {
        push(out, EntityType::Ipv6, s, end, 0.90);
    }
}

/// `hh<sep>hh<sep>hh<sep>hh<sep>hh<sep>hh`.
fn is_mac(tok: &[u8], sep: u8) -> bool {
    tok.len() == 17
        && tok
            .iter()
            .enumerate()
            .all(|(i, &c)| if i % 3 == 2 { c == sep } else { is_hex(c) })
}

/// The all-zero or broadcast address: every hex digit `0`, or every one `f`.
fn null_mac(tok: &[u8]) -> bool {
    let mut hex = tok.iter().filter(|&&c| is_hex(c));
    let Some(&first) = hex.next() else {
        return false;
    };
    matches!(first, b'0' | b'f' | b'F') && hex.all(|&c| c.eq_ignore_ascii_case(&first))
}

/// Groups in one side of `::` (or the whole address); `last`: this side ends the address, so
/// its last group may be a dotted IPv4 (counted as two groups).
fn groups(part: &[u8], last: bool) -> Option<usize> {
    if part.is_empty() {
        return Some(0);
    }
    let mut n = 0usize;
    let count = part.split(|&c| c == b':').count();
    for (i, g) in part.split(|&c| c == b':').enumerate() {
        if last && i + 1 == count && g.contains(&b'.') {
            if !ipv4_ok(g) {
                return None;
            }
            n += 2;
        } else if (1..=4).contains(&g.len()) && g.iter().all(|&c| is_hex(c)) {
            n += 1;
        } else {
            return None;
        }
    }
    Some(n)
}

fn ipv4_ok(g: &[u8]) -> bool {
    let mut parts = 0;
    for o in g.split(|&c| c == b'.') {
        parts += 1;
        if !(1..=3).contains(&o.len()) || !o.iter().all(|&c| is_digit(c)) {
            return false;
        }
        let v = o
            .iter()
            .fold(0u32, |acc, &c| acc * 10 + u32::from(c - b'0'));
        if v > 255 {
            return false;
        }
    }
    parts == 4
}

/// RFC 4291 text form (see the module doc for the extra rules).
pub(super) fn ipv6_ok(tok: &[u8]) -> bool {
    if tok.len() < 3 || tok.len() > 45 || !tok.iter().any(|&c| is_digit(c)) {
        return false;
    }
    // Cheap shape check first (times such as `12:30:45` stop here): 7 colons, 6 before a dotted
    // IPv4 tail, or a `::`.
    let colons = tok.iter().filter(|&&c| c == b':').count();
    let dotted = tok.contains(&b'.');
    let compressed = tok.windows(2).any(|w| w == b"::");
    if !compressed && colons != if dotted { 6 } else { 7 } {
        return false;
    }
    match tok.windows(2).position(|w| w == b"::") {
        None => groups(tok, true) == Some(8),
        Some(i) => {
            let (Some(head), Some(tail)) = (tok.get(..i), tok.get(i + 2..)) else {
                return false;
            };
            if tail.first() == Some(&b':') || tail.windows(2).any(|w| w == b"::") {
                return false;
            }
            match (groups(head, false), groups(tail, true)) {
                (Some(h), Some(tl)) => (2..=7).contains(&(h + tl)),
                _ => false,
            }
        }
    }
}

/// At a digit run `[i, re)` not yet covered: if its hex group (at most 4 hex digits) touches a
/// `:`, `-` or `.`, validate the hex token there.
pub(super) fn at_digits(t: &[u8], i: usize, re: usize, st: &mut State, out: &mut Vec<Finding>) {
    let mut l = i;
    while l > st.net_done && i - l < 4 && is_hex(before(t, l, 1)) {
        l -= 1;
    }
    let mut r = re;
    while r - l <= 4 && is_hex(at(t, r)) {
        r += 1;
    }
    if r - l > 4 {
        return;
    }
    let dl = before(t, l, 1);
    let dr = at(t, r);
    if dr == b':' {
        colon(t, r, st, out);
    } else if dl == b':' {
        colon(t, l - 1, st, out);
    } else if r - l == 2 && (dl == b'-' || dr == b'-') {
        mac_dash(t, l, st, out);
    } else if r - l == 4 && (dl == b'.' || dr == b'.') {
        mac_cisco(t, l, st, out);
    }
}

/// Is `[a, e)` free of adjacent hex-token bytes (so the MAC is not part of something longer)?
fn bounded(t: &[u8], a: usize, e: usize) -> bool {
    let pl = before(t, a, 1);
    let n1 = at(t, e);
    !(is_word(pl)
        || matches!(pl, b'-' | b':' | b'.')
        || is_word(n1)
        || (matches!(n1, b'-' | b':' | b'.') && is_hex(at(t, e + 1))))
}

/// `hh-hh-hh-hh-hh-hh`, given the start `l` of one of its pairs.
fn mac_dash(t: &[u8], l: usize, st: &mut State, out: &mut Vec<Finding>) {
    let mut a = l;
    let mut k = 0;
    while k < 5 && before(t, a, 1) == b'-' && is_hex(before(t, a, 2)) && is_hex(before(t, a, 3)) {
        a -= 3;
        k += 1;
    }
    let e = a + 17;
    if t.get(a..e)
        .is_some_and(|tok| is_mac(tok, b'-') && !null_mac(tok))
        && bounded(t, a, e)
    {
        push(out, EntityType::MacAddress, a, e, 0.90);
        st.net_done = e;
    }
}

/// Cisco `hhhh.hhhh.hhhh`, given the start `l` of one of its quads.
fn mac_cisco(t: &[u8], l: usize, st: &mut State, out: &mut Vec<Finding>) {
    let mut a = l;
    let mut k = 0;
    while k < 2 && before(t, a, 1) == b'.' && (2..=5).all(|j| is_hex(before(t, a, j))) {
        a -= 5;
        k += 1;
    }
    let e = a + 14;
    let Some(tok) = t.get(a..e) else {
        return;
    };
    let shape = tok.iter().enumerate().all(|(i, &c)| {
        if i == 4 || i == 9 {
            c == b'.'
        } else {
            is_hex(c)
        }
    });
    if shape && !null_mac(tok) && bounded(t, a, e) {
        push(out, EntityType::MacAddress, a, e, 0.90);
        st.net_done = e;
    }
}
