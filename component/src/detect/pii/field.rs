//! The field a value sits in, for numbers whose meaning only the context gives (`123456789` is an
//! SSN after `ssn:`, an order id elsewhere).
//!
//! Asked only at candidate positions (a 9-digit run, `ddd dd dddd`, a national phone shape, a
//! date), never per byte. Three places say what a value is:
//! - **a label before it** ([`label`]): the closest keyword in the 48 bytes before the value, on
//!   its line and after the last `;` `{` `|` `&` or tab, and after the last comma that a key or a
//!   quote follows (one field of a JSON object, a logfmt line, a query string; a prose comma,
//!   `born in Lyon, France on`, does not end the field). `_` and `-` read as spaces, case is
//!   ignored, and a keyword must start and end on a word (or camelCase) boundary where the table
//!   says so (`dob` is not in `adobe`, `tin` not in `Martin`). A keyword followed by more than
//!   one `:`/`=` names an earlier field (`ssn=null order=123456789`), one followed by a digit
//!   labels an earlier value, and one followed by `_id`, `_count`, ... names a different value
//!   (`phone_id`, `ssn_verified`).
//! - **a CSV/TSV header** ([`record`]): the value's column in the first line of its block of lines
//!   with the same delimiter count (`,` `;` `|` or tab, quotes honoured).
//! - **an SQL `INSERT ... (columns) VALUES (...), (...)`** ([`record`]): the value's column in
//!   the column list.
//!
//! Both record walks are cached in [`Tables`] (lines and tuples are only walked back to the last
//! verified one), and bounded, so the scan stays linear.

use super::{at, before, is_alpha};

/// What a field holds, as far as the numeric detectors care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Field {
    Ssn,
    Phone,
    Card,
    Zip,
    Birth,
}

/// `(keyword, must start on a word boundary, must end on one, field)`; keywords are lower-case
/// with `_`/`-` read as spaces, sorted by first byte so that each [`BY_FIRST`] range is tight.
const KEYWORDS: &[(&[u8], bool, bool, Field)] = &[
    (b"birth", false, false, Field::Birth),
    (b"born", true, false, Field::Birth),
    (b"cell", true, true, Field::Phone),
    (b"card", true, false, Field::Card),
    (b"creditcard", true, false, Field::Card),
    (b"cc", true, true, Field::Card),
    (b"ccnum", true, false, Field::Card),
    (b"dob", true, true, Field::Birth),
    (b"d.o.b", true, false, Field::Birth),
    (b"fax", true, true, Field::Phone),
    (b"geboren", true, false, Field::Birth),
    (b"geb", true, true, Field::Birth),
    (b"geburt", true, false, Field::Birth),
    (b"geboorte", true, false, Field::Birth),
    (b"handy", true, true, Field::Phone),
    (b"itin", true, true, Field::Ssn),
    (b"kreditkarte", true, false, Field::Card),
    (b"mobile", true, false, Field::Phone),
    (b"mob", true, true, Field::Phone),
    (b"n\xc3\xa9 le", true, true, Field::Birth),
    (b"n\xc3\xa9e le", true, true, Field::Birth),
    (b"nacimiento", false, false, Field::Birth),
    (b"naissance", false, false, Field::Birth),
    (b"nascita", false, false, Field::Birth),
    (b"nascimento", false, false, Field::Birth),
    (b"nato il", true, true, Field::Birth),
    (b"nata il", true, true, Field::Birth),
    (b"phone", false, false, Field::Phone),
    (b"pan", true, true, Field::Card),
    (b"postal", true, false, Field::Zip),
    (b"postcode", true, false, Field::Zip),
    (b"post code", true, false, Field::Zip),
    (b"plz", true, true, Field::Zip),
    (b"ssn", true, true, Field::Ssn),
    (b"ss#", true, false, Field::Ssn),
    (b"social security", false, false, Field::Ssn),
    (b"socialsecurity", false, false, Field::Ssn),
    (b"soc sec", true, false, Field::Ssn),
    (b"socsec", true, false, Field::Ssn),
    (b"tax id", true, true, Field::Ssn),
    (b"taxid", true, true, Field::Ssn),
    (b"taxpayer", true, false, Field::Ssn),
    (b"tin", true, true, Field::Ssn),
    (b"tel", true, true, Field::Phone),
    (b"telefon", true, false, Field::Phone),
    (b"t\xc3\xa9l", true, true, Field::Phone),
    (b"tarjeta", true, false, Field::Card),
    (b"whatsapp", true, false, Field::Phone),
    (b"zip", true, false, Field::Zip),
];

/// For each byte, the range of `KEYWORDS` starting with it (built at compile time).
#[allow(clippy::indexing_slicing)]
static BY_FIRST: [(u8, u8); 256] = {
    let mut t = [(0u8, 0u8); 256];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let c = KEYWORDS[i].0[0] as usize;
        if t[c].1 == 0 {
            t[c].0 = i as u8;
        }
        t[c].1 = i as u8 + 1;
        i += 1;
    }
    t
};

/// Words right after a keyword that make the field something else (`phone_id`, `ssn_verified`).
const NOT_VALUE: &[&[u8]] = &[
    b"id",
    b"ids",
    b"count",
    b"type",
    b"verified",
    b"hash",
    b"status",
    b"flag",
    b"len",
    b"length",
    b"last4",
    b"index",
    b"port",
];

/// For each first byte, the second bytes of the `KEYWORDS` starting with it, as bits `1 << (b &
/// 31)`: most window positions fail this one test (built at compile time).
#[allow(clippy::indexing_slicing)]
static SECOND: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let kw = KEYWORDS[i].0;
        t[kw[0] as usize] |= 1 << (kw[1] & 31);
        i += 1;
    }
    t
};

const WINDOW: usize = 48;

/// A word boundary between original bytes `a` and `b` (camelCase counts: `customerSsn`).
fn boundary(a: u8, b: u8) -> bool {
    !(is_alpha(a) && is_alpha(b)) || (a.is_ascii_lowercase() && b.is_ascii_uppercase())
}

/// The field named by the closest keyword in `w` (original bytes), if any.
fn classify(w: &[u8]) -> Option<Field> {
    let mut buf = [0u8; WINDOW];
    for (d, &b) in buf.iter_mut().zip(w) {
        *d = match b {
            b'_' | b'-' => b' ',
            _ => b.to_ascii_lowercase(),
        };
    }
    let n = w.len().min(WINDOW);
    let low = buf.get(..n).unwrap_or_default();
    let mut best = None;
    for i in 0..n {
        let Some(&c) = low.get(i) else {
            break;
        };
        // No keyword is one byte long: the second byte must be there and fit.
        let Some(&c1) = low.get(i + 1) else {
            break;
        };
        if SECOND.get(usize::from(c)).copied().unwrap_or(0) >> (c1 & 31) & 1 == 0 {
            continue;
        }
        let (a, b) = BY_FIRST.get(usize::from(c)).copied().unwrap_or_default();
        for &(kw, lb, rb, field) in KEYWORDS
            .get(usize::from(a)..usize::from(b))
            .unwrap_or_default()
        {
            // The second byte first: most positions fail there, without a `memcmp` call.
            let rest = low.get(i..).unwrap_or_default();
            if kw.get(1) != rest.get(1) || !rest.starts_with(kw) {
                continue;
            }
            let e = i + kw.len();
            let first = at(w, i);
            let last = before(w, e, 1);
            if lb && i > 0 && !boundary(before(w, i, 1), first) {
                continue;
            }
            if rb && e < n && !boundary(last, at(w, e)) {
                continue;
            }
            if names_other(w.get(e..n).unwrap_or_default()) {
                continue;
            }
            best = Some(field);
        }
    }
    best
}

/// After a keyword (original bytes): another `:`/`=` separator (an earlier field), a digit (the
/// keyword labels an earlier value: `phone 415-555-0123, Beverly Hills, CA 90210`), or a
/// `NOT_VALUE` word joined to it by `_`, `-` or camelCase (`phone_id`, `ssnCount`).
fn names_other(rest: &[u8]) -> bool {
    let mut seps = 0;
    let mut prev = 0u8;
    for &b in rest {
        if matches!(b, b':' | b'=') && !matches!(prev, b':' | b'=') {
            seps += 1;
        }
        if b.is_ascii_digit() {
            return true;
        }
        prev = b;
    }
    if seps > 1 {
        return true;
    }
    let r = match rest.first() {
        Some(b'_' | b'-') => rest.get(1..).unwrap_or_default(),
        Some(c) if c.is_ascii_alphanumeric() => rest,
        _ => return false,
    };
    let wl = r.iter().take_while(|b| b.is_ascii_alphanumeric()).count();
    let word = r.get(..wl).unwrap_or_default();
    NOT_VALUE.iter().any(|x| x.eq_ignore_ascii_case(word))
}

/// Bytes that end a label's field whatever follows them: line breaks, `; { | &` and tabs (one
/// table read per byte of the walk back; the `matches!` chain mispredicted about 20 times per
/// label).
static HARD: [bool; 256] =
    byte_table!(|b| matches!(b, b'\n' | b'\r' | b';' | b'{' | b'|' | b'&' | b'\t'));

/// The label before the value starting at `s` (not before `floor`).
pub(super) fn label(t: &[u8], s: usize, floor: usize) -> Option<Field> {
    let lo = s.saturating_sub(WINDOW).max(floor);
    let w = t.get(lo..s)?;
    let hard = w
        .iter()
        .rposition(|&b| HARD.get(usize::from(b)).copied().unwrap_or(false));
    let mut w = match hard {
        Some(c) => w.get(c + 1..)?,
        None => w,
    };
    // A comma ends a field when a key or a quote follows it (`dob: null, created: `,
    // `true, "account": "`); in prose it does not (`born in Lyon, France on`).
    let mut keyed = false;
    for (i, &b) in w.iter().enumerate().rev() {
        if matches!(b, b':' | b'=' | b'"' | b'\'' | b'<' | b'>') {
            keyed = true;
        } else if b == b',' && keyed {
            w = w.get(i + 1..)?;
            break;
        }
    }
    classify(w)
}

/// Cached record context (see the module doc).
#[derive(Debug, Default)]
pub(super) struct Tables {
    /// A CSV block: delimiter, delimiters per line, header line `[start, end)`, and the start of
    /// the last line known to belong to the block.
    csv: Option<(u8, usize, usize, usize, usize)>,
    /// The current CSV line: start, delimiter, delimiters in it, and a resume point (position,
    /// delimiters before it, inside quotes there).
    line: Option<(usize, u8, usize, usize, usize, bool)>,
    /// An SQL statement: column list `[start, end)` and the start of the last tuple known to
    /// belong to its `VALUES`.
    sql: Option<(usize, usize, usize)>,
    /// Position of the first `VALUES` keyword in the text (looked up once, on first need).
    values: Option<Option<usize>>,
    /// Position of the first line break (looked up once): nothing before it has a header above.
    first_nl: Option<usize>,
}

/// Every walk back (a line, a tuple, the lines of a CSV block) stops after this many bytes.
const MAX_WALK: usize = 4096;

/// The field of a record position (CSV/TSV column, SQL INSERT column) holding the value that
/// starts at `s`; `None` if the value is not a whole delimited field.
pub(super) fn record(t: &[u8], s: usize, tables: &mut Tables) -> Option<Field> {
    // The value must open its field: after an optional quote and spaces, a delimiter or a line
    // start.
    let mut p = s;
    if matches!(before(t, p, 1), b'"' | b'\'') {
        p -= 1;
    }
    while before(t, p, 1) == b' ' {
        p -= 1;
    }
    match before(t, p, 1) {
        b'(' | b',' => sql(t, p, tables).or_else(|| csv(t, p, tables)),
        b'\t' | b';' | b'|' | b'\n' | 0 => csv(t, p, tables),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Start of the line holding `i` (bounded: `None` past `MAX_WALK`).
fn line_start(t: &[u8], i: usize) -> Option<usize> {
    let lo = i.saturating_sub(MAX_WALK);
    let w = t.get(lo..i)?;
    match memchr::memrchr(b'\n', w) {
        Some(k) => Some(lo + k + 1),
        None => (lo == 0).then_some(0),
    }
}

/// Unquoted occurrences of `d` in `line`.
fn count_delims(line: &[u8], d: u8) -> usize {
    let mut q = false;
    let mut n = 0;
    for &b in line {
        if b == b'"' {
            q = !q;
        } else if b == d && !q {
            n += 1;
        }
    }
    n
}

/// A line's delimiter (the first of tab, `;`, `|`, `,` that occurs unquoted) and its count, in
/// one pass; `None` for a line without any (most log and prose lines).
fn line_shape(line: &[u8]) -> Option<(u8, usize)> {
    // Most lines have no delimiter at all: a branch-free test first (it vectorises), the
    // quote-aware count only for the rest.
    if !line
        .iter()
        .fold(false, |a, &b| a | matches!(b, b'\t' | b';' | b'|' | b','))
    {
        return None;
    }
    let mut q = false;
    let mut n = [0usize; 4];
    for &b in line {
        let k = match b {
            b'"' => {
                q = !q;
                continue;
            }
            b'\t' => 0,
            b';' => 1,
            b'|' => 2,
            b',' => 3,
            _ => continue,
        };
        if !q && let Some(c) = n.get_mut(k) {
            *c += 1;
        }
    }
    [b'\t', b';', b'|', b',']
        .into_iter()
        .zip(n)
        .find(|&(_, c)| c > 0)
}

/// The line starting at `ls`, without its line break (at most `MAX_WALK` bytes).
fn line_at(t: &[u8], ls: usize) -> &[u8] {
    let rest = t.get(ls..).unwrap_or_default();
    let rest = rest.get(..MAX_WALK).unwrap_or(rest);
    let e = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let line = rest.get(..e).unwrap_or_default();
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The `k`-th unquoted field of `line`.
fn nth_field(line: &[u8], d: u8, k: usize) -> &[u8] {
    let mut q = false;
    let mut idx = 0;
    let mut start = 0;
    for (i, &b) in line.iter().enumerate() {
        if b == b'"' {
            q = !q;
        } else if b == d && !q {
            if idx == k {
                return line.get(start..i).unwrap_or_default();
            }
            idx += 1;
            start = i + 1;
        }
    }
    if idx == k {
        line.get(start..).unwrap_or_default()
    } else {
        &[]
    }
}

/// A header cell names a field when its whole text is (or holds) a keyword.
fn header_field(cell: &[u8]) -> Option<Field> {
    let cell = cell.trim_ascii();
    let cell = cell
        .strip_prefix(b"\"")
        .and_then(|c| c.strip_suffix(b"\""))
        .unwrap_or(cell);
    let cell = cell
        .strip_prefix(b"`")
        .and_then(|c| c.strip_suffix(b"`"))
        .unwrap_or(cell);
    // A header cell is a name, not a value.
    if cell.is_empty() || cell.len() > WINDOW || cell.iter().any(u8::is_ascii_digit) {
        return None;
    }
    classify(cell)
}

fn csv(t: &[u8], p: usize, tables: &mut Tables) -> Option<Field> {
    let first_nl = *tables
        .first_nl
        .get_or_insert_with(|| memchr::memchr(b'\n', t).unwrap_or(t.len()));
    if p <= first_nl {
        return None;
    }
    let ls = line_start(t, p)?;
    if ls == 0 {
        return None; // no header line above
    }
    // The line's delimiter and the value's column, resumed from the last value on this line.
    let (d, n, from, before_k, quoted) = match tables.line {
        Some((l, d, n, q, k, inq)) if l == ls && q <= p => (d, n, q, k, inq),
        _ => {
            let (d, n) = line_shape(line_at(t, ls))?;
            (d, n, ls, 0, false)
        }
    };
    let mut k = before_k;
    let mut q = quoted;
    for &b in t.get(from..p)? {
        if b == b'"' {
            q = !q;
        } else if b == d && !q {
            k += 1;
        }
    }
    tables.line = Some((ls, d, n, p, k, q));
    // Walk up while lines have the same shape; stop at the cached block's last verified line.
    let mut cur = ls;
    let mut header = None;
    let mut walked = 0;
    loop {
        if let Some((cd, cn, hs, he, verified)) = tables.csv
            && cd == d
            && cn == n
            && cur == verified
        {
            header = Some((hs, he));
            break;
        }
        if cur == 0 || walked > MAX_WALK {
            break;
        }
        let Some(prev) = line_start(t, cur - 1) else {
            break;
        };
        let pl = line_at(t, prev);
        if pl.is_empty() || count_delims(pl, d) != n {
            break;
        }
        walked += cur - prev;
        cur = prev;
    }
    let (hs, he) = match header {
        Some(h) => h,
        None if cur < ls => (cur, cur + line_at(t, cur).len()),
        None => return None,
    };
    tables.csv = Some((d, n, hs, he, ls));
    header_field(nth_field(t.get(hs..he)?, d, k))
}

// ---------------------------------------------------------------------------------------------
// SQL

/// From `i` (outside quotes), back to the unquoted byte `want` on the same line; returns its
/// index and the unquoted commas passed.
fn back_to(t: &[u8], i: usize, want: u8) -> Option<(usize, usize)> {
    let mut q = 0u8;
    let mut commas = 0;
    let mut j = i;
    while j > 0 && i - j < MAX_WALK {
        j -= 1;
        let b = at(t, j);
        if q != 0 {
            if b == q {
                q = 0;
            }
        } else if b == b'\n' {
            return None;
        } else if b == b'\'' || b == b'"' {
            q = b;
        } else if b == want {
            return Some((j, commas));
        } else if b == b',' {
            commas += 1;
        }
    }
    None
}

fn skip_space_back(t: &[u8], mut i: usize) -> usize {
    while i > 0 && matches!(before(t, i, 1), b' ' | b'\t' | b'\n' | b'\r') {
        i -= 1;
    }
    i
}

fn sql(t: &[u8], p: usize, tables: &mut Tables) -> Option<Field> {
    let values = *tables.values.get_or_insert_with(|| {
        let a = memchr::memmem::find(t, b"VALUES");
        let b = memchr::memmem::find(t, b"values");
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    });
    if values.is_none_or(|v| v > p) {
        return None;
    }
    // The tuple holding the value, and the value's column in it.
    let (open, k) = back_to(t, p, b'(')?;
    let mut tuple = open;
    let mut walked = 0;
    let (cs, ce) = loop {
        if let Some((cs, ce, last)) = tables.sql
            && last == tuple
        {
            break (cs, ce);
        }
        let j = skip_space_back(t, tuple);
        if before(t, j, 1) == b',' && walked < MAX_WALK {
            // The previous tuple of a multi-row VALUES.
            let j = skip_space_back(t, j - 1);
            if before(t, j, 1) != b')' {
                return None;
            }
            let (prev, _) = back_to(t, j - 1, b'(')?;
            walked += tuple - prev;
            tuple = prev;
            continue;
        }
        let kw = t.get(j.checked_sub(6)?..j)?;
        if !kw.eq_ignore_ascii_case(b"values") || is_alpha(before(t, j, 7)) {
            return None;
        }
        let ce = skip_space_back(t, j - 6);
        if before(t, ce, 1) != b')' {
            return None;
        }
        let (cs, _) = back_to(t, ce - 1, b'(')?;
        break (cs + 1, ce - 1);
    };
    tables.sql = Some((cs, ce, open));
    let cols = t.get(cs..ce)?;
    let col = cols.split(|&b| b == b',').nth(k)?;
    let col = col.trim_ascii();
    let col = col
        .strip_prefix(b"[")
        .and_then(|c| c.strip_suffix(b"]"))
        .unwrap_or(col);
    header_field(col)
}
