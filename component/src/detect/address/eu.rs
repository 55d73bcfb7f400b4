//! European forms: French number-first streets (`17 avenue Victor Hugo`), name-first streets
//! (`Hauptstraße 5`, `Via Roma 10`, `Calle Mayor 5`, `Keizersgracht 123`, `Am Markt 3`) and the
//! postcode-first city tail (`75016 Paris`, `1012 LG Amsterdam`, `D-10115 Berlin`).

use super::lexicon::ByteSet;
use super::lexicon::{
    ARTICLES, COMPOUND, FR_AMBIGUOUS, FR_TYPES, LEAD_PREPS, LEAD_TYPES, PARTICLES, STOP_BEFORE,
};
use super::{at, cap_start, has_lower, in_list, is_name, is_word_byte, lower, word_end};

/// The first bytes of the `FR_TYPES` words.
const FR_FIRST: ByteSet = ByteSet::firsts(FR_TYPES);

/// What kind of postcode a tail had: a 4-digit one is also a year, so it cannot carry a bare
/// street name on its own.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Code {
    Four,
    Strong,
}

/// Most words looked at before a house number.
const BACK_WORDS: usize = 5;

/// `17 avenue Victor Hugo`, `17, rue de la Paix`, `8 bis rue du Faubourg Saint-Honoré`, then an
/// optional postcode tail; `d` starts the number and `p` ends it.
pub(super) fn forward_fr(t: &[u8], d: usize, p: usize) -> Option<(usize, usize)> {
    let mut q = p;
    for rep in [&b" bis"[..], b" ter", b" quater"] {
        if t.get(q..q + rep.len()) == Some(rep) && matches!(at(t, q + rep.len()), b' ' | b',') {
            q += rep.len();
            break;
        }
    }
    if at(t, q) == b',' {
        q += 1;
    }
    if at(t, q) != b' ' {
        return None;
    }
    q += 1;
    // Most words after a number cannot start a type word: one bit test before the list search.
    if !FR_FIRST.contains(at(t, q).to_ascii_lowercase()) {
        return None;
    }
    let te = word_end(t, q);
    let tw = t.get(q..te)?;
    if !in_list(FR_TYPES, tw) {
        return None;
    }
    // A capitalised type word that is also a common noun needs a particle or a postcode.
    let ambiguous = cap_start(tw) && in_list(FR_AMBIGUOUS, tw);
    let (end, particle_first) = name_run(t, te)?;
    let tail = tail(t, end);
    if ambiguous && !particle_first && tail.is_none() {
        return None;
    }
    Some((d, tail.map_or(end, |(e, _)| e)))
}

/// The street name after a type word ending at `p`: ` de la Paix`, ` Victor Hugo`, ` l'Église`;
/// up to 7 words, ending on a capitalised one. Returns its end and whether it began with a
/// particle.
fn name_run(t: &[u8], p: usize) -> Option<(usize, bool)> {
    let mut q = p;
    let mut end = None;
    let mut first_particle = false;
    for k in 0..7 {
        if at(t, q) != b' ' {
            break;
        }
        let e = word_end(t, q + 1);
        let w = t.get(q + 1..e)?;
        let w = w.strip_suffix(b".").unwrap_or(w);
        let elided = w
            .get(2..)
            .filter(|_| matches!(w.get(..2), Some(b"l'" | b"d'")))
            .is_some_and(cap_start);
        if is_name(w) || elided {
            end = Some(q + 1 + w.len());
            if w.len() < e - q - 1 {
                break; // the word had a sentence dot
            }
        } else if in_list(PARTICLES, w) {
            if k == 0 {
                first_particle = true;
            }
        } else {
            break;
        }
        q = e;
    }
    end.map(|e| (e, first_particle))
}

/// The start of the words right before the house number at `d` (same line, one space apart).
pub(super) fn words_start(t: &[u8], d: usize) -> Option<usize> {
    let mut s = d.checked_sub(1)?;
    if at(t, s) != b' ' {
        return None;
    }
    let mut first = None;
    for _ in 0..BACK_WORDS {
        let ws = super::word_before(t, s)?;
        first = Some(ws);
        if ws < 1 || at(t, ws - 1) != b' ' {
            break;
        }
        s = ws - 1;
    }
    first
}

/// A name-first street whose house number starts at `d` and ends at `p`:
/// `Hauptstraße 5`, `Neue Straße 3`, `Via Roma 10`, `C/ Mayor, 5`, `Am Markt 3`, or a bare name
/// with a strong postcode after it (`Damrak 1, 1012 LG Amsterdam`).
pub(super) fn backward(t: &[u8], d: usize, p: usize) -> Option<(usize, usize)> {
    if p - d > 7 || at(t, d.checked_sub(1)?) != b' ' {
        return None;
    }
    // `C/ Mayor, 5`: a comma between name and number (leading type words only).
    let comma = at(t, d.wrapping_sub(2)) == b',';
    // The street name ends with a letter (or `Str.`) right before: most numbers are not there.
    let before = at(t, d.wrapping_sub(if comma { 3 } else { 2 }));
    if !(before.is_ascii_alphabetic() || before >= 0x80 || before == b'.') {
        return None;
    }
    let last = if comma { d - 2 } else { d - 1 };
    // Every form has a capitalised word right before the number, or a lower-case Nordic street
    // word (`Karl Johans gate 22`).
    let w0s = super::word_before(t, last)?;
    let w0 = t.get(w0s..last)?;
    if !cap_start(w0) && compound_len(w0) != Some(w0.len()) {
        return None;
    }
    // Words before the number, nearest first: (start, end).
    let mut ws = [(0usize, 0usize); BACK_WORDS];
    let mut n = 0;
    let mut e = last;
    while n < BACK_WORDS {
        let Some(s) = super::word_before(t, e) else {
            break;
        };
        if let Some(slot) = ws.get_mut(n) {
            *slot = (s, e);
        }
        n += 1;
        if s < 2 || at(t, s - 1) != b' ' || !is_word_byte(at(t, s - 2)) {
            break;
        }
        e = s - 1;
    }
    let word = |k: usize| {
        ws.get(k)
            .and_then(|&(s, e)| t.get(s..e))
            .unwrap_or_default()
    };
    let start = |k: usize| ws.get(k).map_or(0, |&(s, _)| s);
    let w0 = word(0);
    if n == 0 || in_list(STOP_BEFORE, w0) {
        return None;
    }
    // A unit after the number: `12 Piso 3`, `5 Scala B` (ES/IT).
    let p = unit(t, p).unwrap_or(p);
    let tail = tail(t, p);
    let end = tail.map_or(p, |(e, _)| e);
    let named = |w: &[u8]| is_name(w) && has_lower(w) && !in_list(ARTICLES, w);
    if !comma {
        // `Hauptstraße`, `Keizersgracht`, `Drottninggatan`: a compound street word. Street words
        // that end common words need more: `Lösungsweg 2 ist` or `Parkplatz 3 ist` are not
        // addresses (a clear end after the number, or a postcode), `String 5`, `Delegate 5`,
        // `Brigade 5` are English (a postcode that is not also a year).
        let clear_end = tail.is_some()
            || matches!(
                at(t, p),
                0 | b',' | b'.' | b';' | b')' | b'"' | b'\'' | b'\n' | b'\r'
            );
        let strong_tail = tail.is_some_and(|(_, c)| c == Code::Strong);
        if let Some(l) = compound_len(w0) {
            let ok = match compound_risk(w0, l) {
                Risk::None => true,
                Risk::Prose => clear_end,
                // `Vesterbrogade 3, 1620 København`: a long compound with a 4-digit postcode.
                Risk::English => strong_tail || (tail.is_some() && w0.len() >= l + 8),
            };
            // `Hauptstraße 5`: the compound itself.
            if ok && cap_start(w0) && w0.len() >= l + 3 {
                return Some((start(0), end));
            }
            // `Neue Straße 3` (one name, a DE/NL street word), `Karl Johans gate 22` (up to two
            // names before a lower-case Nordic street word); not `Boarding Gate 12`.
            let w1 = word(1);
            let exact = l == w0.len()
                && if cap_start(w0) {
                    ok && compound_risk(w0, l) != Risk::English
                } else {
                    tail.is_some() || w1.last() == Some(&b's')
                };
            if exact && named(w1) {
                let two = !cap_start(w0) && named(word(2));
                return Some((start(if two { 2 } else { 1 }), end));
            }
        }
        // `Am Markt 3`: only with a clear end after the number.
        if in_list(LEAD_PREPS, word(1))
            && cap_start(word(1))
            && named(w0)
            && (tail.is_some()
                || matches!(
                    at(t, p),
                    0 | b',' | b'.' | b';' | b')' | b'"' | b'\n' | b'\r'
                ))
        {
            return Some((start(1), end));
        }
    }
    // `Via Roma 10`, `Avda. de la Constitución 12`, `Rue de la Loi 16`: a leading type word.
    for k in 1..n {
        let wk = word(k);
        if cap_start(wk) && in_list(LEAD_TYPES, wk) {
            let inner_ok = (0..k).all(|j| named(word(j)) || in_list(PARTICLES, word(j)));
            if inner_ok && named(w0) {
                return Some((start(k), end));
            }
            break;
        }
    }
    // `Damrak 1, 1012 LG Amsterdam`: a bare name needs a postcode that is not also a year.
    let prose_after = at(t, end) == b' ' && at(t, end + 1).is_ascii_lowercase();
    if !comma && named(w0) && tail.is_some_and(|(_, c)| c == Code::Strong) && !prose_after {
        return Some((start(0), end));
    }
    None
}

/// `Piso 3`, `Puerta 4`, `Planta 2`, `Piano 1`, `Scala B`, `Int. 5` after `p`: the new end.
fn unit(t: &[u8], p: usize) -> Option<usize> {
    if at(t, p) != b' ' {
        return None;
    }
    let e = word_end(t, p + 1);
    let w = t.get(p + 1..e)?;
    let known = [
        &b"Piso"[..],
        b"Puerta",
        b"Planta",
        b"Piano",
        b"Scala",
        b"Interno",
        b"Int.",
        b"Esc.",
    ]
    .contains(&w);
    if !known || at(t, e) != b' ' {
        return None;
    }
    super::us::unit_id(t, e + 1)
}

/// A French street without a house number on the line before a postcode line
/// (`rue de Guillet\n49271 Sainte-Jacques`), where `d` starts the postcode: the span.
pub(super) fn prev_line_street(t: &[u8], d: usize) -> Option<(usize, usize)> {
    if at(t, d.checked_sub(1)?) != b'\n' {
        return None;
    }
    let le = match (at(t, d.checked_sub(2)?), at(t, d - 1)) {
        (b'\r', b'\n') => d - 2,
        (_, b'\n') => d - 1,
        _ => return None,
    };
    if super::digits_end(t, d) != d + 5 || at(t, d + 5) != b' ' {
        return None;
    }
    let end = city(t, d + 6)?;
    let mut ls = le;
    while ls > 0 && le - ls < 64 && at(t, ls - 1) != b'\n' {
        ls -= 1;
    }
    let te = word_end(t, ls);
    if !t.get(ls..te).is_some_and(|w| in_list(FR_TYPES, w)) {
        return None;
    }
    let (name_end, _) = name_run(t, te)?;
    (name_end == le).then_some((ls, end))
}

/// How much a compound street word needs around it (`compound_len`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Risk {
    /// `straße`, `gasse`, `gracht`: a street.
    None,
    /// `weg`, `platz`, `markt`, `ring`...: also ends common German nouns (`Lösungsweg`).
    Prose,
    /// `gate`, `gade`, `gata`, `tie`, `ring`: also ends English words (`Delegate`, `String`).
    English,
}

fn compound_risk(w: &[u8], l: usize) -> Risk {
    let mut buf = [0u8; 24];
    let suf = w
        .get(w.len() - l..)
        .and_then(|x| lower(x, &mut buf))
        .unwrap_or_default();
    match suf {
        b"gate" | b"gade" | b"gata" | b"tie" | b"ring" | b"torg" => Risk::English,
        b"weg" | b"platz" | b"markt" | b"graben" | b"damm" | b"steig" | b"pfad" | b"dijk" => {
            Risk::Prose
        }
        _ => Risk::None,
    }
}

/// The last bytes of the `COMPOUND` words.
const COMPOUND_LAST: ByteSet = ByteSet::lasts(COMPOUND);

/// If `w` ends with a compound street word (`straße`, `gracht`, `gatan`...): that word's length.
fn compound_len(w: &[u8]) -> Option<usize> {
    // Most words cannot end a street word at all: test their last byte first (one bit test
    // instead of six list searches).
    if !COMPOUND_LAST.contains(w.last()?.to_ascii_lowercase()) {
        return None;
    }
    let mut buf = [0u8; 24];
    let l = lower(w.get(w.len().saturating_sub(24)..)?, &mut buf)?;
    // Street words are 3 to 8 bytes long (`weg`, `straße`).
    (3..=8)
        .rev()
        .filter_map(|n| l.len().checked_sub(n).and_then(|s| l.get(s..)))
        .find(|suf| super::lexicon::has(COMPOUND, suf))
        .map(<[u8]>::len)
}

/// A postcode-first tail after `p`: `, 75016 Paris`, `\n60313 Frankfurt am Main`,
/// `, 1012 LG Amsterdam`, `, 1100-053 Lisboa`, `, 111 21 Stockholm`, `, D-10115 Berlin`.
pub(super) fn tail(t: &[u8], p: usize) -> Option<(usize, Code)> {
    let (mut q, _) = super::us::sep(t, p)?;
    // Country prefix: `D-`, `CH-`, `NL-`.
    let pre = (0..3)
        .take_while(|&k| at(t, q + k).is_ascii_uppercase())
        .count();
    if (1..=2).contains(&pre) && at(t, q + pre) == b'-' && at(t, q + pre + 1).is_ascii_digit() {
        q += pre + 1;
    }
    let n = super::digits_end(t, q) - q;
    let mut c = q + n;
    let code = match n {
        5 => Code::Strong,
        4 if at(t, c) == b'-' && super::digits_end(t, c + 1) == c + 4 => {
            c += 4;
            Code::Strong
        }
        4 if at(t, c) == b' '
            && at(t, c + 1).is_ascii_uppercase()
            && at(t, c + 2).is_ascii_uppercase()
            && at(t, c + 3) == b' ' =>
        {
            c += 3;
            Code::Strong
        }
        4 if at(t, c).is_ascii_uppercase()
            && at(t, c + 1).is_ascii_uppercase()
            && at(t, c + 2) == b' ' =>
        {
            c += 2;
            Code::Strong
        }
        4 => Code::Four,
        3 if at(t, c) == b' ' && super::digits_end(t, c + 1) == c + 3 => {
            c += 3;
            Code::Strong
        }
        // `Madrid, 28013`: the city first (ES), then a 5-digit postcode.
        _ => {
            let ce = city(t, q)?;
            if at(t, ce) == b',' && at(t, ce + 1) == b' ' && super::digits_end(t, ce + 2) == ce + 7
            {
                return (!at(t, ce + 7).is_ascii_alphanumeric()).then_some((ce + 7, Code::Strong));
            }
            return None;
        }
    };
    // `00184, Roma` (IT).
    if at(t, c) == b',' {
        c += 1;
    }
    if at(t, c) != b' ' {
        return None;
    }
    let end = city(t, c + 1)?;
    Some((end, code))
}

/// A city at `q`: a capitalised word, then another capitalised word or a particle and a
/// capitalised word (`Frankfurt am Main`, `Den Haag`), then an optional `Cedex`: the end.
fn city(t: &[u8], q: usize) -> Option<usize> {
    let word = |s: usize| {
        let e = word_end(t, s);
        let w = t.get(s..e).unwrap_or_default();
        w.strip_suffix(b".").unwrap_or(w)
    };
    let w = word(q);
    if !is_name(w) || w.len() < 2 {
        return None;
    }
    let mut end = q + w.len();
    if at(t, end) == b' ' {
        let w2 = word(end + 1);
        if is_name(w2) && w2.len() > 1 && !in_list(ARTICLES, w2) {
            end = end + 1 + w2.len();
        } else if matches!(
            w2,
            b"am"
                | b"an"
                | b"der"
                | b"sur"
                | b"en"
                | b"le"
                | b"la"
                | b"de"
                | b"im"
                | b"ob"
                | b"upon"
        ) && at(t, end + 1 + w2.len()) == b' '
        {
            let w3 = word(end + 2 + w2.len());
            if is_name(w3) && w3.len() > 1 {
                end = end + 2 + w2.len() + w3.len();
            }
        }
    }
    // `Roma (RM)`: an Italian province code.
    if let Some([b' ', b'(', a, b, b')']) = t.get(end..end + 5)
        && a.is_ascii_uppercase()
        && b.is_ascii_uppercase()
    {
        end += 5;
    }
    if t.get(end..end + 6)
        .is_some_and(|x| x.eq_ignore_ascii_case(b" cedex"))
    {
        end += 6;
        if at(t, end) == b' ' && at(t, end + 1).is_ascii_digit() {
            end = super::digits_end(t, end + 1);
        }
    }
    Some(end)
}
