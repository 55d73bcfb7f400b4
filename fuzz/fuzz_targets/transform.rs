//! `transform`: a text, findings (arbitrary, often invalid, spans), a plan and a key through
//! `transform::apply`, and the same findings sent as client findings through `reconcile`.
//!
//! Checks `transform::apply`'s documented contract (`component/src/transform/mod.rs`): findings
//! the plan does not cover and invalid spans (empty, out of range, off a character boundary) are
//! ignored; overlapping covered findings are merged into their union span and replaced once
//! (spans that merely touch separately); the replacement is `transform::replacement` of the union
//! text under the mode and type of one of the merged findings; every byte outside the replaced
//! spans is copied unchanged; `entities_transformed` counts the merged spans and `modes_applied`
//! is sorted and de-duplicated. The output is rebuilt from these rules and must match exactly, so
//! no finding's text survives in place (for `mask`, one `*` per character). `reconcile` returns, for
//! each supplied finding, a span of the text that holds its value.
//!
//! Input: `<text>\0<findings><plan><key>`, so seeds can be written from the golden corpus
//! (`scripts/fuzz-seed`): the text is the bytes before the first NUL (lossy UTF-8); then one count
//! byte (mod 13) and that many findings of 5 bytes (start and end as little-endian u16, a `TYPES`
//! index); one count byte (mod 7) and that many plan steps of 2 bytes (a `PLAN_NAMES` index, a
//! `Mode::ALL` index); the rest is the key. Missing bytes end the lists early.
#![no_main]

use datafog::Finding;
use datafog::transform::{
    Mode, SuppliedFinding, TransformStep, apply, mode_for, reconcile, replacement,
};
use libfuzzer_sys::fuzz_target;

/// Entity type names (kept in sync with `scripts/fuzz-seed`): built-in types of each strength
/// and a custom detector's name.
const TYPES: [&str; 12] = [
    "email",
    "phone",
    "ssn",
    "person",
    "location",
    "zip_code",
    "date",
    "credit_card",
    "github_token",
    "aws_access_key",
    "ip_address",
    "employee_id",
];
/// Plan step names: every `TYPES` name, then the groups and names that differ in case and space.
const PLAN_NAMES: [&str; 18] = [
    "email",
    "phone",
    "ssn",
    "person",
    "location",
    "zip_code",
    "date",
    "credit_card",
    "github_token",
    "aws_access_key",
    "ip_address",
    "employee_id",
    "any",
    "secret",
    "pii",
    "api_key",
    " EMAIL ",
    "Person",
];

struct Input {
    text: String,
    findings: Vec<Finding>,
    plan: Vec<TransformStep>,
    key: Vec<u8>,
}

fn decode(data: &[u8]) -> Input {
    let (text, mut rest) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &[][..]),
    };
    let mut take = |n: usize| -> Option<&[u8]> {
        let (head, tail) = rest.split_at_checked(n)?;
        rest = tail;
        Some(head)
    };
    let mut findings = Vec::new();
    let count = take(1).map_or(0, |c| c[0] % 13);
    for _ in 0..count {
        let Some(r) = take(5) else { break };
        findings.push(Finding {
            entity_type: TYPES[usize::from(r[4]) % TYPES.len()].into(),
            start: usize::from(u16::from_le_bytes([r[0], r[1]])),
            end: usize::from(u16::from_le_bytes([r[2], r[3]])),
            confidence: 0.5,
        });
    }
    let mut plan = Vec::new();
    let count = take(1).map_or(0, |c| c[0] % 7);
    for _ in 0..count {
        let Some(r) = take(2) else { break };
        plan.push(TransformStep {
            entity_type: PLAN_NAMES[usize::from(r[0]) % PLAN_NAMES.len()].to_owned(),
            mode: Mode::ALL[usize::from(r[1]) % Mode::ALL.len()],
        });
    }
    let key = rest.to_vec();
    Input {
        text: String::from_utf8_lossy(text).into_owned(),
        findings,
        plan,
        key,
    }
}

/// A merged span: start, end, and the type and mode of each finding in it.
type Group<'a> = (usize, usize, Vec<(&'a str, Mode)>);

/// Whether `out` is `gaps[0] r1 gaps[1] r2 ... gaps[n]` with each `ri` one of `choices[i]`.
fn rebuilds(out: &str, gaps: &[&str], choices: &[Vec<String>]) -> bool {
    let Some(rest) = out.strip_prefix(gaps[0]) else {
        return false;
    };
    match choices.split_first() {
        None => rest.is_empty(),
        Some((these, later)) => these.iter().any(|r| {
            rest.strip_prefix(r.as_str())
                .is_some_and(|rest| rebuilds(rest, &gaps[1..], later))
        }),
    }
}

fuzz_target!(|data: &[u8]| {
    let Input {
        text,
        findings,
        plan,
        key,
    } = decode(data);
    let done = apply(&text, &findings, &plan, &key);

    // The covered, valid spans, sorted by start (longer first), merged where they overlap.
    let mut spans: Vec<(usize, usize, &str, Mode)> = findings
        .iter()
        .filter(|f| f.start < f.end && f.end <= text.len())
        .filter(|f| text.is_char_boundary(f.start) && text.is_char_boundary(f.end))
        .filter_map(|f| {
            Some((
                f.start,
                f.end,
                &*f.entity_type,
                mode_for(&plan, &f.entity_type)?,
            ))
        })
        .collect();
    spans.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
    let mut groups: Vec<Group<'_>> = Vec::new();
    for (s, e, t, m) in spans {
        match groups.last_mut() {
            Some(g) if s < g.1 => {
                g.1 = g.1.max(e);
                g.2.push((t, m));
            }
            _ => groups.push((s, e, vec![(t, m)])),
        }
    }
    assert_eq!(
        done.stats.entities_transformed,
        groups.len(),
        "merged span count"
    );
    let mut gaps = Vec::new();
    let mut cursor = 0;
    for g in &groups {
        gaps.push(&text[cursor..g.0]);
        cursor = g.1;
    }
    gaps.push(&text[cursor..]);
    let choices: Vec<Vec<String>> = groups
        .iter()
        .map(|(s, e, members)| {
            members
                .iter()
                .map(|&(t, m)| replacement(m, t, &text[*s..*e], &key))
                .collect()
        })
        .collect();
    assert!(
        rebuilds(&done.output, &gaps, &choices),
        "output is not the documented substitution"
    );
    let applied: Vec<&str> = done
        .stats
        .modes_applied
        .split(',')
        .filter(|s| !s.is_empty())
        .collect();
    assert!(
        applied.windows(2).all(|w| w[0] < w[1]),
        "modes_applied not sorted and unique"
    );
    assert!(applied.len() <= groups.len());

    // Client findings: the value cut from the text where the span is valid, else a fixed one.
    let supplied: Vec<SuppliedFinding> = findings
        .iter()
        .map(|f| SuppliedFinding {
            entity_type: f.entity_type.to_string(),
            value: text.get(f.start..f.end).unwrap_or("zz").to_owned(),
            start: f.start,
            end: f.end,
            confidence: f.confidence,
        })
        .collect();
    if let Ok(got) = reconcile(&text, &supplied) {
        assert_eq!(got.len(), supplied.len());
        for (g, s) in got.iter().zip(&supplied) {
            let span = text.get(g.start..g.end);
            assert!(span.is_some(), "reconciled span is not a span of the text");
            if !s.value.is_empty() {
                assert_eq!(
                    span,
                    Some(s.value.as_str()),
                    "reconciled span does not hold the value"
                );
            }
        }
    }
});
