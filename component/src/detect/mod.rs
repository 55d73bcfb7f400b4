//! Detection: find sensitive entities in text.
//!
//! Every built-in detector works on bytes (`&[u8]`), so invalid UTF-8 is scanned, never rejected,
//! and every finding starts and ends on an ASCII byte or a character boundary (an ASCII byte never
//! occurs inside a multi-byte UTF-8 sequence). The engine is hand-written: one pass per detector
//! family, anchored by `memchr`/`aho-corasick`, with a local validator per candidate
//! (see `docs/decisions/0001-detection-engine.md`). `regex` is used only for policy custom detectors.
//!
//! Pipeline: detectors append raw findings -> the decoding pass (`decode`) appends what encoded
//! runs hide -> allow-list and confidence floor -> overlap
//! resolution (no finding inside a stronger one) -> type filter; sorted by start, longer first.

/// A `[bool; 256]` table of a byte predicate, evaluated at compile time: `byte_table!(|b| ...)`.
/// The scans read such a table once per byte instead of testing a chain of comparisons, whose
/// outcomes mispredict.
macro_rules! byte_table {
    (|$b:ident| $e:expr) => {{
        let mut t = [false; 256];
        let mut i = 0usize;
        while i < 256 {
            let $b = i as u8;
            #[expect(
                clippy::indexing_slicing,
                reason = "const evaluation; i < 256 indexes a [bool; 256]"
            )]
            {
                t[i] = $e;
            }
            i += 1;
        }
        t
    }};
}

pub mod address;
mod blocks;
pub mod custom;
pub mod decode;
pub mod ner;
pub mod offsets;
pub mod pii;
pub mod secrets;

use crate::entity::{EntityType, Finding};

pub use custom::{AllowList, CustomDetector};
pub use offsets::OffsetUnit;

/// Which entity types a caller wants reported. Built-in types are a bit set; custom detector names
/// are kept by name. Unknown names match nothing (the Go contract for `entity_types`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypeFilter {
    builtin: u64,
    custom: Vec<String>,
    all_custom: bool,
}

impl TypeFilter {
    /// Everything, built-in and custom.
    pub fn all() -> TypeFilter {
        TypeFilter {
            builtin: u64::MAX,
            custom: Vec::new(),
            all_custom: true,
        }
    }

    /// From request names: trimmed, lower-cased; group names `secret`, `pii`, `any` expand;
    /// an empty list means everything.
    pub fn from_names<S: AsRef<str>>(names: &[S]) -> TypeFilter {
        if names.is_empty() {
            return TypeFilter::all();
        }
        let mut f = TypeFilter::default();
        for name in names {
            let name = name.as_ref().trim().to_ascii_lowercase();
            match name.as_str() {
                "any" => return TypeFilter::all(),
                "secret" => {
                    for t in EntityType::ALL.into_iter().filter(|t| t.is_secret()) {
                        f.insert(t);
                    }
                }
                "pii" => {
                    for t in EntityType::ALL.into_iter().filter(|t| t.is_pii()) {
                        f.insert(t);
                    }
                }
                _ => match EntityType::parse(&name) {
                    Some(t) => f.insert(t),
                    None if !name.is_empty() => f.custom.push(name),
                    None => {}
                },
            }
        }
        f
    }

    /// True if nothing is filtered out.
    pub fn is_all(&self) -> bool {
        self.builtin == u64::MAX && self.all_custom
    }

    pub fn insert(&mut self, t: EntityType) {
        self.builtin |= 1u64 << (t as u32);
    }

    pub fn contains(&self, t: EntityType) -> bool {
        self.builtin & (1u64 << (t as u32)) != 0
    }

    pub fn contains_name(&self, name: &str) -> bool {
        match EntityType::parse(name) {
            Some(t) => self.contains(t),
            None => self.all_custom || self.custom.iter().any(|c| c.eq_ignore_ascii_case(name)),
        }
    }

    /// True if any of the NER types is wanted.
    pub fn wants_ner(&self) -> bool {
        self.contains(EntityType::Person)
            || self.contains(EntityType::Organization)
            || self.contains(EntityType::Location)
    }
}

/// How to scan. `ScanOptions::default()` is the Go behaviour plus our additions: every built-in
/// type, NER on, no custom detectors, no allow-list, no confidence floor.
#[derive(Clone, Debug)]
pub struct ScanOptions<'a> {
    pub filter: TypeFilter,
    /// Run the heuristic NER (person, organization, location).
    pub ner: bool,
    pub custom: &'a [CustomDetector],
    pub allow: Option<&'a AllowList>,
    /// Findings below this confidence are not reported.
    pub min_confidence: f64,
}

impl Default for ScanOptions<'_> {
    fn default() -> Self {
        ScanOptions {
            filter: TypeFilter::all(),
            ner: true,
            custom: &[],
            allow: None,
            min_confidence: 0.0,
        }
    }
}

/// Scan `text` with the default options.
pub fn scan_all(text: &[u8]) -> Vec<Finding> {
    scan(text, &ScanOptions::default())
}

/// Scan `text` (any bytes; invalid UTF-8 is fine). Findings are sorted by start (ties: longer
/// first), never lie inside a stronger finding of another type, and carry byte offsets.
pub fn scan(text: &[u8], opts: &ScanOptions<'_>) -> Vec<Finding> {
    // The per-text buffers come from this thread's scratch, so a call allocates only what it
    // returns (a nested call on the same thread, which the families do not make, gets its own).
    SCRATCH.with(|cell| match cell.try_borrow_mut() {
        Ok(mut scratch) => {
            let out = scan_with(text, opts, &mut scratch);
            scratch.trim();
            out
        }
        Err(_) => scan_with(text, opts, &mut Scratch::default()),
    })
}

/// Buffers a scan needs for its own work only, kept between the calls on one thread.
#[derive(Default)]
struct Scratch {
    masks: Vec<blocks::Block>,
    runs: Vec<(usize, usize)>,
}

impl Scratch {
    /// Buffers up to this size are kept for the next call (the masks of a 64 KiB text take
    /// 56 KiB, 56 bytes a block); larger ones are freed, so one huge payload does not stay
    /// resident.
    const KEEP_BYTES: usize = 64 * 1024;

    fn trim(&mut self) {
        if self.masks.capacity() * size_of::<blocks::Block>() > Self::KEEP_BYTES {
            self.masks = Vec::new();
        }
        if self.runs.capacity() * size_of::<(usize, usize)>() > Self::KEEP_BYTES {
            self.runs = Vec::new();
        }
    }
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

fn scan_with(text: &[u8], opts: &ScanOptions<'_>, scratch: &mut Scratch) -> Vec<Finding> {
    // Most texts hold a few findings: room for 16 saves the first growths.
    let mut out = Vec::with_capacity(16);
    // Byte-class masks per 64-byte block, shared by the PII, address and NER families and the
    // decoding pass.
    blocks::masks_into(text, &mut scratch.masks);
    let masks = scratch.masks.as_slice();
    // Runs of base64 characters (16 or more), shared by the secrets family (vendor prefixes in
    // them) and the decoding pass.
    decode::long_runs_into(text, masks, &mut scratch.runs);
    let runs = scratch.runs.as_slice();
    secrets::find_in(text, masks, runs, &mut out);
    pii::find_in(text, masks, &mut out);
    address::find_in(text, masks, &mut out);
    if opts.ner {
        ner::find_in(text, masks, &mut out);
    }
    for det in opts.custom {
        det.find(text, &mut out);
    }
    // Encoded runs (base64, hex, percent, escapes, invisible characters): `decode`.
    let mut decoded = Vec::new();
    decode::find_in(text, runs, &out, &mut decoded);
    out.append(&mut decoded);
    out.retain(|f| {
        f.start < f.end
            && f.end <= text.len()
            && f.confidence >= opts.min_confidence
            && !opts
                .allow
                .is_some_and(|a| text.get(f.start..f.end).is_some_and(|v| a.allows(v)))
    });
    resolve_overlaps(&mut out);
    if !opts.filter.is_all() {
        out.retain(|f| opts.filter.contains_name(&f.entity_type));
    }
    out
}

fn strength_of(f: &Finding) -> u8 {
    // Custom detectors are explicit operator intent: as strong as a keyed secret.
    f.builtin().map_or(3, EntityType::strength)
}

/// Sort by `(start, end desc)` and drop:
/// - exact duplicates (same span, same type), keeping the highest confidence;
/// - a finding whose span lies inside (or equals) the span of a stronger finding of another type,
///   where stronger = higher `strength`, then longer span, then higher confidence.
///
/// Partial overlaps are kept: transforms merge them (see `transform`), so no byte of either is left.
pub fn resolve_overlaps(findings: &mut Vec<Finding>) {
    if findings.len() < 2 {
        return;
    }
    // Strength is computed once per finding, not inside the comparator.
    let mut keyed: Vec<(u8, Finding)> = findings.drain(..).map(|f| (strength_of(&f), f)).collect();
    keyed.sort_by(|(sa, a), (sb, b)| {
        a.start
            .cmp(&b.start)
            .then(b.end.cmp(&a.end))
            .then(sb.cmp(sa))
            .then(b.confidence.total_cmp(&a.confidence))
    });
    keyed.dedup_by(|(_, later), (_, earlier)| {
        later.start == earlier.start
            && later.end == earlier.end
            && later.entity_type == earlier.entity_type
    });
    // Sorted by start, then end descending, then strength descending: every container of a
    // finding comes before it. `active` holds the kept findings that may still contain a later one
    // (end beyond the current start); it stays as small as the nesting depth.
    let mut active: Vec<(usize, u8, f64, usize)> = Vec::new(); // (end, strength, confidence, idx)
    for i in 0..keyed.len() {
        let Some((si, fi)) = keyed.get(i) else {
            break;
        };
        active.retain(|&(end, ..)| end > fi.start);
        let contained = active.iter().any(|&(end, sj, cj, j)| {
            let Some((_, fj)) = keyed.get(j) else {
                return false;
            };
            end >= fi.end
                && fj.entity_type != fi.entity_type
                && (sj > *si
                    || (sj == *si && fj.len() > fi.len())
                    || (sj == *si && fj.len() == fi.len() && cj >= fi.confidence))
        });
        if !contained {
            active.push((fi.end, *si, fi.confidence, i));
        } else if let Some(k) = keyed.get_mut(i) {
            // Dropped (no strength is this high); `active` never holds a dropped finding.
            k.0 = DROPPED;
        }
    }
    findings.extend(
        keyed
            .into_iter()
            .filter_map(|(s, f)| (s != DROPPED).then_some(f)),
    );
}

/// The strength [`resolve_overlaps`] marks a dropped finding with.
const DROPPED: u8 = u8::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    fn f(t: EntityType, s: usize, e: usize) -> Finding {
        Finding::new(t, s, e, 0.9)
    }

    /// `resolve_overlaps` marks a dropped finding with a strength no type has.
    #[test]
    fn no_strength_is_the_dropped_mark() {
        for t in EntityType::ALL {
            assert!(t.strength() < DROPPED, "{t:?}");
        }
        const { assert!(3 < DROPPED) } // custom detectors' strength
    }

    /// The thread's scratch buffers: a second call sees none of the first call's text, and a
    /// large text's buffers are not kept.
    #[test]
    fn scratch_is_reused_and_trimmed() {
        let first = scan_all(b"card 4111 1111 1111 1111 and AKIAZ3MHQRS7T4UVWX5Y here");
        let second = scan_all(b"nothing");
        assert!(!first.is_empty());
        assert!(second.is_empty());
        let big = vec![b'a'; 1 << 20];
        assert!(scan_all(&big).is_empty());
        SCRATCH.with(|c| {
            let s = c.borrow();
            assert!(s.masks.capacity() * size_of::<blocks::Block>() <= Scratch::KEEP_BYTES);
            assert!(s.runs.capacity() * size_of::<(usize, usize)>() <= Scratch::KEEP_BYTES);
        });
        assert_eq!(scan_all(b"4111 1111 1111 1111").len(), 1);
    }

    #[test]
    fn phone_inside_card_is_dropped() {
        let mut v = vec![
            f(EntityType::Phone, 5, 15),
            f(EntityType::CreditCard, 5, 21),
        ];
        resolve_overlaps(&mut v);
        assert_eq!(v, vec![f(EntityType::CreditCard, 5, 21)]);
    }

    #[test]
    fn partial_overlap_is_kept() {
        let mut v = vec![f(EntityType::Email, 0, 10), f(EntityType::Person, 8, 20)];
        resolve_overlaps(&mut v);
        assert_eq!(v.len(), 2);
    }

    #[test]
    fn duplicate_spans_collapse() {
        let mut v = vec![f(EntityType::Email, 0, 10), f(EntityType::Email, 0, 10)];
        resolve_overlaps(&mut v);
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn filter_groups() {
        let f = TypeFilter::from_names(&["secret"]);
        assert!(f.contains(EntityType::GithubToken));
        assert!(!f.contains(EntityType::Email));
        let f = TypeFilter::from_names(&[" SSN "]);
        assert!(f.contains(EntityType::Ssn));
        assert!(!f.wants_ner());
        let f = TypeFilter::from_names(&["nope"]);
        assert!(!f.contains_name("email"));
        assert!(f.contains_name("nope"));
        assert!(TypeFilter::from_names::<&str>(&[]).contains_name("whatever"));
    }
}

#[cfg(test)]
mod props {
    use proptest::prelude::*;

    use super::*;

    /// Text built from fragments that exercise every detector family, glued with arbitrary
    /// Unicode, so the generator reaches the interesting paths rather than random noise.
    fn texty() -> impl Strategy<Value = String> {
        let frag = prop_oneof![
            Just("alice@example.com".to_string()),
            Just("+1 415-555-0100".to_string()),
            Just("4111 1111 1111 1111".to_string()),
            Just("123-45-6789".to_string()),
            Just("192.168.1.1".to_string()),
            Just("2001:db8::1".to_string()),
            Just("GB82 WEST 1234 5698 7654 32".to_string()),
            Just("api_key=ABCD1234EFGH5678".to_string()),
            Just("ghp_0123456789abcdefghijABCDEFGHIJ012345".to_string()),
            Just("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln".to_string()),
            Just("-----BEGIN PRIVATE KEY-----\nMIIB\n".to_string()),
            Just("postgres://u:p@h/db".to_string()),
            Just("Mr. John Smith".to_string()),
            Just("in San Francisco".to_string()),
            Just("1600 Pennsylvania Avenue NW".to_string()),
            Just("DOB: 1990-01-15".to_string()),
            "\\PC{0,12}",
            "[ \\t\\n:=@.\\-+/0-9A-Za-z\"']{0,16}",
        ];
        proptest::collection::vec(frag, 0..12).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn never_panics_on_arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            for f in scan_all(&bytes) {
                prop_assert!(f.start < f.end && f.end <= bytes.len());
            }
        }

        #[test]
        fn offsets_on_char_boundaries_and_sorted(text in texty()) {
            let found = scan_all(text.as_bytes());
            for f in &found {
                prop_assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
                    "{} [{}, {}) not on char boundaries", f.entity_type, f.start, f.end);
                prop_assert!((0.0..=1.0).contains(&f.confidence));
            }
            for w in found.windows(2) {
                prop_assert!(w[0].start < w[1].start || (w[0].start == w[1].start && w[0].end >= w[1].end));
            }
            // Deterministic.
            prop_assert_eq!(found, scan_all(text.as_bytes()));
        }

        #[test]
        fn no_finding_inside_a_stronger_one(text in texty()) {
            let found = scan_all(text.as_bytes());
            for a in &found {
                for b in &found {
                    if std::ptr::eq(a, b) || a.entity_type == b.entity_type {
                        continue;
                    }
                    let contained = b.start <= a.start && a.end <= b.end;
                    prop_assert!(!(contained && strength_of(b) > strength_of(a)),
                        "{} inside stronger {}", a.entity_type, b.entity_type);
                }
            }
        }

        #[test]
        fn utf16_and_char_offsets_match_std(text in texty()) {
            let found = scan_all(text.as_bytes());
            let mut chars = found.clone();
            offsets::convert(text.as_bytes(), &mut chars, OffsetUnit::Char);
            let mut utf16 = found.clone();
            offsets::convert(text.as_bytes(), &mut utf16, OffsetUnit::Utf16);
            for ((b, c), u) in found.iter().zip(&chars).zip(&utf16) {
                prop_assert_eq!(c.start, text[..b.start].chars().count());
                prop_assert_eq!(c.end, text[..b.end].chars().count());
                prop_assert_eq!(u.start, text[..b.start].encode_utf16().count());
                prop_assert_eq!(u.end, text[..b.end].encode_utf16().count());
            }
        }
    }
}
