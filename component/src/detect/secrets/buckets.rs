//! The bucket plans of the two anchor groups' Teddy searchers (group 0 below, [`PLAN_0`]).
//!
//! Group 1 holds every anchor of 4 bytes or more (62 patterns) in one slim Teddy searcher: 32
//! bytes a step, 8 buckets. Teddy fingerprints the first 4 bytes of each bucket's patterns by
//! nybble (the union of the low and of the high nybbles at each position), so a bucket whose
//! patterns share few nybbles lets through many positions that the verification step then
//! rejects one pattern at a time. aho-corasick's builder puts a pattern in the bucket of an
//! earlier pattern with the same low-nybble prefix, else in bucket `7 - id % 8`: its buckets
//! follow the order the patterns are given in. Given in table order, the 62 anchors measured 9.6 M
//! instructions on the bench records; in the order [`order`] makes from [`PLAN`], 2.7 M, against
//! 4.5 M for the two searchers they used to be split over (`docs/benchmarks.md`, "Session 16").
//!
//! The plan came from a search over bucket assignments that minimised candidate positions on the
//! bench records (`scripts/teddy-buckets`, which also scores a plan on other text); it is a
//! performance choice only: every bucket assignment finds the same matches.

/// Group 1's anchors by Teddy bucket. Patterns with the same low-nybble prefix (`pass`, `Pass`,
/// `PASS`) must share a bucket, which the builder enforces anyway
/// (`plans_cover_their_groups` checks the planned buckets are the ones built).
pub(super) const PLAN: Plan = [
    &["GR1348941", "pass", "Pass", "PASS", " -u ", "--user"],
    &[
        "AROA", "ANPA", "glft", "gloas", "glrt-", "gldt-", "AIza", "glptt-",
    ],
    &["ghu_", "gho_", "npm_", "glagent", "oken", "OKEN", "glffct"],
    &[".atlasv1.", "hooks.slack.com", "github_pat_", "-----BEGIN"],
    &[
        "AKIA", "earer", "EARER", "xapp-", "ASIA", "ecret", "ECRET", "whsec_", "ASCA", "ANVA",
    ],
    &[
        "k_live_", "dp.st.", "dp.sa.", "dp.ct.", "glcbt", "glimt", "mariadb", "dp.pt.",
    ],
    &[
        "AIPA",
        "redential",
        "REDENTIAL",
        "AIDA",
        "AGPA",
        "k_test_",
        "sha256~",
        "glpat-",
    ],
    &[
        "mysql",
        "pscale_tkn_",
        "pscale_pw_",
        "pscale_oauth_",
        "hvs.",
        "hvb.",
        "hvr.",
        "ghs_",
        "glsoat",
        "ghp_",
        "ghr_",
    ],
];

/// Group 0's anchors (3 bytes each: 3-byte fingerprints) by Teddy bucket. Given in table order,
/// the 27 anchors scored 206 k on the bench records (`scripts/teddy-buckets --group 0`: the
/// fourteen tool-name anchors of `cli` had landed in the buckets of `://`, `key` and `uth`, whose
/// bytes are everywhere); this plan, from the same search, scores 26 k, against 16 k for the 13
/// anchors before them in table order. `IDENTIFIED BY`'s two anchors joined bucket 1 after the
/// search, where they cost least (26.4 k -> 28.0 k). Session 23 added seven (`ified by `,
/// `ified with `, `isq`, `osq`, `tsq`, `rar `, `skt`) and searched again from a plan that spread
/// them over the buckets (`--search 1500 --seed 7`): 50.3 k, of which `ifi` alone is 11 k; the
/// group's searcher went from 1.42 M to 1.77 M instructions on the bench records. `pgp`
/// (`.pgpass`) went to bucket 4, the cheapest for it (53.0 k).
pub(super) const PLAN_0: Plan = [
    &["://", "uth", "UTH"],
    &["pwd", "PWD", "IED BY", "IED WITH", "eyJ", "h-k"],
    &["ified by ", "ified with ", "lda"],
    &["osq", "isq", "tsq", "key", "Key", "KEY"],
    &["ssl", "7za", "AsP", "pgp"],
    &["rar ", "bcp", "rdp", ":AA", "zip"],
    &["7z ", "xox", "SG.", "sk-", "skt"],
    &["s-c", "smb", " -S", "qlc", "pcc"],
];

/// Teddy's buckets (slim).
const BUCKETS: usize = 8;

/// The bytes Teddy fingerprints: the first `min(4, shortest pattern)`.
fn mask_len(pats: &[&str]) -> usize {
    pats.iter().map(|p| p.len()).min().unwrap_or(1).clamp(1, 4)
}

/// The builder's bucket key of a pattern: the low nybbles of its fingerprinted bytes.
fn class(p: &str, len: usize) -> Vec<u8> {
    p.bytes().take(len).map(|b| b & 0x0F).collect()
}

/// A bucket plan: each group's anchors by Teddy bucket.
pub(super) type Plan = [&'static [&'static str]; BUCKETS];

/// The planned bucket of `p`, if `plan` has it.
fn planned(plan: &Plan, p: &str) -> Option<usize> {
    plan.iter().position(|b| b.contains(&p))
}

/// The plan of group `g`'s searcher.
pub(super) fn plan_of(g: usize) -> &'static Plan {
    if g == 0 { &PLAN_0 } else { &PLAN }
}

/// The order (indices into `pats`, some repeated) in which to give `pats` to the packed builder
/// so that its bucket rule puts each planned pattern in its `plan` bucket: the first pattern of
/// each low-nybble class goes where `7 - id % 8` is its bucket; the other members of its class,
/// and when none is left a repeat of the first pattern (harmless: leftmost-first reports the
/// first of two equal patterns), fill the ids between. Patterns missing from the plan come last,
/// wherever the rule puts them.
pub(super) fn order(pats: &[&str], plan: &Plan) -> Vec<usize> {
    let len = mask_len(pats);
    // The classes, in table order, each as the indices of its members.
    let mut classes: Vec<(Vec<u8>, Vec<usize>)> = Vec::new();
    for (i, p) in pats.iter().enumerate() {
        let key = class(p, len);
        match classes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, members)) => members.push(i),
            None => classes.push((key, vec![i])),
        }
    }
    // Per bucket, its classes (popped from the back, so reversed); the rest go last.
    let mut todo: [Vec<Vec<usize>>; BUCKETS] = Default::default();
    let mut unplanned = Vec::new();
    for (_, members) in classes.into_iter().rev() {
        let first = members.first().and_then(|&i| pats.get(i));
        match first
            .and_then(|p| planned(plan, p))
            .and_then(|b| todo.get_mut(b))
        {
            Some(t) => t.push(members),
            None => unplanned.extend(members),
        }
    }
    unplanned.sort_unstable();
    let mut out: Vec<usize> = Vec::with_capacity(pats.len() + BUCKETS);
    let mut fill: Vec<usize> = Vec::new();
    while todo.iter().any(|t| !t.is_empty()) {
        let bucket = BUCKETS - 1 - out.len() % BUCKETS;
        if let Some(members) = todo.get_mut(bucket).and_then(Vec::pop) {
            out.extend(members.first());
            fill.extend(members.iter().skip(1));
        } else if let Some(f) = fill.pop() {
            out.push(f);
        } else if let Some(&first) = out.first() {
            out.push(first);
        } else {
            // Nothing planned for bucket 7: the plan cannot be laid out; keep the table order.
            return (0..pats.len()).collect();
        }
    }
    out.extend(fill);
    out.extend(unplanned);
    out
}

/// The buckets aho-corasick's builder makes from patterns given in this order (its rule,
/// restated; `searcher_buckets_follow_the_plan` checks it against the crate).
#[cfg(test)]
pub(super) fn buckets_of(pats: &[&str]) -> [Vec<String>; BUCKETS] {
    let len = mask_len(pats);
    let mut out: [Vec<String>; BUCKETS] = Default::default();
    let mut seen: Vec<(Vec<u8>, usize)> = Vec::new();
    for (id, p) in pats.iter().enumerate() {
        let key = class(p, len);
        let b = match seen.iter().find(|(k, _)| *k == key) {
            Some(&(_, b)) => b,
            None => {
                let b = BUCKETS - 1 - id % BUCKETS;
                seen.push((key, b));
                b
            }
        };
        if let Some(v) = out.get_mut(b) {
            v.push((*p).to_string());
        }
    }
    out
}
