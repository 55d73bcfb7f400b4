//! Person names from context cues (issue 11) and the given-name lexicon.
//!
//! The run scan of `ner` visits every capitalised token; at a token that starts a name here the
//! bytes around it are read for a cue, in a bounded window (a few words back, one line forward),
//! so the cost is per candidate token, never per byte:
//! - self-introductions: `my name is`, `name's`, `mein Name ist`, `ich heiße`, `je m'appelle`,
//!   `me llamo`, `mi chiamo`, `mijn naam is`; `I'm`, `I am`, `this is`, `ich bin`, `je suis`,
//!   `soy`, `sono` only before a lexicon name;
//! - greetings (`Hi`, `Dear`, `Thanks`, `Hallo`, `Bonjour`, `Hola`, `Ciao`, ...) at a line or
//!   sentence start, the name ending at `,` `!` `:` or the line end;
//! - sign-offs: a name alone on the line after `Best,` `Thanks,` `Kind regards,` `Mit freundlichen
//!   Grüßen`, `Cordialement,` `Saludos,` ... (an optional dash before the name);
//! - a display name before `<addr@host>` (email headers, git trailers);
//! - a chat speaker label after a `[hh:mm]` timestamp, ending in `:`;
//! - a role word or phrase before the name (`customer`, `patient`, `assigned to`, `reviewed by`);
//! - a JSON/YAML key (`"full_name": "…"`, `owner: …`), a CSV column named in the header row, an
//!   SQL `INSERT … (cols) VALUES (…)` column.
//!
//! CJK names are found after `我叫`, `我是` (a common Chinese surname first), `私は…です`,
//! `私の名前は…です`, as a `[hh:mm] 王云:` speaker label, and as a JSON value of a person key.
//!
//! Words that are not people (`Team`, `Support`, `Bot`, `Manager`, months, product names) veto a
//! cue; an organisation suffix does too. A name without any cue is left to the Go rules in `ner`
//! (a title, or a known first name followed by another capitalised word); the lexicon widens the
//! first-name list from Go's 56 names to the names of `given_names` that are not everyday words.

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

/// Up to four words before `pos` (nearest first), lower-cased ASCII (other bytes kept), with
/// `’` read as `'`; stops at a line break.
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
    t.get(p..end).unwrap_or_default()
}

/// The kind of a raw field or column name, normalised (lower-case, without `_ - .` and spaces):
/// `full_name`, `fullName` and `Full Name` are one key.
fn key_of(raw: &[u8]) -> Key {
    let mut k = [0u8; 32];
    let mut n = 0usize;
    for &b in raw {
        if b.is_ascii_alphanumeric() {
            let Some(d) = k.get_mut(n) else {
                return Key::No;
            };
            *d = b.to_ascii_lowercase();
            n += 1;
        }
    }
    if n == 0 {
        return Key::No;
    }
    key_kind(k.get(..n).unwrap_or_default())
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
}

pub(super) fn key_kind(k: &[u8]) -> Key {
    match k {
        b"name" => Key::Name,
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
fn key_accepts(key: Key, first: Given, titles: usize) -> bool {
    match key {
        Key::No => false,
        Key::Name => first == Given::Plain && titles >= 2,
        Key::Role => titles >= 2 || first == Given::Plain,
        Key::Person => titles >= 1,
    }
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
        let key = key_of(raw_key);
        return if key_accepts(key, g(), titles) && value_ends(t, last) {
            n
        } else {
            0
        };
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
    if LEXICON_INTROS.iter().any(|p| back.ends_with(p)) && g() != Given::No {
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
    b"es",
    b"estimada",
    b"estimado",
    b"gentile",
    b"hallo",
    b"hei",
    b"heisse",
    b"hei\xc3\x9fe",
    b"hej",
    b"hello",
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
    b"m'appelle",
    b"morning",
    b"name's",
    b"nome",
    b"passenger",
    b"patient",
    b"querida",
    b"querido",
    b"resident",
    b"salut",
    b"sono",
    b"sou",
    b"soy",
    b"subscriber",
    b"suis",
    b"tenant",
    b"thanks",
    b"to",
    b"you",
    b"\xc3\xa8",
    b"\xc3\xa9",
];

/// The word just before `pos` (over spaces, `,` and `"`, not over a line break), lower-cased
/// ASCII with `’` read as `'`, into `buf`; empty if none or longer than the buffer.
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
        i += 1;
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
    let mut cols = Vec::new();
    fields(t, 0, head_end, delim, &mut cols);
    let keys: Vec<Key> = cols
        .iter()
        .map(|&(s, e)| {
            let raw = t.get(s..e).unwrap_or_default();
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
        return;
    }
    let mut line = head_end + 1;
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
        if stop == line {
            break;
        }
        fields(t, line, stop, delim, &mut row);
        for (&(s, e), &key) in row.iter().zip(&keys) {
            if key == Key::No {
                continue;
            }
            let v = t.get(s..e).unwrap_or_default();
            let (vs, ve) = trim_span(t, s, s + v.len());
            if let Some((g, titles)) = t.get(vs..ve).and_then(name_value)
                && key_accepts(key, g, titles)
            {
                out.push(super::person(vs, ve, super::PERSON_CUE_CONF));
            }
        }
        line = end + 1;
    }
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
    let col = t.get(open + 1..close)?.split(|&b| b == b',').nth(idx)?;
    let key = key_of(col);
    let s = q + 1;
    let e = s + memchr::memchr(b'\'', t.get(s..t.len().min(s + 80))?)?;
    let (g, titles) = name_value(t.get(s..e)?)?;
    key_accepts(key, g, titles).then_some((s, e))
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
    }
}
