//! Person names from context cues (issue 11) and the given-name lexicon.
//!
//! The run scan of `ner` visits every capitalised token; at a token that starts a name here the
//! bytes around it are read for a cue, in a bounded window (a few words back, one line forward),
//! so the cost is per candidate token, never per byte:
//! - self-introductions: `my name is`, `name's`, `mein Name ist`, `ich heiße`, `je m'appelle`,
//!   `me llamo`, `mi chiamo`, `mijn naam is`, `ik heet`, `jag heter`, `jmenuji se`, `benim adım`,
//!   `tôi tên là`, `nama saya`, `меня зовут`, ...; `I'm`, `I am`, `this is`, `ich bin`, `je suis`,
//!   `soy`, `sono` only before a lexicon name;
//! - greetings (`Hi`, `Dear`, `Thanks`, `Hallo`, `Bonjour`, `Hola`, `Ciao`, ...) at a line or
//!   sentence start, the name ending at `,` `!` `:` or the line end;
//! - sign-offs: a name alone on the line after `Best,` `Thanks,` `Kind regards,` `Mit freundlichen
//!   Grüßen`, `Cordialement,` `Saludos,` ... (an optional dash before the name);
//! - a display name before `<addr@host>` (email headers, git trailers);
//! - a chat speaker label after a `[hh:mm]` timestamp, ending in `:`;
//! - a role word or phrase before the name (`customer`, `patient`, `assigned to`, `reviewed by`);
//! - a JSON/YAML key (`"full_name": "…"`, `owner: …`), a CSV column named in the header row, an
//!   SQL `INSERT … (cols) VALUES (…)` column;
//! - an inline list under a list key (`Attendees: Maria Garcia, Tom Becker and Priya Patel`,
//!   `Cc:`, `"reviewers": "…"`): each item that starts with a lexicon given name (`list_key`);
//!   a YAML block list (`attendees:\n  - Maria Garcia`) under a list, role or full-name key.
//!
//! CJK names are found after `我叫`, `我是` (a common Chinese surname first), `私は…です`,
//! `私の名前は…です`, as a `[hh:mm] 王云:` speaker label, and as a JSON value of a person key;
//! Korean names after `제/내 이름은` and `저는` (`ko_intro`), Arabic ones after `اسمي`
//! (`ar_intro`), and both as a JSON value of a person key (`script_value`). These scripts have
//! no capitals: their tokens reach `cjk_token`, which reads the cue at its first character.
//!
//! Words that are not people (`Team`, `Support`, `Bot`, `Manager`, months, product names) veto a
//! cue; an organisation suffix does too. A name without any cue is left to the Go rules in `ner`
//! (a title, or a known first name followed by another capitalised word); the lexicon widens the
//! first-name list from Go's 56 names to the names of `given_names` that are not everyday words.

use super::common_words::COMMON_WORDS;
use super::given_names::{PLAIN, WORDS};
use super::{Tok, WordSet, at, decode, is_location_stop, is_org_suffix, is_person_trigger, lower};

/// How a name is known from the lexicon.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Given {
    /// Not in the lexicon.
    No,
    /// A given name that is not an everyday word.
    Plain,
    /// A given name that is also a word, place or product (`Will`, `May`, `Austin`).
    Word,
}

/// Bits in [`GIVEN_FILTER`]: about ten per name, so a word outside the lexicon passes the filter
/// about once in ten and is then binary-searched.
const GIVEN_FILTER_BITS: u32 = 65_536;

/// Bit `fnv1a(name) % GIVEN_FILTER_BITS` is set for every name of [`PLAIN`] and [`WORDS`]: most
/// capitalised words are rejected by one table read instead of two binary searches. Built at
/// compile time (8 KiB).
static GIVEN_FILTER: [u64; 1024] = given_filter();

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation; indices are bounded by the loops and the modulus"
)]
const fn given_filter() -> [u64; 1024] {
    let mut m = [0u64; 1024];
    let tables = [&PLAIN, &WORDS];
    let mut k = 0usize;
    while k < tables.len() {
        let mut n = 1usize;
        while n < 13 {
            let row = tables[k][n];
            let mut s = 0usize;
            while s + n <= row.len() {
                let (_, tail) = row.split_at(s);
                let (name, _) = tail.split_at(n);
                let h = (super::fnv1a(name) % GIVEN_FILTER_BITS) as usize;
                m[h / 64] |= 1 << (h % 64);
                s += n;
            }
            n += 1;
        }
        k += 1;
    }
    m
}

fn in_table(table: &[&[u8]; 13], l: &[u8]) -> bool {
    let n = l.len();
    let Some(row) = table.get(n) else {
        return false;
    };
    if n == 0 {
        return false;
    }
    let (mut lo, mut hi) = (0usize, row.len() / n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        let Some(e) = row.get(mid * n..mid * n + n) else {
            return false;
        };
        match cmp_name(e, l) {
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// `a.cmp(b)` for two names of one length; names of up to 8 bytes compare as integers (no
/// `memcmp` call in the binary search's inner loop).
#[inline]
fn cmp_name(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    if a.len() <= 8 && b.len() <= 8 {
        let (mut x, mut y) = ([0u8; 8], [0u8; 8]);
        if let (Some(dx), Some(dy)) = (x.get_mut(..a.len()), y.get_mut(..b.len())) {
            dx.copy_from_slice(a);
            dy.copy_from_slice(b);
        }
        return u64::from_be_bytes(x).cmp(&u64::from_be_bytes(y));
    }
    a.cmp(b)
}

/// Lower-case a word for a lexicon lookup, folding Latin-1 accents (`José` -> `jose`, `Zoë` ->
/// `zoe`). `None` for anything else non-ASCII or longer than the buffer.
pub(super) fn fold<'b>(w: &[u8], buf: &'b mut [u8; 16]) -> Option<&'b [u8]> {
    super::lower_with(w, buf, |w, i| {
        if at(w, i) != 0xC3 {
            return None;
        }
        let c = match at(w, i + 1) | 0x20 {
            0xA0..=0xA5 => b'a',
            0xA7 => b'c',
            0xA8..=0xAB => b'e',
            0xAC..=0xAF => b'i',
            0xB1 => b'n',
            0xB2..=0xB6 | 0xB8 => b'o',
            0xB9..=0xBC => b'u',
            0xBD | 0xBF => b'y',
            _ => return None,
        };
        Some((c, 2))
    })
}

/// Lexicon class of a token (a trailing `.` ignored).
pub(super) fn given(w: &[u8]) -> Given {
    let mut buf = [0u8; 16];
    let Some(l) = fold(w, &mut buf) else {
        return Given::No;
    };
    let l = l.strip_suffix(b".").unwrap_or(l);
    let h = (super::fnv1a(l) % GIVEN_FILTER_BITS) as usize;
    if GIVEN_FILTER
        .get(h / 64)
        .is_none_or(|m| m & (1 << (h % 64)) == 0)
    {
        return Given::No;
    }
    if in_table(&PLAIN, l) {
        Given::Plain
    } else if in_table(&WORDS, l) {
        Given::Word
    } else {
        Given::No
    }
}

/// Capitalised words that are not people, whatever cue is before them (sorted).
static NOT_PEOPLE: &[&[u8]] = &[
    b"access",
    b"account",
    b"actions",
    b"admin",
    b"administrator",
    b"after",
    b"agent",
    b"alerts",
    b"all",
    b"also",
    b"although",
    b"anonymous",
    b"app",
    b"assistant",
    b"auto",
    b"automation",
    b"bank",
    b"because",
    b"before",
    b"billing",
    b"board",
    b"bot",
    b"both",
    b"build",
    b"calendar",
    b"care",
    b"ci",
    b"client",
    b"cloud",
    b"code",
    b"colleagues",
    b"committee",
    b"community",
    b"company",
    b"consulting",
    b"customer",
    b"customers",
    b"data",
    b"default",
    b"department",
    b"dependabot",
    b"deploy",
    b"design",
    b"desk",
    b"dev",
    b"development",
    b"digital",
    b"division",
    b"email",
    b"engineering",
    b"enterprises",
    b"everybody",
    b"everyone",
    b"finance",
    b"folks",
    b"foundation",
    b"friend",
    b"friends",
    b"github",
    b"global",
    b"guest",
    b"guys",
    b"health",
    b"hello",
    b"helpdesk",
    b"hiring",
    b"how",
    b"however",
    b"hr",
    b"i",
    b"i'd",
    b"i'll",
    b"i'm",
    b"i've",
    b"if",
    b"inbox",
    b"industries",
    b"info",
    b"infrastructure",
    b"international",
    b"jenkins",
    b"legal",
    b"mail",
    b"management",
    b"manager",
    b"marketing",
    b"media",
    b"member",
    b"members",
    b"n/a",
    b"network",
    b"networks",
    b"news",
    b"no-reply",
    b"nobody",
    b"none",
    b"noreply",
    b"note",
    b"notifications",
    b"null",
    b"office",
    b"once",
    b"operations",
    b"ops",
    b"owner",
    b"partners",
    b"payments",
    b"people",
    b"pipeline",
    b"platform",
    b"please",
    b"portal",
    b"practices",
    b"product",
    b"qa",
    b"release",
    b"releases",
    b"renovate",
    b"reply",
    b"research",
    b"robot",
    b"sales",
    b"security",
    b"see",
    b"server",
    b"service",
    b"services",
    b"shop",
    b"since",
    b"solutions",
    b"soon",
    b"staff",
    b"store",
    b"support",
    b"system",
    b"team",
    b"teams",
    b"test",
    b"tests",
    b"the",
    b"then",
    b"there",
    b"though",
    b"unassigned",
    b"undefined",
    b"unknown",
    b"unless",
    b"until",
    b"user",
    b"users",
    b"valued",
    b"what",
    b"when",
    b"where",
    b"which",
    b"while",
    b"who",
    b"whose",
    b"why",
    b"world",
    b"you",
];

static NOT_PEOPLE_SET: WordSet = WordSet::new(NOT_PEOPLE);

/// A word that vetoes a name: `Team`, `Support`, an org suffix, a title; as the first word also
/// the location stop-list of `ner` (`All`, `May`, `Monday`, `Python`).
fn not_person_word(w: &[u8], first: bool) -> bool {
    let mut buf = [0u8; 16];
    let Some(l) = super::lower(w, &mut buf) else {
        return false;
    };
    let l = l.strip_suffix(b".").unwrap_or(l);
    NOT_PEOPLE_SET.contains(l)
        || (first && is_location_stop(l))
        || is_org_suffix(l)
        || is_person_trigger(l)
}

/// Is the lower-case ASCII word `l` a common English word or a tool name (`common_words`, a
/// Bloom filter: about 0.2% of other words pass for common ones)?
pub(crate) fn common_word(l: &[u8]) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in l {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    // MurmurHash3's 64-bit finaliser (as `scripts/gen-common-words`).
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^= h >> 33;
    (0..3).all(|k| {
        let p = (h >> (20 * k)) as usize & ((1 << 20) - 1);
        COMMON_WORDS
            .get(p / 64)
            .is_some_and(|m| m >> (p % 64) & 1 == 1)
    })
}

/// Does a name-shaped value of 2 or 3 title-case words, whose first word is not in the lexicon,
/// read as a person's name: no word of it (lower-cased, without a final `.`) a common English
/// word, a tool name or a lexicon name that is also a word? `Nneka Obi`, `Wei Zhang` do; `Payment
/// Service`, `Run Tests`, `Grafana Loki` do not. A word that is not ASCII letters (`Nguyễn`,
/// `O'Brien`) counts as uncommon. With `skip_first`, the first word is not tested (a lexicon
/// given name that is also a word: `Grace Okafor` does, `Summer Sale` does not).
fn uncommon_name<'w>(words: impl Iterator<Item = &'w [u8]>, skip_first: bool) -> bool {
    let mut n = 0usize;
    for w in words {
        n += 1;
        if skip_first && n == 1 {
            continue;
        }
        let mut buf = [0u8; 16];
        let Some(l) = super::lower(w, &mut buf) else {
            continue;
        };
        let l = l.strip_suffix(b".").unwrap_or(l);
        if l.iter().all(u8::is_ascii_lowercase) && (common_word(l) || in_table(&WORDS, l)) {
            return false;
        }
    }
    (2..=3).contains(&n)
}

/// [`uncommon_name`] of the title-case tokens of `toks` (with `skip_first`, of those after the
/// first: `Grace Liu` after `Daniel Kim and `).
pub(super) fn toks_uncommon(t: &[u8], toks: &[Tok], skip_first: bool) -> bool {
    uncommon_name(
        toks.iter().filter(|x| x.title).map(|x| x.bytes(t)),
        skip_first,
    )
}

/// Keys (normalised by [`normalized_key`]) whose presence in a record says the record describes a
/// person: contact details, dates of birth, employment and account fields, person keys.
fn is_person_field(k: &[u8]) -> bool {
    matches!(
        k,
        b"email"
            | b"mail"
            | b"emailaddress"
            | b"phone"
            | b"phonenumber"
            | b"mobile"
            | b"cell"
            | b"tel"
            | b"telephone"
            | b"dob"
            | b"dateofbirth"
            | b"birthdate"
            | b"birthday"
            | b"age"
            | b"gender"
            | b"sex"
            | b"address"
            | b"homeaddress"
            | b"department"
            | b"dept"
            | b"jobtitle"
            | b"salary"
            | b"hiredate"
            | b"employeeid"
            | b"customerid"
            | b"userid"
            | b"username"
            | b"ssn"
            | b"nationality"
            | b"firstname"
            | b"lastname"
            | b"surname"
            | b"givenname"
            | b"familyname"
            | b"middlename"
            | b"contact"
            | b"author"
            | b"owner"
            | b"patient"
            | b"employee"
            | b"customer"
            | b"member"
            | b"manager"
    )
}

/// Does the record around `pos` (a value under a `name` key) hold a key that says it describes a
/// person ([`is_person_field`])? The record is the text from the nearest `{` or `[` before `pos`
/// (and the key just before that brace: `"author": {`), or from a blank line, to the nearest
/// `}` or blank line after it, at most 300 bytes each way. Keys are words followed by `:` or
/// `=`, quoted or not (JSON, YAML, logfmt, Python dicts).
fn person_record(t: &[u8], pos: usize) -> bool {
    let lo = pos.saturating_sub(300);
    let mut a = pos;
    while a > lo {
        match at(t, a - 1) {
            b'{' | b'[' => {
                a = a.saturating_sub(41).max(lo);
                break;
            }
            b'\n' if a >= 2 && at(t, a - 2) == b'\n' => break,
            _ => a -= 1,
        }
    }
    let hi = t.len().min(pos + 300);
    let mut z = pos;
    while z < hi && at(t, z) != b'}' && !(at(t, z) == b'\n' && at(t, z + 1) == b'\n') {
        z += 1;
    }
    let w = t.get(a..z).unwrap_or_default();
    let mut i = 0usize;
    while i < w.len() {
        if !is_key_char(at(w, i)) {
            i += 1;
            continue;
        }
        let ks = i;
        while is_key_char(at(w, i)) {
            i += 1;
        }
        let mut j = i;
        if matches!(at(w, j), b'"' | b'\'') {
            j += 1;
        }
        while at(w, j) == b' ' {
            j += 1;
        }
        if matches!(at(w, j), b':' | b'=') {
            let mut buf = [0u8; 32];
            if normalized_key(w.get(ks..i).unwrap_or_default(), &mut buf)
                .is_some_and(is_person_field)
            {
                return true;
            }
        }
    }
    false
}

fn is_key_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-')
}

/// Lower-case particles inside a person name (`van der Berg`, `de la Cruz`, `bin Salman`).
pub(super) fn is_particle(l: &[u8]) -> bool {
    matches!(
        l,
        b"van"
            | b"von"
            | b"der"
            | b"den"
            | b"de"
            | b"del"
            | b"della"
            | b"la"
            | b"le"
            | b"du"
            | b"da"
            | b"di"
            | b"dos"
            | b"das"
            | b"ten"
            | b"ter"
            | b"bin"
            | b"ibn"
            | b"al"
    )
}

/// The name tokens starting at `run[k]`: up to four title-case words with particles between them,
/// ending at the first word followed by `, ; :`, a sentence end or a line end. `"Doe, Jane"` (a
/// quoted reversed name) is one name. Returns the number of run tokens, or 0 when a word vetoes it.
fn extent(t: &[u8], run: &[Tok], k: usize) -> usize {
    let Some(first) = run.get(k) else {
        return 0;
    };
    if at(t, first.raw_start) == b'"'
        && first.cut
        // The comma inside the quotes (`"Marcus","Last":` in compact JSON is two values).
        && t.get(first.end..first.raw_end).is_some_and(|x| x.first() == Some(&b','))
        && let Some(second) = run.get(k + 1)
        && second.title
        && t.get(second.end..second.raw_end)
            .is_some_and(|x| x.first() == Some(&b'"'))
    {
        return if not_person_word(first.bytes(t), true) || not_person_word(second.bytes(t), true) {
            0
        } else {
            2
        };
    }
    let mut n = 0usize;
    let mut titles = 0usize;
    for (j, tok) in run.iter().enumerate().skip(k) {
        if tok.title {
            if not_person_word(tok.bytes(t), titles == 0) || titles == 4 {
                return 0;
            }
            titles += 1;
            n = j - k + 1;
            if tok.cut || tok.sentence_dot || tok.bang || tok.nl {
                break;
            }
        } else if !tok.particle {
            break;
        }
    }
    n
}

/// Up to four words before `pos` (nearest first), lower-cased ASCII and Cyrillic (other bytes
/// kept), with `’` read as `'`; stops at a line break.
struct Back {
    words: [([u8; 24], usize); 4],
    n: usize,
    /// The nearest word ends a clause (`.` `!` `?` `,` after it): no role cue across it.
    clause_end: bool,
}

impl Back {
    fn read(t: &[u8], pos: usize) -> Back {
        let mut b = Back {
            words: [([0u8; 24], 0); 4],
            n: 0,
            clause_end: false,
        };
        let mut p = pos;
        {
            let mut q = p;
            while q > 0 && matches!(at(t, q - 1), b' ' | b'\t' | b',' | b'"') {
                if at(t, q - 1) == b',' {
                    b.clause_end = true;
                }
                q -= 1;
            }
            if q > 0 && matches!(at(t, q - 1), b'.' | b'!' | b'?') {
                b.clause_end = true;
            }
        }
        let floor = pos.saturating_sub(96);
        while b.n < 4 && p > floor {
            while p > floor && matches!(at(t, p - 1), b' ' | b'\t' | b',' | b'"') {
                p -= 1;
            }
            if p <= floor || at(t, p - 1) == b'\n' {
                break;
            }
            let end = p;
            while p > floor && !matches!(at(t, p - 1), b' ' | b'\t' | b'\n' | b',' | b'"') {
                p -= 1;
            }
            let Some(slot) = b.words.get_mut(b.n) else {
                break;
            };
            let mut m = 0usize;
            let mut i = p;
            while i < end && m < 24 {
                let c = at(t, i);
                if c == 0xE2 && at(t, i + 1) == 0x80 && at(t, i + 2) == 0x99 {
                    if let Some(d) = slot.0.get_mut(m) {
                        *d = b'\'';
                    }
                    i += 3;
                } else {
                    if let Some(d) = slot.0.get_mut(m) {
                        *d = c.to_ascii_lowercase();
                    }
                    i += 1;
                }
                m += 1;
            }
            slot.1 = m;
            let w = slot.0.get_mut(..m).unwrap_or_default();
            if w.contains(&0xD0) {
                fold_cyrillic(w);
            }
            b.n += 1;
        }
        b
    }

    /// Word `i` back (0 = nearest), trailing `. ! ? :` dropped.
    fn word(&self, i: usize) -> &[u8] {
        if i >= self.n {
            return &[];
        }
        let Some((w, n)) = self.words.get(i) else {
            return &[];
        };
        let w = w.get(..*n).unwrap_or_default();
        let mut e = w.len();
        while e > 0 && matches!(w.get(e - 1), Some(b'.' | b'!' | b'?' | b':' | b';')) {
            e -= 1;
        }
        w.get(..e).unwrap_or_default()
    }

    /// The words before, nearest last, equal `phrase` (space-separated).
    fn ends_with(&self, phrase: &[u8]) -> bool {
        phrase
            .rsplit(|&b| b == b' ')
            .enumerate()
            .all(|(i, part)| self.word(i) == part)
    }
}

const STRONG_INTROS: &[&[u8]] = &[
    b"my name is",
    b"name is",
    b"my name's",
    b"name's",
    b"mein name ist",
    b"ich hei\xc3\x9fe",
    b"ich heisse",
    b"je m'appelle",
    b"me llamo",
    b"mi nombre es",
    b"mi chiamo",
    b"il mio nome \xc3\xa8",
    b"mijn naam is",
    b"meu nome \xc3\xa9",
    b"chamo-me",
    b"je m\xe2\x80\x99appelle",
    b"me chamo",
    b"ik heet",
    b"mit navn er",
    b"mitt navn er",
    b"jeg heter",
    b"jag heter",
    b"jmenuji se",
    b"nazywam si\xc4\x99",
    b"benim ad\xc4\xb1m",
    b"t\xc3\xb4i t\xc3\xaan l\xc3\xa0",
    b"nama saya",
    b"mera naam",
    b"m\xc4\x83 numesc",
    b"\xd0\xbc\xd0\xb5\xd0\xbd\xd1\x8f \xd0\xb7\xd0\xbe\xd0\xb2\xd1\x83\xd1\x82",
    b"\xd0\xbc\xd0\xb5\xd0\xbd\xd0\xb5 \xd0\xb7\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb8",
    // `git config user.name "Jane Doe"`.
    b"user.name",
];

const LEXICON_INTROS: &[&[u8]] = &[
    b"i'm", b"im", b"i am", b"this is", b"ich bin", b"je suis", b"soy", b"sono", b"ik ben",
    b"eu sou",
];

const GREETINGS: &[&[u8]] = &[
    b"hi",
    b"hello",
    b"hey",
    b"dear",
    b"thanks",
    b"thank you",
    b"hallo",
    b"liebe",
    b"lieber",
    b"bonjour",
    b"salut",
    b"cher",
    b"ch\xc3\xa8re",
    b"hola",
    b"estimado",
    b"estimada",
    b"querido",
    b"querida",
    b"ciao",
    b"gentile",
    b"caro",
    b"cara",
    b"hej",
    b"hei",
    b"morning",
    b"good morning",
    b"good afternoon",
];

const ROLE_PHRASES: &[&[u8]] = &[
    b"customer",
    b"client",
    b"patient",
    b"employee",
    b"tenant",
    b"applicant",
    b"candidate",
    b"cardholder",
    b"passenger",
    b"resident",
    b"borrower",
    b"claimant",
    b"beneficiary",
    b"subscriber",
    b"caller",
    b"contact",
    b"assigned to",
    b"reassigned to",
    b"escalated to",
    b"reviewed by",
    b"approved by",
    b"submitted by",
    b"signed by",
    b"reported by",
    b"created by",
    b"requested by",
    b"owned by",
    b"written by",
    b"authored by",
];

const SIGN_OFFS: &[&[u8]] = &[
    b"best",
    b"best regards",
    b"best wishes",
    b"kind regards",
    b"warm regards",
    b"regards",
    b"many thanks",
    b"thanks",
    b"thank you",
    b"thx",
    b"cheers",
    b"sincerely",
    b"yours",
    b"yours truly",
    b"yours sincerely",
    b"all the best",
    b"mit freundlichen gr\xc3\xbc\xc3\x9fen",
    b"viele gr\xc3\xbc\xc3\x9fe",
    b"beste gr\xc3\xbc\xc3\x9fe",
    b"liebe gr\xc3\xbc\xc3\x9fe",
    b"gr\xc3\xbc\xc3\x9fe",
    b"cordialement",
    b"bien \xc3\xa0 vous",
    b"bien cordialement",
    b"saludos",
    b"un saludo",
    b"atentamente",
    b"cordiali saluti",
    b"saluti",
    b"distinti saluti",
    b"met vriendelijke groet",
    b"groeten",
    b"atenciosamente",
    b"met vriendelijke groeten",
    b"vriendelijke groet",
    b"pozdrawiam",
    b"z powa\xc5\xbcaniem",
    b"s pozdravem",
    b"med venlig hilsen",
    b"venlig hilsen",
    b"med v\xc3\xa4nliga h\xc3\xa4lsningar",
    b"v\xc3\xa4nliga h\xc3\xa4lsningar",
    b"med vennlig hilsen",
    b"vennlig hilsen",
    b"sayg\xc4\xb1lar\xc4\xb1mla",
    b"cu stim\xc4\x83",
    b"\xd1\x81 \xd1\x83\xd0\xb2\xd0\xb0\xd0\xb6\xd0\xb5\xd0\xbd\xd0\xb8\xd0\xb5\xd0\xbc",
    b"\xd0\xb7 \xd0\xbf\xd0\xbe\xd0\xb2\xd0\xb0\xd0\xb3\xd0\xbe\xd1\x8e",
];

/// Is the line ending just before `pos` (after an optional dash) a sign-off phrase?
fn after_sign_off(t: &[u8], pos: usize) -> bool {
    let mut p = pos;
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
        p -= 1;
    }
    // An optional `—`, `–`, `-` or `--` before the name.
    if p >= 3 && at(t, p - 3) == 0xE2 && at(t, p - 2) == 0x80 && matches!(at(t, p - 1), 0x93 | 0x94)
    {
        p -= 3;
    } else {
        while p > 0 && at(t, p - 1) == b'-' && pos - p < 2 {
            p -= 1;
        }
    }
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
        p -= 1;
    }
    if p == 0 || at(t, p - 1) != b'\n' {
        return false;
    }
    p -= 1;
    if p > 0 && at(t, p - 1) == b'\r' {
        p -= 1;
    }
    let end = p;
    let floor = end.saturating_sub(40);
    while p > floor && at(t, p - 1) != b'\n' {
        p -= 1;
    }
    if p == floor && p > 0 && at(t, p - 1) != b'\n' {
        return false;
    }
    let line = t.get(p..end).unwrap_or_default().trim_ascii();
    let line = line.strip_suffix(b",").unwrap_or(line).trim_ascii_end();
    let mut buf = [0u8; 40];
    let Some(dst) = buf.get_mut(..line.len()) else {
        return false;
    };
    for (d, s) in dst.iter_mut().zip(line) {
        *d = s.to_ascii_lowercase();
    }
    fold_cyrillic(dst);
    SIGN_OFFS.contains(&&*dst)
}

/// The raw key before a value starting at raw position `pos`: `"key": ` / `key: ` / `key = `.
/// Empty when there is none.
fn key_before(t: &[u8], pos: usize) -> &[u8] {
    let mut p = pos;
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
        p -= 1;
    }
    if p == 0 || !matches!(at(t, p - 1), b':' | b'=') {
        return &[];
    }
    p -= 1;
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
        p -= 1;
    }
    if p > 0 && matches!(at(t, p - 1), b'"' | b'\'') {
        p -= 1;
    }
    let end = p;
    while p > 0 && end - p < 32 && {
        let b = at(t, p - 1);
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
    } {
        p -= 1;
    }
    // A key of words alone at its line start (`Full name:`, `Assigned to:`), when the words
    // make one of the person keys of `SPACED_KEYS` (`Server name:` stays the key `name`).
    if p > 0 && at(t, p - 1) == b' ' {
        let mut q = p;
        while q > 0 && end - q < 32 && (at(t, q - 1).is_ascii_alphabetic() || at(t, q - 1) == b' ')
        {
            q -= 1;
        }
        if q == 0 || matches!(at(t, q - 1), b'\n' | b'\t') {
            let words = t.get(q..end).unwrap_or_default().trim_ascii_start();
            let mut k = [0u8; 32];
            if normalized_key(words, &mut k).is_some_and(|w| SPACED_KEYS.contains(&w)) {
                return words;
            }
        }
    }
    t.get(p..end).unwrap_or_default()
}

/// Person keys written as words at a line start (normalised as by [`key_of`]).
const SPACED_KEYS: &[&[u8]] = &[
    b"fullname",
    b"firstname",
    b"lastname",
    b"givenname",
    b"familyname",
    b"middlename",
    b"legalname",
    b"contactname",
    b"customername",
    b"patientname",
    b"employeename",
    b"clientname",
    b"cardholdername",
    b"assignedto",
    b"createdby",
    b"submittedby",
    b"nextofkin",
    b"emergencycontact",
    b"accountholder",
];

/// The kind of a raw field or column name, normalised (lower-case, without `_ - .` and spaces):
/// `full_name`, `fullName` and `Full Name` are one key.
fn key_of(raw: &[u8]) -> Key {
    let mut k = [0u8; 32];
    match normalized_key(raw, &mut k) {
        Some(n) if !n.is_empty() => key_kind(n),
        _ => Key::No,
    }
}

/// `raw`'s letters and digits, lower-cased, into `buf` (`Full Name`, `full_name` -> `fullname`);
/// `None` past 32 of them.
fn normalized_key<'b>(raw: &[u8], buf: &'b mut [u8; 32]) -> Option<&'b [u8]> {
    let mut n = 0usize;
    for &b in raw.iter().filter(|b| b.is_ascii_alphanumeric()) {
        *buf.get_mut(n)? = b.to_ascii_lowercase();
        n += 1;
    }
    buf.get(..n)
}

/// How strongly a field key says its value is a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Key {
    /// Not a person key.
    No,
    /// `name`: the value must start with a lexicon given name and have two words.
    Name,
    /// `owner`, `author`, `customer`...: two words or a given name that is not a word.
    Role,
    /// `full_name`, `first_name`, `patient_name`...: any name-shaped value.
    Person,
    /// `attendees`, `participants`, `cc`, `reviewers`...: a list of people or of teams, so an
    /// item must start with a lexicon given name (two words if that name is also a word).
    List,
}

pub(super) fn key_kind(k: &[u8]) -> Key {
    match k {
        b"name" => Key::Name,
        b"attendees" | b"attendee" | b"participants" | b"participant" | b"invitees"
        | b"invitee" | b"guests" | b"speakers" | b"speaker" | b"panelists" | b"organizer"
        | b"organiser" | b"moderator" | b"facilitator" | b"presenter" | b"presenters"
        | b"interviewer" | b"interviewee" | b"reviewers" | b"approvers" | b"assignees"
        | b"authors" | b"contributors" | b"recipients" | b"witnesses" | b"signatories"
        | b"notetaker" | b"apologies" | b"cc" | b"bcc" | b"owners" | b"contacts"
        | b"maintainers" | b"maintainer" | b"members" => Key::List,
        b"owner" | b"author" | b"customer" | b"contact" | b"assignee" | b"reporter"
        | b"requester" | b"requestor" | b"patient" | b"employee" | b"client" | b"manager"
        | b"reviewer" | b"approver" | b"createdby" | b"assignedto" | b"submittedby"
        | b"physician" | b"doctor" | b"spouse" | b"guardian" | b"beneficiary" | b"nextofkin"
        | b"emergencycontact" | b"cardholder" | b"accountholder" | b"signatory" | b"tenant"
        | b"insured" | b"policyholder" | b"passenger" | b"student" | b"member" | b"user" => {
            Key::Role
        }
        _ if k.ends_with(b"name")
            && !matches!(
                k,
                b"username"
                    | b"hostname"
                    | b"filename"
                    | b"pathname"
                    | b"dbname"
                    | b"servicename"
                    | b"appname"
                    | b"projectname"
                    | b"productname"
                    | b"companyname"
                    | b"orgname"
                    | b"organizationname"
                    | b"organisationname"
                    | b"businessname"
                    | b"repname"
                    | b"reponame"
                    | b"branchname"
                    | b"tablename"
                    | b"columnname"
                    | b"fieldname"
                    | b"keyname"
                    | b"bucketname"
                    | b"clustername"
                    | b"domainname"
                    | b"devicename"
                    | b"modelname"
                    | b"typename"
                    | b"classname"
                    | b"eventname"
                    | b"jobname"
                    | b"taskname"
                    | b"stepname"
                    | b"streetname"
                    | b"cityname"
                    | b"countryname"
                    | b"statename"
                    | b"bankname"
                    | b"teamname"
                    | b"groupname"
                    | b"rolename"
                    | b"storename"
                    | b"shopname"
                    | b"brandname"
                    | b"itemname"
                    | b"planname"
                    | b"queuename"
                    | b"topicname"
                    | b"channelname"
                    | b"imagename"
                    | b"containername"
                    | b"podname"
                    | b"nodename"
                    | b"namespacename"
                    | b"resourcename"
                    | b"displayname"
            ) =>
        {
            Key::Person
        }
        b"displayname" | b"surname" | b"forename" | b"givenname" | b"familyname" | b"fullname"
        | b"firstname" | b"lastname" => Key::Person,
        _ => Key::No,
    }
}

/// Does the value pass for this key? `titles` is the number of title-case words.
/// `uncommon(skip_first)` is asked only for a value whose first word is outside the lexicon,
/// under a `name` or list key, or is a lexicon name that is also a word, under a `name` key:
/// [`uncommon_name`] of its words (with `skip_first`, of the words after a first one that is a
/// word name). Under a `name` key such a value also needs `record`: the record around it
/// describes a person ([`person_record`]); `name` also names places, fonts, packages and products
/// whose words are no English words (`Kuala Lumpur`, `Noto Sans`), and promotions and venues
/// whose first word is a name (`Summer Sale`, `Rose Garden`).
fn key_accepts(
    key: Key,
    first: Given,
    titles: usize,
    uncommon: impl FnOnce(bool) -> bool,
    record: impl FnOnce() -> bool,
) -> bool {
    match key {
        Key::No => false,
        Key::Name => {
            (first == Given::Plain && titles >= 2)
                || (first != Given::Plain
                    && (2..=3).contains(&titles)
                    && uncommon(first == Given::Word)
                    && record())
        }
        Key::Role => titles >= 2 || first == Given::Plain,
        Key::Person => titles >= 1,
        Key::List => {
            first == Given::Plain
                || (first == Given::Word && titles >= 2)
                || (first == Given::No && (2..=3).contains(&titles) && uncommon(false))
        }
    }
}

/// Is `raw` (a key slice of `t`) `From`, `To`, `Cc` or `Bcc` at a line start in a mail header
/// block, that is with a `Sent:`, `Date:` or `Subject:` line within 300 bytes before or after
/// (a forwarded or quoted mail: `From: Jane Doe\nSent: Tuesday, ...`)? Such a key's value is
/// people, where `From:` / `To:` elsewhere head dates, places or hosts.
fn mail_header_key(t: &[u8], raw: &[u8]) -> bool {
    if ![&b"from"[..], b"to", b"cc", b"bcc"]
        .iter()
        .any(|k| raw.eq_ignore_ascii_case(k))
    {
        return false;
    }
    let start = (raw.as_ptr() as usize).wrapping_sub(t.as_ptr() as usize);
    if start > t.len() || (start > 0 && at(t, start - 1) != b'\n') {
        return false;
    }
    let lo = start.saturating_sub(300);
    let hi = t.len().min(start + 300);
    let window = t.get(lo..hi).unwrap_or_default();
    [&b"\nSent:"[..], b"\nDate:", b"\nSubject:"]
        .iter()
        .any(|h| memchr::memmem::find(window, h).is_some())
}

/// The key of the inline list an item at `pos` belongs to, if an earlier item precedes it:
/// `Attendees: Maria Garcia, Tom Becker and Priya Patel`, `"reviewers": "A B, C D"`. Walks back
/// over the separator (`,` `;` `&` `and` `und` `et` `y`) and the earlier items (letters, spaces,
/// `. ' -`, more separators, one opening quote) to a `key:` on the same line, at most 200 bytes
/// back. `Key::No` unless that key is a list key (or a mail header's `To:`/`Cc:`, `Key::Role`).
fn list_key(t: &[u8], pos: usize) -> Key {
    let mut p = pos;
    while p > 0 && at(t, p - 1) == b' ' {
        p -= 1;
    }
    let word_sep = [&b" and"[..], b" und", b" et", b" y"]
        .iter()
        .any(|w| p >= w.len() && t.get(p - w.len()..p) == Some(*w));
    if !(matches!(at(t, p.wrapping_sub(1)), b',' | b';' | b'&') || word_sep) {
        return Key::No;
    }
    // The nearest `:` or line break (one SIMD search), then the bytes after that `:`.
    let floor = pos.saturating_sub(200);
    let Some(colon) = t
        .get(floor..p)
        .and_then(|w| memchr::memrchr2(b':', b'\n', w))
        .map(|i| floor + i)
    else {
        return Key::No;
    };
    if at(t, colon) != b':' {
        return Key::No;
    }
    let items = t.get(colon + 1..p).unwrap_or_default();
    let mut prev = b':';
    for &b in items {
        let item_byte = b.is_ascii_alphabetic()
            || b >= 0x80
            || matches!(b, b' ' | b',' | b';' | b'&' | b'.' | b'\'' | b'-');
        // One opening quote, right after the key.
        let quote = matches!(b, b'"' | b'\'') && matches!(prev, b' ' | b':');
        if !item_byte && !quote {
            return Key::No;
        }
        prev = b;
    }
    let raw = key_before(t, colon + 1);
    match key_of(raw) {
        _ if mail_header_key(t, raw) => Key::Role,
        Key::List => Key::List,
        _ => Key::No,
    }
}

/// The key of the YAML block list whose `- item` line holds a name at `pos`:
/// `attendees:\n  - Maria Garcia\n  - Tom Becker`. The lines above, up to 16 of them (1 KiB),
/// must be `- ` items up to a line `key:` with nothing after the colon. `Key::No` otherwise.
fn yaml_list_key(t: &[u8], pos: usize) -> Key {
    let mut p = pos;
    while p > 0 && at(t, p - 1) == b' ' {
        p -= 1;
    }
    if p == 0 || at(t, p - 1) != b'-' {
        return Key::No;
    }
    p -= 1;
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
        p -= 1;
    }
    if p > 0 && at(t, p - 1) != b'\n' {
        return Key::No;
    }
    let floor = pos.saturating_sub(1024);
    let mut end = p.saturating_sub(1); // the line break before the item's line
    for _ in 0..16 {
        if end <= floor || end == 0 {
            return Key::No;
        }
        let start = t
            .get(floor..end)
            .and_then(|w| memchr::memrchr(b'\n', w))
            .map_or(floor, |i| floor + i + 1);
        let line = t.get(start..end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line).trim_ascii();
        if line.starts_with(b"- ") {
            end = start.saturating_sub(1);
            continue;
        }
        return match line.strip_suffix(b":") {
            Some(key) if !key.is_empty() && !key.contains(&b':') => {
                let key = key.trim_ascii();
                let key = key
                    .strip_prefix(b"\"")
                    .and_then(|k| k.strip_suffix(b"\""))
                    .unwrap_or(key);
                key_of(key)
            }
            _ => Key::No,
        };
    }
    Key::No
}

/// An inline list item ends with the name: `,` `;` `&`, a closing quote, the line end, or `and`.
fn item_ends(t: &[u8], last: &Tok) -> bool {
    if value_ends(t, last) {
        return true;
    }
    let rest = t.get(last.end..).unwrap_or_default();
    matches!(rest.first(), Some(b';' | b'&'))
        || [&b" and "[..], b" und ", b" et ", b" y ", b" & "]
            .iter()
            .any(|w| rest.starts_with(w))
}

/// Is `pos` right after a chat timestamp label `[10:13] ` at a line start?
fn after_timestamp(t: &[u8], pos: usize) -> bool {
    let mut p = pos;
    while p > 0 && at(t, p - 1) == b' ' {
        p -= 1;
    }
    if p == pos || p == 0 || at(t, p - 1) != b']' {
        return false;
    }
    p -= 1;
    let close = p;
    while p > 0 && close - p < 28 && at(t, p - 1) != b'[' {
        let b = at(t, p - 1);
        if !(b.is_ascii_digit()
            || matches!(
                b,
                b':' | b' ' | b'-' | b'/' | b'.' | b'T' | b'Z' | b'A' | b'P' | b'M'
            ))
        {
            return false;
        }
        p -= 1;
    }
    if p == 0 || at(t, p - 1) != b'[' {
        return false;
    }
    let inside = t.get(p..close).unwrap_or_default();
    if !inside.contains(&b':') || !inside.iter().any(u8::is_ascii_digit) {
        return false;
    }
    p -= 1;
    p == 0 || at(t, p - 1) == b'\n'
}

/// Is a `<local@host>` address right after `pos`?
fn angle_addr_after(t: &[u8], pos: usize) -> bool {
    let mut p = pos;
    while at(t, p) == b' ' {
        p += 1;
    }
    if at(t, p) != b'<' {
        return false;
    }
    let Some(rest) = t.get(p + 1..t.len().min(p + 130)) else {
        return false;
    };
    let Some(close) = rest.iter().position(|&b| b == b'>') else {
        return false;
    };
    rest.get(..close)
        .is_some_and(|a| a.contains(&b'@') && !a.iter().any(|&b| b <= b' '))
}

/// Can a cue apply at `run[k]` (raw start `pos`)? A few byte checks, so that the common token
/// (a capitalised word after an ordinary word) costs almost nothing: a `<` after a run word, a
/// `:` `=` `]` line break or dash before the name, or a phrase-final word before it.
fn maybe_cue(t: &[u8], k: usize, pos: usize, last_angle: Option<usize>) -> bool {
    if last_angle.is_some_and(|a| a >= k) {
        return true;
    }
    let mut p = pos;
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
        p -= 1;
    }
    if p == 0 {
        return false;
    }
    if matches!(
        at(t, p - 1),
        b':' | b'=' | b']' | b'\n' | b'-' | 0x93 | 0x94
    ) {
        return true;
    }
    // A later item of a list under a list key (`Attendees: A B, C D`).
    if list_key(t, pos) != Key::No {
        return true;
    }
    // The last byte of the word before (what `word_before` would lower-case last) must end some
    // entry of `LAST_WORDS`: most words before a capitalised word are rejected without reading it.
    let mut q = pos;
    while q > 0 && matches!(at(t, q - 1), b' ' | b'\t' | b',' | b'"') {
        q -= 1;
    }
    while q > 0 && matches!(at(t, q - 1), b'.' | b'!' | b'?' | b':' | b';') {
        q -= 1;
    }
    if q == 0
        || !LAST_BYTES
            .get(usize::from(at(t, q - 1).to_ascii_lowercase()))
            .is_some_and(|&b| b)
    {
        return false;
    }
    let mut w0 = [0u8; 24];
    let w = word_before(t, pos, &mut w0);
    LAST_WORD_SET.contains(w)
}

/// The index of the last token of `run` followed by ` <` (a display name before `<addr>` may end
/// there), if any.
pub(super) fn last_angle(t: &[u8], run: &[Tok]) -> Option<usize> {
    run.iter()
        .rposition(|x| at(t, x.raw_end) == b' ' && at(t, x.raw_end + 1) == b'<')
}

/// The bytes that end an entry of `LAST_WORDS` (a `'` also as `0x99`, the last byte of `’`).
static LAST_BYTES: [bool; 256] = last_bytes();

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation; a u8 indexes a [bool; 256], entries are non-empty"
)]
const fn last_bytes() -> [bool; 256] {
    let mut m = [false; 256];
    let mut i = 0usize;
    while i < LAST_WORDS.len() {
        let w = LAST_WORDS[i];
        let b = w[w.len() - 1];
        m[b as usize] = true;
        if b == b'\'' {
            m[0x99] = true;
        }
        i += 1;
    }
    m
}

/// `LAST_WORDS` indexed by first byte and length.
static LAST_WORD_SET: WordSet = WordSet::new(LAST_WORDS);

/// A person named by a cue at `run[k]`: the number of run tokens in the name, or 0.
///
/// `last_angle` is [`last_angle`] of `run` (computed once per run, not once per token).
#[inline(never)]
pub(super) fn cued(t: &[u8], run: &[Tok], k: usize, last_angle: Option<usize>) -> usize {
    if !run
        .get(k)
        .is_some_and(|f| maybe_cue(t, k, f.raw_start, last_angle))
    {
        return 0;
    }
    let n = extent(t, run, k);
    if n == 0 {
        return 0;
    }
    let (Some(first), Some(last)) = (run.get(k), run.get(k + n - 1)) else {
        return 0;
    };
    let name_toks = run.get(k..k + n).unwrap_or_default();
    let uncommon = |skip_first| toks_uncommon(t, name_toks, skip_first);
    let record = || person_record(t, first.raw_start);
    let titles = run
        .get(k..k + n)
        .unwrap_or_default()
        .iter()
        .filter(|x| x.title)
        .count();
    // The lexicon is read only when a rule needs it.
    let mut g_cache: Option<Given> = None;
    let mut g = || *g_cache.get_or_insert_with(|| given(first.bytes(t)));
    // Forward cues: a display name before `<addr>`, a speaker label before `:`.
    if angle_addr_after(t, last.raw_end) && (titles >= 2 || g() == Given::Plain) {
        return n;
    }
    let pos = first.raw_start;
    if last.colon && after_timestamp(t, pos) && (titles >= 2 || g() == Given::Plain) {
        return n;
    }
    // A JSON/YAML key before the value.
    let raw_key = key_before(t, pos);
    if !raw_key.is_empty() {
        let mut key = key_of(raw_key);
        // `Name: Wanjiru Kamau` alone on a line with the key capitalised at its start: a form
        // or record line, read as a role key (two words, or a lexicon name alone).
        if key == Key::Name && raw_key == b"Name" && (last.nl || last.raw_end >= t.len()) && {
            let mut p = pos;
            while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
                p -= 1;
            }
            p == 5 || (p > 5 && matches!(at(t, p - 6), b'\n' | b'\r'))
        } {
            key = Key::Role;
        }
        // `From: Jane Doe` / `To: A B; C D` in a mail header block.
        let mail = matches!(key, Key::No | Key::List) && mail_header_key(t, raw_key);
        if mail {
            key = Key::Role;
        }
        // A list's first item may end at `;` `&` or `and` too.
        let ends = if key == Key::List || mail {
            item_ends(t, last)
        } else {
            value_ends(t, last)
        };
        return if key_accepts(key, g(), titles, uncommon, record) && ends {
            n
        } else {
            0
        };
    }
    // An item of a YAML block list under a person, role or list key, alone on its line.
    if last.nl || last.raw_end >= t.len() {
        let key = yaml_list_key(t, pos);
        if key != Key::No && key != Key::Name && key_accepts(key, g(), titles, uncommon, record) {
            return n;
        }
    }
    // A later item of an inline list under a list key.
    let list = list_key(t, pos);
    if list != Key::No && key_accepts(list, g(), titles, uncommon, record) && item_ends(t, last) {
        return n;
    }
    let line_end = last.nl || last.raw_end >= t.len();
    if line_end && after_sign_off(t, pos) && (titles >= 2 || g() != Given::No) {
        return n;
    }
    // Phrases before the name: read the words back only when the nearest one ends a phrase.
    let mut w0 = [0u8; 24];
    if !LAST_WORD_SET.contains(word_before(t, pos, &mut w0)) {
        return 0;
    }
    let back = Back::read(t, pos);
    if STRONG_INTROS.iter().any(|p| back.ends_with(p)) {
        return n;
    }
    // `I'm Olivia Brennan`; a name outside the lexicon needs 2-3 words that are none of them
    // common English words (`I'm Chidi Okonkwo`, not `I'm Working On It`).
    if LEXICON_INTROS.iter().any(|p| back.ends_with(p))
        && (g() != Given::No || ((2..=3).contains(&titles) && titles == n && uncommon(false)))
    {
        return n;
    }
    let ends_clause = last.cut || last.bang || line_end;
    if ends_clause
        && GREETINGS.iter().any(|p| {
            back.ends_with(p) && {
                // The greeting starts its line or sentence.
                let words = p.iter().filter(|&&b| b == b' ').count() + 1;
                greeting_starts_line(t, pos, words)
            }
        })
    {
        return n;
    }
    if !back.clause_end
        && ROLE_PHRASES.iter().any(|p| back.ends_with(p))
        && (titles >= 2 || g() == Given::Plain)
    {
        return n;
    }
    0
}

/// The last word of every phrase of `STRONG_INTROS`, `LEXICON_INTROS`, `GREETINGS` and
/// `ROLE_PHRASES` (a unit test checks it): a name whose preceding word is not one of these has no
/// phrase cue, and the words before it are not read.
static LAST_WORDS: &[&[u8]] = &[
    b"ad\xc4\xb1m",
    b"afternoon",
    b"am",
    b"applicant",
    b"ben",
    b"beneficiary",
    b"bin",
    b"bonjour",
    b"borrower",
    b"by",
    b"caller",
    b"candidate",
    b"cara",
    b"cardholder",
    b"caro",
    b"chamo",
    b"chamo-me",
    b"cher",
    b"chiamo",
    b"ch\xc3\xa8re",
    b"ciao",
    b"claimant",
    b"client",
    b"contact",
    b"customer",
    b"dear",
    b"employee",
    b"er",
    b"es",
    b"estimada",
    b"estimado",
    b"gentile",
    b"hallo",
    b"heet",
    b"hei",
    b"heisse",
    b"hei\xc3\x9fe",
    b"hej",
    b"hello",
    b"heter",
    b"hey",
    b"hi",
    b"hola",
    b"i'm",
    b"im",
    b"is",
    b"ist",
    b"liebe",
    b"lieber",
    b"llamo",
    b"l\xc3\xa0",
    b"m'appelle",
    b"morning",
    b"naam",
    b"name's",
    b"nome",
    b"numesc",
    b"passenger",
    b"patient",
    b"querida",
    b"querido",
    b"resident",
    b"salut",
    b"saya",
    b"se",
    b"si\xc4\x99",
    b"sono",
    b"sou",
    b"soy",
    b"subscriber",
    b"suis",
    b"tenant",
    b"thanks",
    b"to",
    b"user.name",
    b"you",
    b"\xc3\xa8",
    b"\xc3\xa9",
    b"\xd0\xb7\xd0\xb2\xd0\xb0\xd1\x82\xd0\xb8",
    b"\xd0\xb7\xd0\xbe\xd0\xb2\xd1\x83\xd1\x82",
];

/// The word just before `pos` (over spaces, `,` and `"`, not over a line break), lower-cased
/// ASCII with `’` read as `'`, into `buf`; empty if none or longer than the buffer. Cyrillic is
/// not lower-cased here: every Cyrillic phrase has two words or more, and only its first word
/// (read by `Back`) may start a sentence with a capital.
fn word_before<'b>(t: &[u8], pos: usize, buf: &'b mut [u8; 24]) -> &'b [u8] {
    let mut p = pos;
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t' | b',' | b'"') {
        p -= 1;
    }
    let end = p;
    while p > 0 && end - p <= 26 && !matches!(at(t, p - 1), b' ' | b'\t' | b'\n' | b',' | b'"') {
        p -= 1;
    }
    let mut w = t.get(p..end).unwrap_or_default();
    while let Some((&b, rest)) = w.split_last()
        && matches!(b, b'.' | b'!' | b'?' | b':' | b';')
    {
        w = rest;
    }
    let mut n = 0usize;
    let mut i = 0usize;
    while i < w.len() {
        let c = at(w, i);
        let (c, adv) = if c == 0xE2 && at(w, i + 1) == 0x80 && at(w, i + 2) == 0x99 {
            (b'\'', 3)
        } else {
            (c.to_ascii_lowercase(), 1)
        };
        let Some(d) = buf.get_mut(n) else {
            return &[];
        };
        *d = c;
        n += 1;
        i += adv;
    }
    buf.get(..n).unwrap_or_default()
}

/// Lower-cases the Cyrillic capitals U+0400-U+042F of `w` in place (`Меня` -> `меня`): each
/// has a lower-case form of the same UTF-8 length. ASCII is left to the caller.
fn fold_cyrillic(w: &mut [u8]) {
    let mut i = 0usize;
    while i + 1 < w.len() {
        if let [lead @ 0xD0, c, ..] = w.get_mut(i..).unwrap_or_default() {
            match *c {
                0x80..=0x8F => (*lead, *c) = (0xD1, *c + 0x10),
                0x90..=0x9F => *c += 0x20,
                0xA0..=0xAF => (*lead, *c) = (0xD1, *c - 0x20),
                _ => {}
            }
            i += 2;
        } else {
            i += 1;
        }
    }
}

/// The value of a key ends with the name: a closing quote, `,`, or the line end follows.
fn value_ends(t: &[u8], last: &Tok) -> bool {
    last.nl
        || last.raw_end >= t.len()
        || t.get(last.end..last.raw_end)
            .is_some_and(|x| matches!(x.first(), Some(b'"' | b'\'' | b',')))
}

/// Is the greeting of `words` words before `pos` at a line start or after a sentence end?
fn greeting_starts_line(t: &[u8], pos: usize, words: usize) -> bool {
    let mut p = pos;
    for _ in 0..words {
        while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
            p -= 1;
        }
        while p > 0 && !matches!(at(t, p - 1), b' ' | b'\t' | b'\n') {
            p -= 1;
        }
    }
    while p > 0 && matches!(at(t, p - 1), b' ' | b'\t') {
        p -= 1;
    }
    p == 0
        || matches!(
            at(t, p - 1),
            b'\n' | b'.' | b'!' | b'?' | b',' | b'>' | b'"'
        )
}

// ---------------------------------------------------------------------------------------------
// CJK names.

/// Common Chinese surnames (the most frequent single-character surnames of mainland China).
const CN_SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤欧易常温康施文牛樊葛邢安齐伍庞颜倪張劉陳楊黃趙吳鄭謝許韓馮鄧蕭葉蘇呂盧鍾譚陸賈鄒龔錢嚴歐";

/// Characters that end a Chinese name run (particles and pronouns, not name characters).
const CN_STOP: &str = "的了在是和与也就都很你我他她们吗呢吧啊说来去要会这那个，。、！？：；";

fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

fn is_katakana(c: char) -> bool {
    matches!(c, '\u{30A1}'..='\u{30FA}' | '\u{30FC}')
}

/// A Chinese name at `p`: a Han run of 2-3 characters without stop characters (the first a
/// common surname when `surname`). Returns its end.
fn cn_name(t: &[u8], p: usize, surname: bool) -> Option<usize> {
    let mut q = p;
    let mut n = 0usize;
    while n < 3 {
        let (c, l) = decode(t, q);
        if !is_han(c) || CN_STOP.contains(c) {
            break;
        }
        if n == 0 && surname && !CN_SURNAMES.contains(c) {
            return None;
        }
        q += l;
        n += 1;
    }
    (n >= 2).then_some(q)
}

/// A Japanese name at `p` ended by `です` / `と申します`: 2-6 Han or katakana characters, not
/// ending in a role suffix (`学生`, `会社員`, `日本人`). Returns its end.
fn ja_name(t: &[u8], p: usize) -> Option<usize> {
    let mut q = p;
    let mut n = 0usize;
    let mut lastc = ' ';
    while n < 7 {
        let (c, l) = decode(t, q);
        if !(is_han(c) || is_katakana(c)) {
            break;
        }
        lastc = c;
        q += l;
        n += 1;
    }
    let rest = t.get(q..).unwrap_or_default();
    let ends = rest.starts_with("です".as_bytes()) || rest.starts_with("と申します".as_bytes());
    (ends && (2..=6).contains(&n) && !"人者員師生家手様".contains(lastc)).then_some(q)
}

/// CJK persons in the token `[p, end)` whose first character is not upper-case (the run scan
/// skips such tokens): every character position is tried once. Returns where the scan resumes.
#[inline(never)]
pub(super) fn cjk_token(t: &[u8], p: usize, end: usize, out: &mut Vec<crate::entity::Finding>) {
    let mut i = p;
    while i < end {
        let b = at(t, i);
        if b >= 0xC2
            && let Some((s, e)) = cjk(t, i)
        {
            out.push(super::person(s, e, super::PERSON_CUE_CONF));
            i = e;
            continue;
        }
        // Past the character: its continuation bytes (up to three without a branch each; the
        // per-byte loop mispredicted once a character), then any further ones of an invalid
        // sequence.
        let cont = |k: usize| usize::from(i + k < end && (0x80..0xC0).contains(&at(t, i + k)));
        let c1 = cont(1);
        let c2 = c1 & cont(2);
        let c3 = c2 & cont(3);
        i += 1 + c1 + c2 + c3;
        while i < end && (0x80..0xC0).contains(&at(t, i)) {
            i += 1;
        }
    }
}

/// A CJK person at `p` (a lead byte), from the cue at it or before it. Returns the name's
/// `(start, end)`.
fn cjk(t: &[u8], p: usize) -> Option<(usize, usize)> {
    let rest = t.get(p..).unwrap_or_default();
    // Every cue starts with 我 (E6 88 91), 私 (E7 A7 81) or わ (E3 82 8F); most characters are
    // rejected by these three bytes.
    let cue_lead = matches!(
        rest,
        [0xE6, 0x88, 0x91, ..] | [0xE7, 0xA7, 0x81, ..] | [0xE3, 0x82, 0x8F, ..]
    );
    // Korean cues start with 제 (EC A0 9C), 저 (EC A0 80) or 내 (EB 82 B4); the Arabic one with
    // ا (D8 A7) or إ (D8 A5).
    if matches!(
        rest,
        [0xEC, 0xA0, 0x9C | 0x80, ..] | [0xEB, 0x82, 0xB4, ..] | [0xD8, 0xA7 | 0xA5, ..]
    ) && (p == 0 || !is_letter_before(t, p))
        && let Some(found) = ko_intro(t, p).or_else(|| ar_intro(t, p))
    {
        return Some(found);
    }
    for (cue, cn) in [
        ("我叫", Some(false)),
        ("我是", Some(true)),
        ("我的名字是", Some(false)),
        ("私は", None),
        ("わたしは", None),
        ("私の名前は", None),
    ] {
        if cue_lead && rest.starts_with(cue.as_bytes()) {
            let s = p + cue.len();
            let e = match cn {
                Some(surname) => cn_name(t, s, surname).filter(|&e| {
                    let (c, _) = decode(t, e);
                    !is_han(c)
                }),
                None => ja_name(t, s),
            };
            return e.map(|e| (s, e));
        }
    }
    // The other forms follow a space (a speaker label after its timestamp) or a quote (a JSON
    // value): a character inside a run of text is neither.
    if p == 0 || !matches!(at(t, p - 1), b' ' | b'"') {
        return None;
    }
    let (c, _) = decode(t, p);
    if !is_han(c) {
        // `"customer_name": "최유진"`, `"full_name": "خالد الحربي"`
        if at(t, p - 1) == b'"'
            && (is_hangul(c) || is_arabic_letter(c))
            && let Some(e) = script_value(t, p, key_of(key_before(t, p - 1)))
        {
            return Some((p, e));
        }
        return None;
    }
    // `[10:13] 王云: …`
    if after_timestamp(t, p)
        && let Some(e) = cn_name(t, p, true)
        && (at(t, e) == b':' || t.get(e..).is_some_and(|r| r.starts_with("：".as_bytes())))
    {
        return Some((p, e));
    }
    // `"patient": "张伟"`
    if p > 0
        && at(t, p - 1) == b'"'
        && matches!(
            key_of(key_before(t, p - 1)),
            Key::Person | Key::Role | Key::Name
        )
        && let Some(e) = cn_name(t, p, false)
        && at(t, e) == b'"'
    {
        return Some((p, e));
    }
    None
}

/// Is the character ending at `p` a letter (of any script)? A cue must start a word.
fn is_letter_before(t: &[u8], p: usize) -> bool {
    let mut q = p;
    while q > 0 && (0x80..0xC0).contains(&at(t, q - 1)) && p - q < 3 {
        q -= 1;
    }
    q > 0 && decode(t, q - 1).0.is_alphabetic()
}

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}')
}

/// Arabic letters (U+0621-U+064A, U+0671-U+06D3), without digits or punctuation.
fn is_arabic_letter(c: char) -> bool {
    matches!(c, '\u{0621}'..='\u{064A}' | '\u{0671}'..='\u{06D3}')
}

/// Common Korean surnames (the most frequent family names of South Korea).
const KO_SURNAMES: &str = "김이박최정강조윤장임한오서신권황안송류유전홍고문양손배백허노남심하곽성차주우구민진나지엄변채원방천공현함염여추도소석선설마길연위표명기반왕금옥육인맹모탁국어은편용";

/// What follows a Korean name in a self-introduction: the copula or a quotative particle.
const KO_ENDINGS: &[&str] = &[
    "입니다",
    "이에요",
    "예요",
    "이라고",
    "라고",
    "이야",
    "이고",
    "씨",
];

/// Three-syllable words that follow `저는` as an occupation or nationality, not a name.
const KO_NOT_NAMES: &[&str] = &[
    "한국인",
    "중국인",
    "일본인",
    "미국인",
    "외국인",
    "개발자",
    "회사원",
    "대학생",
    "직장인",
    "선생님",
    "간호사",
    "엔지니",
    "디자이",
];

/// `제 이름은 김민수입니다`, `내 이름은 …`, `저는 이지은이라고 합니다`: the name's
/// `(start, end)`. After `제/내 이름은`, 2-4 Hangul syllables ending the word or followed by an
/// ending ([`KO_ENDINGS`]); after `저는`, which also introduces an occupation, exactly a common
/// surname ([`KO_SURNAMES`]) and two syllables followed by an ending.
fn ko_intro(t: &[u8], p: usize) -> Option<(usize, usize)> {
    let rest = t.get(p..).unwrap_or_default();
    let (s, strong) = if rest.starts_with("제 이름은 ".as_bytes())
        || rest.starts_with("내 이름은 ".as_bytes())
    {
        (p + "제 이름은 ".len(), true)
    } else if rest.starts_with("저는 ".as_bytes()) {
        (p + "저는 ".len(), false)
    } else {
        return None;
    };
    // The syllables of the word: up to 7 (a name and its ending).
    let mut ends = [0usize; 8];
    let mut n = 0usize;
    let mut q = s;
    while n < 7 {
        let (c, l) = decode(t, q);
        if !is_hangul(c) {
            break;
        }
        q += l;
        n += 1;
        if let Some(e) = ends.get_mut(n) {
            *e = q;
        }
    }
    let word_end = q;
    let first = decode(t, s).0;
    for k in 2..=4usize.min(n) {
        let e = *ends.get(k)?;
        let after = t.get(e..).unwrap_or_default();
        let ending = KO_ENDINGS.iter().any(|x| after.starts_with(x.as_bytes()));
        let ok = if strong {
            ending || e == word_end
        } else {
            k == 3
                && ending
                && KO_SURNAMES.contains(first)
                && !KO_NOT_NAMES
                    .iter()
                    .any(|w| t.get(s..e) == Some(w.as_bytes()))
        };
        if ok {
            return Some((s, e));
        }
    }
    None
}

/// A Korean or Arabic JSON value at `p` (after its opening quote) under a person key, up to its
/// closing quote: for a full-name key (`Key::Person`), 2-4 Hangul syllables or 1-4 Arabic words;
/// for `name` or a role key (`owner`, `customer`), a Korean value must start with a common surname
/// and an Arabic one have two words or more. The value's end.
fn script_value(t: &[u8], p: usize, key: Key) -> Option<usize> {
    if key == Key::No {
        return None;
    }
    let strict = key != Key::Person;
    let (first, _) = decode(t, p);
    let mut q = p;
    let mut units = 0usize;
    let mut words = 1usize;
    while q < p + 96 {
        let (c, l) = decode(t, q);
        if c == '"' {
            break;
        }
        if c == ' ' && is_arabic_letter(first) && at(t, q + 1) != b' ' {
            words += 1;
        } else if is_hangul(first) && !is_hangul(c)
            || is_arabic_letter(first) && !is_arabic_letter(c)
        {
            return None;
        }
        units += 1;
        q += l;
    }
    if at(t, q) != b'"' {
        return None;
    }
    let ok = if is_hangul(first) {
        (2..=4).contains(&units) && (!strict || KO_SURNAMES.contains(first))
    } else {
        (1..=4).contains(&words) && (!strict || words >= 2)
    };
    ok.then_some(q)
}

/// Words that end an Arabic name after `اسمي` (and, I, from, in, my age, I work).
const AR_STOP: &[&str] = &[
    "و",
    "وأنا",
    "أنا",
    "من",
    "في",
    "عمري",
    "وعمري",
    "أعمل",
    "وأعمل",
    "هو",
];

/// `اسمي أحمد علي`, `أنا اسمي فاطمة`, `اسمي هو …`, `اسمي الكامل هو …`: up to four Arabic
/// words after the cue, ending at punctuation, a non-Arabic character or a word of [`AR_STOP`].
/// The name's `(start, end)`.
fn ar_intro(t: &[u8], p: usize) -> Option<(usize, usize)> {
    let rest = t.get(p..).unwrap_or_default();
    let cue = ["اسمي ", "إسمي "]
        .into_iter()
        .find(|c| rest.starts_with(c.as_bytes()))?;
    let mut s = p + cue.len();
    // `اسمي الكامل هو …` ("my full name is"), `اسمي هو …` ("my name is").
    for skip in ["الكامل ", "هو "] {
        if t.get(s..).is_some_and(|r| r.starts_with(skip.as_bytes())) {
            s += skip.len();
        }
    }
    let mut end = s;
    let mut q = s;
    for _ in 0..4 {
        let w0 = q;
        loop {
            let (c, l) = decode(t, q);
            if !is_arabic_letter(c) {
                break;
            }
            q += l;
        }
        let word = t.get(w0..q).unwrap_or_default();
        if word.is_empty() || AR_STOP.iter().any(|w| word == w.as_bytes()) {
            break;
        }
        end = q;
        if at(t, q) != b' ' {
            break;
        }
        q += 1;
    }
    (end > s).then_some((s, end))
}

// ---------------------------------------------------------------------------------------------
// Record formats: CSV with a header row, SQL INSERT with a column list.

/// Is `v` a name-shaped field value: 1-4 title-case words with particles (a `Last, First` comma
/// allowed), none of them a non-person word? Returns the lexicon class of the first word and
/// the number of title-case words.
fn name_value(v: &[u8]) -> Option<(Given, usize)> {
    let mut titles = 0usize;
    let mut first = Given::No;
    for w in v.split(|&b| b == b' ') {
        let w = w.strip_suffix(b",").unwrap_or(w);
        if w.is_empty() {
            continue;
        }
        let mut buf = [0u8; 16];
        if at(w, 0).is_ascii_lowercase() && lower(w, &mut buf).is_some_and(is_particle) {
            continue;
        }
        let (c, l) = decode(w, 0);
        if !super::go_is_upper(c) || w.len() <= l || !super::looks_like_name(w) {
            return None;
        }
        if not_person_word(w, titles == 0) {
            return None;
        }
        if titles == 0 {
            first = given(w);
        }
        titles += 1;
        if titles > 4 {
            return None;
        }
    }
    (titles > 0).then_some((first, titles))
}

/// [`uncommon_name`] of a [`name_value`]'s title-case words.
fn value_uncommon(v: &[u8], skip_first: bool) -> bool {
    uncommon_name(
        v.split(|&b| b == b' ')
            .map(|w| w.strip_suffix(b",").unwrap_or(w))
            .filter(|w| !w.is_empty() && !at(w, 0).is_ascii_lowercase()),
        skip_first,
    )
}

/// Split one delimited line into fields `(start, end)` (quotes stripped); at most 64 fields.
fn fields(t: &[u8], start: usize, end: usize, delim: u8, out: &mut Vec<(usize, usize)>) {
    out.clear();
    let mut p = start;
    while p <= end && out.len() < 64 {
        if at(t, p) == b'"' {
            let s = p + 1;
            let close = t
                .get(s..end)
                .and_then(|x| memchr::memchr(b'"', x))
                .map_or(end, |i| s + i);
            out.push((s, close));
            p = close + 1;
            while p < end && at(t, p) != delim {
                p += 1;
            }
        } else {
            let e = t
                .get(p..end)
                .and_then(|x| memchr::memchr(delim, x))
                .map_or(end, |i| p + i);
            out.push((p, e));
            p = e;
        }
        p += 1;
    }
}

/// CSV/TSV whose first line is a header naming a person column: every field of that column that
/// is name-shaped (with the column's key rules) is a person. Stops at the first blank line.
#[inline(never)]
pub(super) fn csv(t: &[u8], out: &mut Vec<crate::entity::Finding>) {
    let head_end = match t
        .get(..t.len().min(512))
        .and_then(|x| memchr::memchr(b'\n', x))
    {
        Some(e) => e,
        None => return,
    };
    let head = t.get(..head_end).unwrap_or_default();
    let delim = if memchr::memchr(b'\t', head).is_some() {
        b'\t'
    } else if memchr::memchr(b',', head).is_some() {
        b','
    } else if memchr::memchr(b';', head).is_some() {
        b';'
    } else {
        return;
    };
    table(t, (0, head_end), head_end + 1, delim, out);
}

/// Markdown tables (GitHub Flavored Markdown): a header row, a delimiter row of `-` cells (`:`
/// for alignment) between `|`, then rows up to the first line that does not start with `|`; the
/// header and delimiter rows start their lines with `|`. A header column that names a person
/// makes the rows' cells in that column persons, with the rules of [`csv`].
#[inline(never)]
pub(super) fn markdown_tables(t: &[u8], out: &mut Vec<crate::entity::Finding>) {
    // The delimiter row starts a line with `|` (an indented table is not read), after the header.
    // `|` is rare outside tables and shell pipes: one byte search, then a look at the byte before.
    let mut from = 0;
    while let Some(k) = t.get(from..).and_then(|w| memchr::memchr(b'|', w)) {
        let ls = from + k;
        if ls == 0 || at(t, ls - 1) != b'\n' {
            from = ls + 1;
            continue;
        }
        let le = t
            .get(ls..)
            .and_then(|w| memchr::memchr(b'\n', w))
            .map_or(t.len(), |i| ls + i);
        from = le;
        if !delimiter_row(t.get(ls..le).unwrap_or_default()) {
            continue;
        }
        let hs = line_start_of(t, ls - 1);
        let he = if ls >= 2 && at(t, ls - 2) == b'\r' {
            ls - 2
        } else {
            ls - 1
        };
        if t.get(hs..he).unwrap_or_default().first() != Some(&b'|') {
            continue;
        }
        // The table's last row ends before a line break, where the search goes on.
        from = table(t, (hs, he), le + 1, b'|', out)
            .saturating_sub(1)
            .max(from);
    }
}

/// Start of the line holding `i`.
fn line_start_of(t: &[u8], i: usize) -> usize {
    t.get(..i)
        .and_then(|w| memchr::memrchr(b'\n', w))
        .map_or(0, |k| k + 1)
}

/// A GFM delimiter row: `|`, then cells of optional `:`, hyphens, optional `:` and spaces.
fn delimiter_row(line: &[u8]) -> bool {
    let line = line.trim_ascii();
    line.first() == Some(&b'|')
        && line.len() >= 3
        && line
            .iter()
            .all(|&b| matches!(b, b'|' | b'-' | b':' | b' ' | b'\t'))
        && line
            .split(|&b| b == b'|')
            .filter(|c| !c.trim_ascii().is_empty())
            .all(|c| c.contains(&b'-'))
}

/// The rows of a table whose header is `t[head.0..head.1]` split at `delim` and whose rows start
/// at `rows`: a person column's name-shaped cells are persons. CSV rows stop at a blank line,
/// Markdown ones (`delim` `|`) at a line that does not start with `|`. Returns where it stopped.
fn table(
    t: &[u8],
    head: (usize, usize),
    rows: usize,
    delim: u8,
    out: &mut Vec<crate::entity::Finding>,
) -> usize {
    let markdown = delim == b'|';
    let mut cols = Vec::new();
    fields(t, head.0, head.1, delim, &mut cols);
    let keys: Vec<Key> = cols
        .iter()
        .map(|&(s, e)| {
            let raw = t.get(s..e).unwrap_or_default();
            let raw = if markdown { raw.trim_ascii() } else { raw };
            if raw.len() > 32
                || !raw
                    .iter()
                    .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b' ' | b'.'))
            {
                return Key::No;
            }
            key_of(raw)
        })
        .collect();
    if keys.iter().all(|&k| k == Key::No) {
        return rows;
    }
    // A header column that says the rows are people (`email`, `phone`, ...).
    let people = cols.iter().any(|&(s, e)| {
        let mut buf = [0u8; 32];
        normalized_key(t.get(s..e).unwrap_or_default(), &mut buf).is_some_and(is_person_field)
    });
    let mut line = rows;
    let mut row = Vec::new();
    while line < t.len() {
        let end = t
            .get(line..)
            .and_then(|x| memchr::memchr(b'\n', x))
            .map_or(t.len(), |i| line + i);
        let stop = if end > line && at(t, end - 1) == b'\r' {
            end - 1
        } else {
            end
        };
        if stop == line
            || (markdown
                && t.get(line..stop)
                    .unwrap_or_default()
                    .trim_ascii_start()
                    .first()
                    != Some(&b'|'))
        {
            return line;
        }
        fields(t, line, stop, delim, &mut row);
        for (&(s, e), &key) in row.iter().zip(&keys) {
            if key == Key::No {
                continue;
            }
            let v = t.get(s..e).unwrap_or_default();
            let (vs, ve) = trim_span(t, s, s + v.len());
            if let Some((g, titles)) = t.get(vs..ve).and_then(name_value)
                && key_accepts(
                    key,
                    g,
                    titles,
                    |skip_first| value_uncommon(t.get(vs..ve).unwrap_or_default(), skip_first),
                    || people,
                )
            {
                out.push(super::person(vs, ve, super::PERSON_CUE_CONF));
            }
        }
        line = end + 1;
    }
    line
}

fn trim_span(t: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && matches!(at(t, s), b' ' | b'\t') {
        s += 1;
    }
    while e > s && matches!(at(t, e - 1), b' ' | b'\t') {
        e -= 1;
    }
    (s, e)
}

/// How far back [`sql_value`] looks for the `VALUES` keyword.
const SQL_LOOK_BACK: usize = 2048;

/// The last `VALUES` keyword (any case) before a position, found by one forward pass over the
/// text: [`sql_value`] walks back byte by byte over up to 2 KiB, and most quoted title-case
/// tokens (`'Content-Type'` in code) have no `VALUES` anywhere before them.
#[derive(Default)]
pub(super) struct SqlKeyword {
    /// Every `VALUES` starting before this has been seen.
    searched: usize,
    /// The start of the last one seen.
    last: Option<usize>,
}

impl SqlKeyword {
    /// Is there a `VALUES` starting in `[q - SQL_LOOK_BACK, q)`? `q` is expected not to
    /// decrease between calls (the scan moves forward); a smaller `q` searches its window again.
    pub(super) fn near(&mut self, t: &[u8], q: usize) -> bool {
        let floor = q.saturating_sub(SQL_LOOK_BACK);
        if q < self.searched {
            let w = t.get(floor..q).unwrap_or_default();
            return w.windows(6).any(|x| x.eq_ignore_ascii_case(b"values"));
        }
        let mut i = self.searched;
        while i < q {
            let Some(k) = t.get(i..q).and_then(|x| memchr::memchr2(b'v', b'V', x)) else {
                break;
            };
            let at_v = i + k;
            if t.get(at_v..at_v + 6)
                .is_some_and(|x| x.eq_ignore_ascii_case(b"values"))
            {
                self.last = Some(at_v);
            }
            i = at_v + 1;
        }
        self.searched = q;
        self.last.is_some_and(|v| v >= floor)
    }
}

/// An SQL string value starting at the quote `q` of `INSERT … (cols) VALUES (…, 'Jane Doe', …)`
/// whose column is a person key. Returns the value's `(start, end)`. Looks back at most 2 KiB.
#[inline(never)]
pub(super) fn sql_value(t: &[u8], q: usize) -> Option<(usize, usize)> {
    let floor = q.saturating_sub(SQL_LOOK_BACK);
    // Column index: top-level commas back to the row's `(`.
    let (mut p, idx) = back_to_open(t, q, floor)?;
    // Back over earlier rows `(…), ` to `VALUES`.
    loop {
        p = ws_back(t, p, floor);
        if p >= floor + 6
            && t.get(p - 6..p)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"values"))
        {
            p -= 6;
            break;
        }
        if p <= floor || at(t, p - 1) != b',' {
            return None;
        }
        p = ws_back(t, p - 1, floor);
        if p <= floor || at(t, p - 1) != b')' {
            return None;
        }
        p = back_to_open(t, p - 1, floor)?.0;
    }
    // The column list `(a, b, c)` before VALUES.
    p = ws_back(t, p, floor);
    if p <= floor || at(t, p - 1) != b')' {
        return None;
    }
    let close = p - 1;
    let open = t
        .get(close.saturating_sub(512)..close)
        .and_then(|x| memchr::memrchr(b'(', x))
        .map(|i| close.saturating_sub(512) + i)?;
    let cols = t.get(open + 1..close)?;
    let col = cols.split(|&b| b == b',').nth(idx)?;
    let key = key_of(col);
    let s = q + 1;
    let e = s + memchr::memchr(b'\'', t.get(s..t.len().min(s + 80))?)?;
    let (g, titles) = name_value(t.get(s..e)?)?;
    // Another column that says the rows are people (`email`, `phone`, ...).
    let people = || {
        cols.split(|&b| b == b',').any(|c| {
            let mut buf = [0u8; 32];
            normalized_key(c, &mut buf).is_some_and(is_person_field)
        })
    };
    key_accepts(
        key,
        g,
        titles,
        |skip_first| value_uncommon(t.get(s..e).unwrap_or_default(), skip_first),
        people,
    )
    .then_some((s, e))
}

/// `p` moved back over ASCII whitespace, not below `floor`.
fn ws_back(t: &[u8], mut p: usize, floor: usize) -> usize {
    while p > floor && at(t, p - 1).is_ascii_whitespace() {
        p -= 1;
    }
    p
}

/// From `p` back to the unquoted `(` that opens an SQL row: its position and the number of
/// top-level commas passed. `None` at `)` or `;` first, or below `floor`.
fn back_to_open(t: &[u8], mut p: usize, floor: usize) -> Option<(usize, usize)> {
    let mut commas = 0usize;
    let mut in_str = false;
    loop {
        if p <= floor {
            return None;
        }
        p -= 1;
        match at(t, p) {
            b'\'' => in_str = !in_str,
            b',' if !in_str => commas += 1,
            b'(' if !in_str => return Some((p, commas)),
            b')' | b';' if !in_str => return None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn persons(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        super::super::find(text.as_bytes(), &mut out);
        // `find` may report one span twice (a cue and a Go rule); `scan` deduplicates.
        crate::detect::resolve_overlaps(&mut out);
        out.iter()
            .filter(|f| f.entity_type == "person")
            .map(|f| text[f.start..f.end].to_string())
            .collect()
    }

    /// The filter `scripts/gen-common-words` wrote is read with the same hash: dictionary and
    /// tool words are common, the names of the labelled cases are not.
    #[test]
    fn common_words_filter_reads_the_generated_table() {
        for w in [
            "payment", "service", "run", "tests", "hello", "world", "overview", "grafana", "loki",
            "kafka",
        ] {
            assert!(common_word(w.as_bytes()), "{w}");
        }
        for w in [
            "nneka", "obi", "zhang", "wei", "yuki", "tanaka", "chidi", "okonkwo", "nguyen", "thi",
            "mai", "olu", "bello",
        ] {
            assert!(!common_word(w.as_bytes()), "{w}");
        }
        let words = |v: &'static str| v.split(' ').map(str::as_bytes);
        assert!(uncommon_name(words("Nneka Obi"), false));
        assert!(uncommon_name(words("Nguyen Thi Mai"), false));
        assert!(!uncommon_name(words("Payment Service"), false));
        assert!(
            !uncommon_name(words("Nneka"), false),
            "one word is not enough"
        );
        assert!(
            !uncommon_name(words("A B C D"), false),
            "four words are too many"
        );
        // After a first word that is a lexicon name and a word, only the rest is tested.
        assert!(!uncommon_name(words("Grace Okafor"), false));
        assert!(uncommon_name(words("Grace Okafor"), true));
        assert!(!uncommon_name(words("Summer Sale"), true));
        assert!(
            !uncommon_name(words("Grace"), true),
            "one word is not enough"
        );
    }

    #[test]
    fn lexicon_lookups() {
        assert_eq!(given(b"Sarah"), Given::Plain);
        assert_eq!(given(b"Jos\xc3\xa9"), Given::Plain);
        assert_eq!(given(b"Will"), Given::Word);
        assert_eq!(given(b"May"), Given::Word);
        assert_eq!(given(b"Kubernetes"), Given::No);
        assert_eq!(given(b""), Given::No);
        for table in [&PLAIN, &WORDS] {
            for (len, row) in table.iter().enumerate() {
                if len == 0 {
                    assert!(row.is_empty());
                    continue;
                }
                assert_eq!(row.len() % len, 0);
                let names: Vec<&[u8]> = row.chunks_exact(len).collect();
                assert!(names.windows(2).all(|w| w[0] < w[1]), "row {len} unsorted");
            }
        }
        assert!(NOT_PEOPLE.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn last_words_cover_every_phrase() {
        assert!(LAST_WORDS.windows(2).all(|w| w[0] < w[1]));
        for p in STRONG_INTROS
            .iter()
            .chain(LEXICON_INTROS)
            .chain(GREETINGS)
            .chain(ROLE_PHRASES)
        {
            // `word_before` does not lower-case Cyrillic: a Cyrillic phrase has two words.
            if p.iter().any(|&b| matches!(b, 0xD0 | 0xD1)) {
                assert!(p.contains(&b' '), "{}", String::from_utf8_lossy(p));
            }
            let last = p.rsplit(|&b| b == b' ').next().unwrap_or_default();
            let last: Vec<u8> = String::from_utf8_lossy(last)
                .replace('\u{2019}', "'")
                .into_bytes();
            assert!(
                LAST_WORDS.binary_search(&last.as_slice()).is_ok(),
                "{}",
                String::from_utf8_lossy(p)
            );
        }
    }

    #[test]
    fn keys() {
        assert_eq!(key_of(b"full_name"), Key::Person);
        assert_eq!(key_of(b"fullName"), Key::Person);
        assert_eq!(key_of(b"name"), Key::Name);
        assert_eq!(key_of(b"owner"), Key::Role);
        assert_eq!(key_of(b"hostname"), Key::No);
        assert_eq!(key_of(b"username"), Key::No);
        assert_eq!(key_of(b""), Key::No);
    }

    #[test]
    fn fold_cyrillic_lowers_capitals_only() {
        let mut w = "Меня ЗОВУТ Ёж Їжак, Mix".as_bytes().to_vec();
        fold_cyrillic(&mut w);
        assert_eq!(String::from_utf8(w).unwrap(), "меня зовут ёж їжак, Mix");
        let mut cut = "Ж".as_bytes()[..1].to_vec();
        fold_cyrillic(&mut cut);
        assert_eq!(cut, [0xD0]);
    }

    /// Korean and Arabic have no capitals: their cues are read at the cue, and the name's end
    /// comes from the copula (Korean) or the next stop word (Arabic).
    #[test]
    fn korean_and_arabic_intros() {
        assert_eq!(persons("제 이름은 김민수입니다."), ["김민수"]);
        assert_eq!(persons("제 이름은 민지예요"), ["민지"]);
        assert_eq!(persons("내 이름은 하준 "), ["하준"]);
        assert_eq!(persons("저는 이지은이라고 합니다."), ["이지은"]);
        // `저는` also introduces occupations: a surname, three syllables and an ending.
        assert!(persons("저는 학생입니다. 저는 한국인입니다. 저는 김민입니다").is_empty());
        // A cue inside a word is none (`문제 이름은`: "the problem's name is").
        assert!(persons("문제 이름은 김민수입니다").is_empty());
        assert_eq!(persons("اسمي أحمد علي وأنا من القاهرة"), ["أحمد علي"]);
        assert_eq!(persons("اسمي هو فاطمة."), ["فاطمة"]);
        assert!(persons("ما هو اسمي؟").is_empty());
        assert_eq!(persons("اسمي الكامل هو أحمد علي."), ["أحمد علي"]);
        assert_eq!(persons("{\"customer_name\": \"최유진\"}"), ["최유진"]);
        // Under `name` or a role key, a surname first (Korean) or two words (Arabic).
        assert!(persons("{\"name\": \"갤럭시\"}").is_empty());
        assert!(persons("{\"owner\": \"القاهرة\"}").is_empty());
        assert_eq!(persons("{\"owner\": \"خالد الحربي\"}"), ["خالد الحربي"]);
    }

    /// Inline lists under a list key: each item is taken when it starts with a lexicon given
    /// name; teams and services are not.
    #[test]
    fn labelled_lists() {
        assert_eq!(
            persons("Attendees: Maria Garcia, Tom Becker and Priya Patel\nAgenda: Q2"),
            ["Maria Garcia", "Tom Becker", "Priya Patel"]
        );
        assert_eq!(
            persons("Participants: Lena Hoffmann; Kwame Mensah; Sofia Rossi\n"),
            ["Lena Hoffmann", "Kwame Mensah", "Sofia Rossi"]
        );
        assert!(persons("Reviewers: Backend Guild, Security Review Board\n").is_empty());
        assert!(persons("Participants: Payment Service, Order Service, Auth Gateway").is_empty());
        assert_eq!(list_key(b"Labels: Ann Lee, Bo", 17), Key::No);
        let yaml = "meeting:\n  attendees:\n    - Ann Lee\n    - Bo Chen\n  room: 4B\n";
        assert_eq!(
            yaml_list_key(yaml.as_bytes(), yaml.find("Bo").unwrap()),
            Key::List
        );
        assert_eq!(
            yaml_list_key(yaml.as_bytes(), yaml.find("Ann").unwrap()),
            Key::List
        );
        let tags = "tags:\n  - Ann Lee\n";
        assert_eq!(
            yaml_list_key(tags.as_bytes(), tags.find("Ann").unwrap()),
            Key::No
        );
        let inline = "attendees: x\n  - Ann Lee\n";
        assert_eq!(
            yaml_list_key(inline.as_bytes(), inline.find("Ann").unwrap()),
            Key::No
        );
        assert_eq!(list_key(b"Cc: Ann Lee, Bo", 13), Key::List);
        assert_eq!(list_key(b"Cc: Ann Lee (x), Bo", 17), Key::No);
    }

    #[test]
    fn cues() {
        assert_eq!(persons("Hi Maria,\nthanks"), ["Maria"]);
        assert_eq!(persons("Best,\nJohn Smith"), ["John Smith"]);
        assert_eq!(persons("From: Wei Zhang <w@example.com>"), ["Wei Zhang"]);
        assert_eq!(persons("我叫李明。"), ["李明"]);
        assert_eq!(
            persons("INSERT INTO t (id, full_name) VALUES (1, 'Ana Lima');"),
            ["Ana Lima"]
        );
        assert!(persons("Hi Team,\nWill this Grant Access in May?").is_empty());
        assert!(persons("{\"name\": \"Run Tests\"}").is_empty());
        // Values glued to their key by `="`; `git config user.name "…"`.
        assert_eq!(
            persons("GIT_AUTHOR_NAME=\"Tariq Rahimi\" git"),
            ["Tariq Rahimi"]
        );
        assert_eq!(
            persons("git config user.name \"Wanjiru Kamau\""),
            ["Wanjiru Kamau"]
        );
        assert!(persons("<div class=\"Main Content\" title=\"Save Changes\">").is_empty());
        // A mail header block: `From:`/`To:`/`Cc:` hold people only next to `Sent:`/`Subject:`.
        assert_eq!(
            persons("From: Wanjiru Kamau\nSent: Monday\nTo: Tariq Rahimi; Nneka Obi\n"),
            ["Wanjiru Kamau", "Tariq Rahimi", "Nneka Obi"]
        );
        assert!(persons("From: Central Station\nTo: Harbour Bridge\n").is_empty());
        // Form lines: `Name:` capitalised at a line start; keys of words at a line start.
        assert_eq!(
            persons("Name: Wanjiru Kamau\nDOB: 1990-04-12"),
            ["Wanjiru Kamau"]
        );
        assert_eq!(persons("Full name: Wanjiru Kamau"), ["Wanjiru Kamau"]);
        assert_eq!(persons("Assigned to: Tariq Rahimi\n"), ["Tariq Rahimi"]);
        assert!(persons("name: Nightly Sync\n").is_empty());
        assert!(persons("Server name: Web Prod\n").is_empty());
        assert!(persons("x Name: Web Prod\n").is_empty());
    }
}
