//! Number-first addresses (US, UK and `100 Avenue of the Americas`): street, units and the
//! `City, ST 12345` / `City SW1A 2AA` tail; P.O. boxes.

use super::lexicon::{
    CUES, STATE_NAMES, STATES, STOP_BEFORE, STOP_NAMES, SUFFIX_STRONG, SUFFIX_WEAK, UNIT_BARE,
    UNIT_ID,
};
use super::{at, cap_start, eu, has_lower, in_list, is_name, lower, prev_word_in, word_end};

/// What ended a tail: a ZIP or postcode, or only a state.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Tail {
    Code,
    State,
}

/// Most street words before the suffix.
const MAX_WORDS: usize = 6;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Suffix {
    None,
    Weak,
    Strong,
}

/// The address whose house number starts at `d` and ends at `p`: a French type word after the
/// number (`eu::forward_fr`) or a US/UK street.
pub(super) fn forward(t: &[u8], d: usize, p: usize) -> Option<(usize, usize)> {
    let c = at(t, p);
    if !(c == b' ' || c == b',') || !at(t, p + 1).is_ascii_alphanumeric() && c == b' ' {
        return None;
    }
    let found = street(t, d, p)?;
    (!prev_word_in(t, d, STOP_BEFORE)).then_some(found)
}

/// `forward` without the reference-word check.
fn street(t: &[u8], d: usize, p: usize) -> Option<(usize, usize)> {
    let c = at(t, p);
    if let Some(found) = eu::forward_fr(t, d, p) {
        return Some(found);
    }
    if c != b' ' {
        return None;
    }
    let n1 = at(t, p + 1);
    if n1.is_ascii_lowercase() {
        return lower_case_street(t, d, p);
    }
    if !(n1.is_ascii_uppercase() || n1.is_ascii_digit()) {
        return None;
    }
    // Street words: (start, end) of each, up to the first word that cannot be part of a name.
    let mut words = [(0usize, 0usize); MAX_WORDS + 2];
    let mut n = 0usize;
    let mut w = p + 1;
    while n < words.len() {
        let e = word_end(t, w);
        let word = t.get(w..e).unwrap_or_default();
        let ok = is_name(word)
            || is_ordinal(word)
            || is_highway_token(word)
            || (n > 0 && word.iter().all(u8::is_ascii_digit) && !word.is_empty())
            || (n > 0 && matches!(word, b"of" | b"the" | b"de" | b"la" | b"del"));
        if !ok {
            break;
        }
        if let Some(slot) = words.get_mut(n) {
            *slot = (w, e);
        }
        n += 1;
        if at(t, e) != b' ' || word.iter().all(u8::is_ascii_digit) {
            break;
        }
        w = e + 1;
    }
    let words = words.get(..n)?;
    let word = |k: usize| {
        words
            .get(k)
            .and_then(|&(s, e)| t.get(s..e))
            .unwrap_or_default()
    };
    // A highway: `[State|County|US|Historic...] Route|Road|Highway|Hwy 9` or `US-101`.
    let mut street = None;
    let mut kind = Suffix::None;
    for k in 0..n {
        let wk = word(k);
        if is_highway_token(wk) {
            street = words.get(k).map(|&(_, e)| e);
            kind = Suffix::Strong;
            break;
        }
        let road = matches!(
            wk,
            b"Route" | b"Road" | b"Highway" | b"Hwy" | b"Rte" | b"Rt" | b"Interstate"
        );
        let prefix_ok = k == 0
            || matches!(
                word(k - 1),
                b"State"
                    | b"County"
                    | b"US"
                    | b"U.S."
                    | b"Historic"
                    | b"Farm"
                    | b"Ranch"
                    | b"Rural"
                    | b"Old"
                    | b"Market"
                    | b"Federal"
            );
        if road && prefix_ok && word(k + 1).first().is_some_and(u8::is_ascii_digit) {
            street = words.get(k + 1).map(|&(_, e)| e);
            kind = Suffix::Strong;
            break;
        }
    }
    // Otherwise the last strong suffix after at least one name word, else the last weak one.
    let all_caps_names = words
        .iter()
        .take(n)
        .all(|&(s, e)| !has_lower(t.get(s..e).unwrap_or_default()));
    if street.is_none() {
        let mut weak = None;
        for k in (1..n).rev() {
            let Some(&(s, e)) = words.get(k) else {
                continue;
            };
            let Some((len, strong)) = suffix(word(k), all_caps_names) else {
                continue;
            };
            if strong {
                street = Some(s + len);
                kind = Suffix::Strong;
                break;
            }
            if weak.is_none() {
                weak = Some(s + len);
            }
            let _ = e;
        }
        if street.is_none() && weak.is_some() {
            street = weak;
            kind = Suffix::Weak;
        }
        // A quantity, not a street: `4 Wheel Drive`, `1 TB Hard Drive`.
        if let Some(end) = street {
            let stop = words
                .iter()
                .take_while(|&&(s, _)| s < end)
                .any(|&(s, e)| e < end && t.get(s..e).is_some_and(|w| in_list(STOP_NAMES, w)));
            if stop {
                return None;
            }
        }
    }
    // A lower-case suffix after capitalised names (`123 Smith road`, generated UK data) or a street
    // without a suffix (`1 Piccadilly`) needs a ZIP or postcode after it.
    let lower_suffix = street.is_none()
        && words.last().is_some_and(|&(s, e)| {
            let next = word_end(t, e + 1);
            at(t, e) == b' '
                && s > 0
                && t.get(e + 1..next).is_some_and(|w| {
                    w.first().is_some_and(u8::is_ascii_lowercase)
                        && (in_list(SUFFIX_STRONG, w) || in_list(SUFFIX_WEAK, w))
                })
        });
    if lower_suffix && let Some(&(_, e)) = words.last() {
        street = Some(word_end(t, e + 1));
    }
    let (mut end, kind) = match street {
        Some(e) if !lower_suffix => (e, kind),
        Some(e) => (e, Suffix::None),
        None => {
            let last = words
                .iter()
                .take(3)
                .take_while(|&&(s, e)| is_name(t.get(s..e).unwrap_or_default()))
                .last()?;
            (trim_dot(t, last.0, last.1), Suffix::None)
        }
    };
    // Post-directional: `Ave NW`.
    if at(t, end) == b' ' {
        let e = word_end(t, end + 1);
        if t.get(end + 1..e).is_some_and(is_directional) {
            end = e;
        }
    }
    let mut unit_seen = false;
    for _ in 0..2 {
        match unit(t, end) {
            Some(e) => {
                end = e;
                unit_seen = true;
            }
            None => break,
        }
    }
    let tail = tail(t, end);
    let ok = match kind {
        Suffix::Strong => true,
        Suffix::Weak => unit_seen || tail.is_some() || prev_word_in(t, d, CUES),
        Suffix::None => tail.is_some_and(|(_, k)| k == Tail::Code),
    };
    if !ok {
        return None;
    }
    Some((d, tail.map_or(end, |(e, _)| e)))
}

/// A lower-case street as typed in chat (`ship it to 48 elm street`): 1-3 lower-case words and a
/// strong suffix, after a cue word (`to`, `at`, `address`) or before a ZIP or postcode.
fn lower_case_street(t: &[u8], d: usize, p: usize) -> Option<(usize, usize)> {
    let mut w = p + 1;
    let mut end = None;
    for k in 0..4 {
        let e = word_end(t, w);
        let word = t.get(w..e)?;
        if word.is_empty() || !word.iter().all(|b| b.is_ascii_lowercase() || *b == b'.') {
            break;
        }
        let core = word.strip_suffix(b".").unwrap_or(word);
        if k > 0 && in_list(SUFFIX_STRONG, core) {
            end = Some(if core.len() > 4 { w + core.len() } else { e });
            break;
        }
        if in_list(STOP_NAMES, core) || at(t, e) != b' ' {
            return None;
        }
        w = e + 1;
    }
    let end = end?;
    let tail = tail(t, end);
    let ok = tail.is_some_and(|(_, k)| k == Tail::Code) || prev_word_in(t, d, CUES);
    ok.then(|| (d, tail.map_or(end, |(e, _)| e)))
}

/// US military addresses ending at this ZIP (`d`..`p`): `APO|FPO|DPO AA|AE|AP 12345`, with the line
/// before it when that is `PSC 0235, Box 0466`, `Unit 6789 Box 0123`, `CMR 445` or a ship
/// (`USNS Johnson`).
pub(super) fn military(t: &[u8], d: usize, p: usize) -> Option<(usize, usize)> {
    if p != d + 5 || d < 7 || at(t, p).is_ascii_alphanumeric() {
        return None;
    }
    let head = t.get(d - 7..d)?;
    let (kind, region) = (head.get(..4)?, head.get(4..)?);
    if !matches!(kind, b"APO " | b"FPO " | b"DPO ") || !matches!(region, b"AA " | b"AE " | b"AP ") {
        return None;
    }
    let mut start = d - 7;
    let line_end = match (at(t, start.wrapping_sub(2)), at(t, start.wrapping_sub(1))) {
        (b'\r', b'\n') => Some(start - 2),
        (_, b'\n') => Some(start - 1),
        (b'\\', b'n') => Some(start - 2),
        _ => None,
    };
    if let Some(le) = line_end {
        let mut ls = le;
        while ls > 0 && le - ls < 48 && !matches!(at(t, ls - 1), b'\n' | b'"' | b'\'') {
            ls -= 1;
        }
        let line = t.get(ls..le)?;
        if [
            &b"PSC "[..],
            b"CMR ",
            b"Unit ",
            b"USNS ",
            b"USNV ",
            b"USS ",
            b"USCGC ",
        ]
        .iter()
        .any(|pre| line.starts_with(pre))
        {
            start = ls;
        }
    }
    Some((start, p))
}

/// `e`, less one trailing sentence dot of the word `t[s..e]`.
fn trim_dot(t: &[u8], s: usize, e: usize) -> usize {
    if e > s + 1 && at(t, e - 1) == b'.' {
        e - 1
    } else {
        e
    }
}

/// A street suffix word: the length to include (an abbreviation keeps its dot, a full word followed
/// by a sentence dot does not) and whether it is strong. Title case, or all upper-case; an
/// all-caps suffix of up to 3 letters only in an all-caps address (`5 Head CT` is not one).
fn suffix(w: &[u8], all_caps_names: bool) -> Option<(usize, bool)> {
    if !w.first().is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    let (core, dot) = match w.strip_suffix(b".") {
        Some(c) => (c, true),
        None => (w, false),
    };
    let rest = core.get(1..).unwrap_or_default();
    let upper = !rest.is_empty() && rest.iter().all(u8::is_ascii_uppercase);
    if !(upper || rest.iter().all(u8::is_ascii_lowercase)) {
        return None;
    }
    if upper && core.len() <= 3 && !all_caps_names {
        return None;
    }
    let mut buf = [0u8; 24];
    let l = lower(core, &mut buf)?;
    let strong = super::lexicon::has(SUFFIX_STRONG, l);
    if !strong && !super::lexicon::has(SUFFIX_WEAK, l) {
        return None;
    }
    // A full word keeps no sentence dot; an abbreviation keeps its dot.
    let full = l.len() > 4;
    let len = if dot && full { core.len() } else { w.len() };
    Some((len, strong))
}

/// `5th`, `42nd`, `1st`, `103rd`.
fn is_ordinal(w: &[u8]) -> bool {
    let d = w.iter().take_while(|b| b.is_ascii_digit()).count();
    if d == 0 || d > 3 {
        return false;
    }
    let s = w.get(d..).unwrap_or_default();
    [&b"st"[..], b"nd", b"rd", b"th"]
        .iter()
        .any(|x| s.eq_ignore_ascii_case(x))
}

/// `US-101`, `I-95`, `SR-9`, `CR-12`.
fn is_highway_token(w: &[u8]) -> bool {
    let Some(dash) = w.iter().position(|&b| b == b'-') else {
        return false;
    };
    let (pre, num) = (
        w.get(..dash).unwrap_or_default(),
        w.get(dash + 1..).unwrap_or_default(),
    );
    matches!(
        pre,
        b"US" | b"I" | b"SR" | b"CR" | b"FM" | b"CA" | b"NY" | b"TX"
    ) && (1..=4).contains(&num.len())
        && num.iter().all(u8::is_ascii_digit)
}

/// A directional word (`N`, `N.`, `SW`, `S.W.`, `North`).
pub(super) fn is_directional(w: &[u8]) -> bool {
    matches!(
        w,
        b"N" | b"S"
            | b"E"
            | b"W"
            | b"N."
            | b"S."
            | b"E."
            | b"W."
            | b"NE"
            | b"NW"
            | b"SE"
            | b"SW"
            | b"N.E."
            | b"N.W."
            | b"S.E."
            | b"S.W."
    )
}

/// `P.O. Box `, `PO Box `, `P. O. Box `, `Post Office Box ` (case-insensitive) right before `i`:
/// the start of the phrase.
pub(super) fn po_box_start(t: &[u8], i: usize) -> Option<usize> {
    let box_start = i.checked_sub(4)?;
    let b = t.get(box_start..i)?;
    if !b.eq_ignore_ascii_case(b"box ") {
        return None;
    }
    for pre in [&b"p.o. "[..], b"po ", b"p. o. ", b"p.o.", b"post office "] {
        if let Some(s) = box_start.checked_sub(pre.len())
            && t.get(s..box_start)
                .is_some_and(|x| x.eq_ignore_ascii_case(pre))
            && (s == 0 || !at(t, s - 1).is_ascii_alphanumeric())
        {
            return Some(s);
        }
    }
    None
}

/// A separator between address parts at `p`: `, `, `,\n`, `\n`, `\r\n`, an escaped `\\n` (strong)
/// or one space (weak): `(next, strong)`.
pub(super) fn sep(t: &[u8], p: usize) -> Option<(usize, bool)> {
    match (at(t, p), at(t, p + 1), at(t, p + 2)) {
        (b',', b' ', _) | (b',', b'\n', _) => Some((p + 2, true)),
        (b',', b'\r', b'\n') | (b',', b'\\', b'n') => Some((p + 3, true)),
        // A JSON/JS string's escaped newline.
        (b'\\', b'n', _) => Some((p + 2, true)),
        (b'\n', ..) => Some((p + 1, true)),
        (b'\r', b'\n', _) => Some((p + 2, true)),
        (b' ', ..) => Some((p + 1, false)),
        _ => None,
    }
}

/// Up to two units after `p`: `[,] Apt 4B`, `Suite 200`, `#12`, `Fl 18`, `Rear`: the new end.
fn unit(t: &[u8], p: usize) -> Option<usize> {
    let (mut q, _) = sep(t, p)?;
    if at(t, q) == b'#' {
        q += 1;
        if at(t, q) == b' ' {
            q += 1;
        }
        return unit_id(t, q);
    }
    let e = word_end(t, q);
    let w = t.get(q..e)?;
    if !w.first().is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    let core = w.strip_suffix(b".").unwrap_or(w);
    if in_list(UNIT_ID, core) {
        if at(t, e) != b' ' {
            return None;
        }
        let mut q = e + 1;
        if at(t, q) == b'#' {
            q += 1;
        }
        return unit_id(t, q);
    }
    if in_list(UNIT_BARE, core) && matches!(at(t, e), 0 | b',' | b'\n' | b'\r') {
        return Some(e);
    }
    None
}

/// A unit identifier at `q`: 1-6 of `[A-Za-z0-9-]` with a digit, or a single letter.
pub(super) fn unit_id(t: &[u8], q: usize) -> Option<usize> {
    let mut e = q;
    while e < t.len() && e - q < 7 && (at(t, e).is_ascii_alphanumeric() || at(t, e) == b'-') {
        e += 1;
    }
    let id = t.get(q..e)?;
    if id.is_empty() || id.len() > 6 || at(t, e).is_ascii_alphanumeric() {
        return None;
    }
    let ok = id.iter().any(u8::is_ascii_digit)
        || (id.len() == 1 && id.iter().all(u8::is_ascii_alphabetic));
    ok.then_some(e)
}

/// A unit written before the house number (`Flat 2, 45 Queen's Road`, `Studio 19\n123 ...`): its
/// start.
pub(super) fn lead_unit(t: &[u8], s: usize) -> Option<usize> {
    let e = match (at(t, s.checked_sub(2)?), at(t, s - 1)) {
        (b',', b' ') | (b'\r', b'\n') => s - 2,
        (_, b'\n') => s - 1,
        _ => return None,
    };
    let id = super::word_before(t, e)?;
    if at(t, id.checked_sub(1)?) != b' ' || unit_id(t, id) != Some(e) {
        return None;
    }
    let ws = super::word_before(t, id - 1)?;
    let w = t.get(ws..id - 1)?;
    (w.first().is_some_and(u8::is_ascii_uppercase) && in_list(UNIT_ID, w)).then_some(ws)
}

/// `, City, ST 12345`, `\nCity, ST`, ` City ST 12345`, `, City SW1A 2AA`, `\nSW1A 2AA` after `p`:
/// the new end and what ended it. A one-space separator needs a ZIP or postcode. After a `, ` or
/// a line break, up to two more place parts may come first when a ZIP or postcode ends the last
/// (Royal Mail's locality and post town: `, Marylebone, London NW1 6XE`, `\nLittle
/// Whinging\nSurrey\nGU1 3XX`; `, Midtown, New York, NY 10118`).
pub(super) fn tail(t: &[u8], p: usize) -> Option<(usize, Tail)> {
    let (q, strong) = sep(t, p)?;
    if strong && let Some(e) = uk_postcode(t, q) {
        return Some((e, Tail::Code));
    }
    let mut q = q;
    let mut parts = 0;
    'part: loop {
        for _ in 0..3 {
            let e = word_end(t, q);
            let w = t.get(q..e)?;
            let w = w.strip_suffix(b".").unwrap_or(w);
            if !is_name(w) || w.len() < 2 {
                return None;
            }
            let e = q + w.len();
            if let Some((s2, strong2)) = sep(t, e) {
                let found =
                    state_zip(t, s2).or_else(|| uk_postcode(t, s2).map(|x| (x, Tail::Code)));
                if let Some((end, kind)) = found
                    && ((strong && parts == 0) || kind == Tail::Code)
                {
                    return Some((end, kind));
                }
                if strong && strong2 && parts < 2 {
                    parts += 1;
                    q = s2;
                    continue 'part;
                }
            }
            if at(t, e) != b' ' {
                return None;
            }
            q = e + 1;
        }
        return None;
    }
}

/// `ST[ 12345[-6789]]`, `ST, 12345`, `D.C. 20500` or a state name (`New Jersey 07086`) at `s`: the
/// end.
fn state_zip(t: &[u8], s: usize) -> Option<(usize, Tail)> {
    if let Some(e) = ca_au_code(t, s) {
        return Some((e, Tail::Code));
    }
    let mut end = None;
    if let Some(st) = t.get(s..s + 2)
        && super::lexicon::has(STATES, st)
        && !at(t, s + 2).is_ascii_alphanumeric()
    {
        end = Some(s + 2);
    }
    if end.is_none() && cap_start(t.get(s..)?) {
        // Up to three words: `Ohio`, `New York`, `District of Columbia`.
        let mut e = s;
        for _ in 0..3 {
            e = word_end(t, e);
            let name = t.get(s..e)?;
            if name.len() <= 24 && in_list(STATE_NAMES, name) {
                end = Some(e);
            }
            if at(t, e) != b' ' {
                break;
            }
            e += 1;
        }
    }
    if end.is_none() && t.get(s..s + 4) == Some(b"D.C.") {
        end = Some(s + 4);
    }
    let end = end?;
    // `IL 62701`, or `IL, 62701`.
    let gap = if at(t, end) == b',' { 2 } else { 1 };
    let z = zip_len(t, end + gap);
    if at(t, end + gap - 1) == b' ' && z > 0 {
        return Some((end + gap + z, Tail::Code));
    }
    Some((end, Tail::State))
}

/// A Canadian province and postal code (`ON M5H 2S6`, Canada Post's `A9A 9A9`, whose letters
/// are never D F I O Q U, nor W Z first) or an Australian state and postcode (`NSW 2000`,
/// `VIC 3000`: four digits) at `s`: the end.
fn ca_au_code(t: &[u8], s: usize) -> Option<usize> {
    const CA: &[&[u8]] = &[
        b"AB", b"BC", b"MB", b"NB", b"NL", b"NS", b"NT", b"NU", b"ON", b"PE", b"QC", b"SK", b"YT",
    ];
    const AU: &[&[u8]] = &[b"ACT", b"NSW", b"NT", b"QLD", b"SA", b"TAS", b"VIC", b"WA"];
    let e = word_end(t, s);
    let code = t.get(s..e)?;
    if at(t, e) != b' ' {
        return None;
    }
    let z = e + 1;
    if CA.contains(&code) {
        let letter = |b: u8, first: bool| {
            b.is_ascii_uppercase()
                && !b"DFIOQU".contains(&b)
                && !(first && matches!(b, b'W' | b'Z'))
        };
        let digit = |k: usize| at(t, k).is_ascii_digit();
        let space = usize::from(at(t, z + 3) == b' ');
        let ok = letter(at(t, z), true)
            && digit(z + 1)
            && letter(at(t, z + 2), false)
            && digit(z + 3 + space)
            && letter(at(t, z + 4 + space), false)
            && digit(z + 5 + space)
            && !at(t, z + 6 + space).is_ascii_alphanumeric();
        return ok.then_some(z + 6 + space);
    }
    if AU.contains(&code)
        && (z..z + 4).all(|k| at(t, k).is_ascii_digit())
        && !at(t, z + 4).is_ascii_alphanumeric()
    {
        return Some(z + 4);
    }
    None
}

fn zip_len(t: &[u8], z: usize) -> usize {
    let five = (z..z + 5).all(|k| at(t, k).is_ascii_digit());
    if !five {
        return 0;
    }
    if at(t, z + 5) == b'-' && (z + 6..z + 10).all(|k| at(t, k).is_ascii_digit()) {
        if at(t, z + 10).is_ascii_alphanumeric() {
            return 0;
        }
        return 10;
    }
    if at(t, z + 5).is_ascii_alphanumeric() {
        return 0;
    }
    5
}

/// UK postcode at `s`: outward `A9`, `A99`, `AA9`, `AA99`, `A9A`, `AA9A`, then an optional space,
/// then inward `9AA` (`SW1A 2AA`, `M1 1AE`, `EC1A1BB`); the end.
fn uk_postcode(t: &[u8], s: usize) -> Option<usize> {
    let mut e = s;
    while e < t.len() && e - s < 4 && at(t, e).is_ascii_alphanumeric() {
        e += 1;
    }
    // Try every outward length from the longest: `EC1A1BB` has no space.
    for out_end in (s + 2..=e).rev() {
        let out = t.get(s..out_end)?;
        let mut i = out_end;
        if at(t, i) == b' ' {
            i += 1;
        }
        let inw = t.get(i..i + 3);
        let inward = matches!(inw, Some([d, a, b]) if d.is_ascii_digit() && a.is_ascii_uppercase() && b.is_ascii_uppercase());
        if outward(out) && inward && !at(t, i + 3).is_ascii_alphanumeric() {
            return Some(i + 3);
        }
    }
    None
}

fn outward(o: &[u8]) -> bool {
    let up = |b: &u8| b.is_ascii_uppercase();
    let dg = |b: &u8| b.is_ascii_digit();
    match o {
        [a, b] => up(a) && dg(b),
        [a, b, c] => up(a) && ((dg(b) && (dg(c) || up(c))) || (up(b) && dg(c))),
        [a, b, c, d] => up(a) && up(b) && dg(c) && (dg(d) || up(d)),
        _ => false,
    }
}
