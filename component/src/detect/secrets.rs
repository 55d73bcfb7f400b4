//! Secret detectors: provider tokens with distinctive prefixes, JWTs, PEM private keys,
//! URL credentials, password assignments, bearer tokens, and the generic keyed `api_key`.
//!
//! Engine: `aho-corasick` searchers (built once, case-sensitive so Teddy stays on) find
//! anchors: two packed (SIMD) searchers where the CPU has them, merged by offset; elsewhere
//! (wasm32) one overlapping-match DFA walks the text once and each group's leftmost-first
//! matches are picked from its output (`one_pass`), with the same result. The anchors are
//! provider prefixes (`AKIA`, `ghp_`, `sk-`, `eyJ`, `-----BEGIN`, `://`, ...), the vendor
//! prefixes of `vendor::VENDORS` (`hf_`, `hvs.`, `glsa_`, `dop_v1_`, ...), command anchors
//! (`mysql`, ` -u `, `--user`) and key-name keywords in three spellings
//! (`pass`/`Pass`/`PASS`, `token`, `secret`, `key`, `auth`, `cred`, `pwd`, `bearer`). Each anchor
//! is validated locally by hand-written code: charset runs, word boundaries, lengths, base64url +
//! JSON for JWTs and base64-JSON vendor tokens, PEM structure. No `regex`.
//!
//! Spans:
//! - provider and vendor tokens, JWTs, PEM blocks, Slack webhooks: the whole token / block / URL;
//! - `url_credentials`: the userinfo (`user:pass`) only — scheme and host stay readable;
//! - `password_assignment`, `api_key`, `aws_secret_key`, `bearer_token`: the VALUE only (no key,
//!   separator or quotes). The Go service's `api_key` match includes the `api_key=` prefix; ours
//!   does not (a documented divergence).
//!
//! Not secrets (issue 11): AWS's documentation example keys (`AKIAIOSFODNN7EXAMPLE`, secret keys
//! ending `EXAMPLEKEY`), placeholders (`your_api_key_here`, `<token>`, `REPLACE_ME`, `xxxx`,
//! values holding `example`/`sample`/`dummy`), template references (`${VAR}`, `$VAR`, `#{...}`,
//! `{{ ... }}`, `%(x)s`, `{0}`, `os.environ[...]`, `process.env.X`, `getenv("X")`), SOPS
//! `ENC[...]` and secret-store references (`vault:`, `op://`, `arn:aws:secretsmanager:`, ...),
//! redacted values (`[REDACTED]`, `****`, `<redacted>`), keys named public (`csrf_token`,
//! `publishable_key`, `public_key`, `authenticity_token`) and hashes named as such (`checksum`,
//! `sha256`, `etag`, `integrity`, `commit`: no keyword, so never keyed). A UUID under a secret key
//! name (`HEROKU_API_KEY=<uuid>`, `"auth_token": "<uuid>"`) is reported: many vendors issue UUID
//! keys, and request ids do not carry secret key names.
//!
//! Within this module, generic findings (`api_key`, `password_assignment`, `bearer_token`,
//! `aws_secret_key`) contained in a provider-specific finding — or in a vendor token, although
//! vendor tokens are typed `api_key` — are dropped, and findings of one type never overlap.

mod buckets;
mod cli;
mod keyed;
mod memo;
mod prefixed;
mod structured;
mod vendor;

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::entity::{EntityType, Finding};

/// Confidence of provider tokens with a distinctive prefix and a validated body.
const CONF_PREFIXED: f64 = 0.99;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    Aws,
    GithubClassic,
    GithubPat,
    Gitlab,
    SlackXox,
    SlackApp,
    SlackHook,
    Stripe,
    /// `sk-`: OpenAI (`sk-proj-`, legacy `sk-...`) or Anthropic (`sk-ant-`).
    Sk,
    Google,
    Npm,
    Sendgrid,
    Jwt,
    Pem,
    Url,
    Bearer,
    /// A GitLab prefix without its `-` (`glcbt`): the `-` must follow.
    GitlabBare,
    /// A key-name keyword (`password`, `token`, `secret`, `key`, ...).
    Keyword,
    /// `mysql`/`mysqldump`/`mariadb`: a `-pPASSWORD` argument may follow.
    Mysql,
    /// ` -u ` / `--user`: curl-style `user:password`.
    UserFlag,
    /// A command-line tool whose arguments may hold a password (`cli`).
    Tool(cli::Tool),
    /// A row of `vendor::VENDORS`.
    Vendor(u8),
}

/// Anchor patterns and their group. All case-sensitive, so aho-corasick's Teddy (SIMD) prefilter
/// stays on; keywords are anchored on a distinctive inner part (`oken` for token/Token, `earer`
/// for Bearer, `uth` for auth/Auth) and the handlers widen to the whole word. Patterns are split
/// in two groups by length, one searcher each: Teddy fingerprints the first `min(len)` bytes, so
/// the 3-byte anchors alone (group 0: slim Teddy, 3-byte masks) plus the longer ones alone
/// (group 1, with the 4+-byte vendor prefixes of `vendor::VENDORS`: 4-byte masks) measured about
/// three times faster than one mixed set (whose 3-byte masks let through many false candidates).
/// Group 1 has more than the 32 patterns past which the builder picks fat Teddy (half the bytes
/// a step); it is kept slim, with its patterns laid out in planned buckets (`buckets::PLAN`).
/// 3-byte vendor prefixes join group 0, except the ten Azure `<digit>Q~` anchors, found by one
/// `memchr` pass for `~` (`vendor::azure_scan`). The two match streams are merged by offset, so
/// the handlers still see one left-to-right sequence of anchors.
const ANCHORS: &[(&str, Anchor, usize)] = &[
    ("xox", Anchor::SlackXox, 0),
    ("sk-", Anchor::Sk, 0),
    ("SG.", Anchor::Sendgrid, 0),
    ("eyJ", Anchor::Jwt, 0),
    ("://", Anchor::Url, 0),
    ("pwd", Anchor::Keyword, 0),
    ("PWD", Anchor::Keyword, 0),
    ("key", Anchor::Keyword, 0),
    ("Key", Anchor::Keyword, 0),
    ("KEY", Anchor::Keyword, 0),
    ("uth", Anchor::Keyword, 0),
    ("UTH", Anchor::Keyword, 0),
    ("pass", Anchor::Keyword, 1),
    ("Pass", Anchor::Keyword, 1),
    ("PASS", Anchor::Keyword, 1),
    ("ecret", Anchor::Keyword, 1),
    ("ECRET", Anchor::Keyword, 1),
    ("oken", Anchor::Keyword, 1),
    ("OKEN", Anchor::Keyword, 1),
    ("earer", Anchor::Bearer, 1),
    ("EARER", Anchor::Bearer, 1),
    ("AKIA", Anchor::Aws, 1),
    ("ASIA", Anchor::Aws, 1),
    ("AGPA", Anchor::Aws, 1),
    ("AIDA", Anchor::Aws, 1),
    ("AROA", Anchor::Aws, 1),
    ("AIPA", Anchor::Aws, 1),
    ("ANPA", Anchor::Aws, 1),
    ("ANVA", Anchor::Aws, 1),
    ("ASCA", Anchor::Aws, 1),
    ("AIza", Anchor::Google, 1),
    ("-----BEGIN", Anchor::Pem, 1),
    ("hooks.slack.com", Anchor::SlackHook, 1),
    ("npm_", Anchor::Npm, 1),
    ("xapp-", Anchor::SlackApp, 1),
    ("whsec_", Anchor::Stripe, 1),
    ("ghp_", Anchor::GithubClassic, 1),
    ("gho_", Anchor::GithubClassic, 1),
    ("ghu_", Anchor::GithubClassic, 1),
    ("ghs_", Anchor::GithubClassic, 1),
    ("ghr_", Anchor::GithubClassic, 1),
    ("github_pat_", Anchor::GithubPat, 1),
    ("glpat-", Anchor::Gitlab, 1),
    ("glptt-", Anchor::Gitlab, 1),
    ("gldt-", Anchor::Gitlab, 1),
    ("glrt-", Anchor::Gitlab, 1),
    ("k_live_", Anchor::Stripe, 1),
    ("k_test_", Anchor::Stripe, 1),
    ("mysql", Anchor::Mysql, 1),
    ("mariadb", Anchor::Mysql, 1),
    (" -u ", Anchor::UserFlag, 1),
    // The other GitLab token prefixes (GitLab's "Token prefixes" documentation): OAuth
    // application secret, CI/CD job, feed, incoming mail, Kubernetes agent, SCIM, feature-flags
    // client, and the legacy runner registration token. Without their `-` (the handler checks
    // it), which would overlap `-----BEGIN`.
    ("gloas", Anchor::GitlabBare, 1),
    ("glcbt", Anchor::GitlabBare, 1),
    ("glft", Anchor::GitlabBare, 1),
    ("glimt", Anchor::GitlabBare, 1),
    ("glagent", Anchor::GitlabBare, 1),
    ("glsoat", Anchor::GitlabBare, 1),
    ("glffct", Anchor::GitlabBare, 1),
    ("GR1348941", Anchor::Gitlab, 1),
    // `credential(s)` as a key name has no other keyword anchor in it.
    ("redential", Anchor::Keyword, 1),
    ("REDENTIAL", Anchor::Keyword, 1),
    ("--user", Anchor::UserFlag, 1),
    // Command-line tools that take a password as an argument (`cli`'s table), each found by
    // three bytes of its name (group 1 is full: Teddy takes at most 64 patterns a searcher);
    // the handler reads the whole word and checks it names the tool.
    ("s-c", Anchor::Tool(cli::Tool::Redis), 0),
    ("lda", Anchor::Tool(cli::Tool::Ldap), 0),
    ("smb", Anchor::Tool(cli::Tool::Smb), 0),
    ("pcc", Anchor::Tool(cli::Tool::Smb), 0),
    ("zip", Anchor::Tool(cli::Tool::Zip), 0),
    ("7z ", Anchor::Tool(cli::Tool::SevenZip), 0),
    ("7za", Anchor::Tool(cli::Tool::SevenZip), 0),
    ("qlc", Anchor::Tool(cli::Tool::Sql), 0),
    ("bcp", Anchor::Tool(cli::Tool::Sql), 0),
    ("ssl", Anchor::Tool(cli::Tool::Openssl), 0),
    ("h-k", Anchor::Tool(cli::Tool::SshKeygen), 0),
    ("rdp", Anchor::Tool(cli::Tool::FreeRdp), 0),
    ("AsP", Anchor::Tool(cli::Tool::SecureString), 0),
    (" -S", Anchor::Tool(cli::Tool::SudoStdin), 0),
    // SQL `IDENTIFIED BY` / `IDENTIFIED WITH <plugin> BY`, upper case: longer than three bytes,
    // but in group 0, whose fingerprint is their first three (`IED`; the lower-case `ied` is in
    // too many English words: `tried`, `applied`).
    ("IED BY", Anchor::Tool(cli::Tool::Identified), 0),
    ("IED WITH", Anchor::Tool(cli::Tool::Identified), 0),
    // The same in lower case (SQL keywords are case-insensitive; scripts write `identified by`):
    // fingerprinted by `ifi`, which `modified`, `notified`, `specific` share, so a candidate is
    // verified on the whole `ified by ` / `ified with ` (`ied` alone is in `tried`, `applied`).
    ("ified by ", Anchor::Tool(cli::Tool::Identified), 0),
    ("ified with ", Anchor::Tool(cli::Tool::Identified), 0),
    // Sybase / SQL Server `isql`, `osql`, FreeTDS `tsql` (`-P PASSWORD`), RAR's `rar`/`unrar`
    // (`-pPASSWORD`, `-hpPASSWORD`: `rar ` with its space, so `library` is verified away), and
    // `rdesktop` (`-p PASSWORD`) by the `skt` of its name.
    ("isq", Anchor::Tool(cli::Tool::Sql), 0),
    ("osq", Anchor::Tool(cli::Tool::Sql), 0),
    ("tsq", Anchor::Tool(cli::Tool::Sql), 0),
    ("rar ", Anchor::Tool(cli::Tool::Rar), 0),
    ("skt", Anchor::Tool(cli::Tool::Rdesktop), 0),
    // PostgreSQL's password file, named `.pgpass` (`cli::pgpass` reads its lines).
    ("pgp", Anchor::Tool(cli::Tool::Pgpass), 0),
];

/// The group of a vendor anchor: 3 bytes join group 0, longer ones group 1.
fn vendor_group(anchor: &str) -> usize {
    usize::from(anchor.len() > 3)
}

const GROUPS: usize = 2;

/// A group's searcher: Teddy (SIMD, exact) where the CPU has it, else an Aho-Corasick DFA
/// (wasm32, or a CPU without SSSE3).
#[derive(Debug)]
enum Searcher {
    Packed(aho_corasick::packed::Searcher),
    Dfa(AhoCorasick),
}

/// One searcher per group, with the anchor kind of each of its pattern ids.
type Groups = Vec<(Searcher, Vec<Anchor>)>;

/// The anchor searchers.
#[derive(Debug)]
struct Automata {
    groups: Groups,
    /// Where a group has no packed searcher (wasm32, or a CPU without SSSE3), one
    /// overlapping-match DFA over every group's patterns, so the text is walked once instead of
    /// once per group (`one_pass`). Pattern `i` is `(group, index in the group, kind)`, in the
    /// table order (a packed group's kinds in `groups` follow its own pattern order).
    all: Option<(AhoCorasick, Vec<OnePassId>)>,
}

fn automata() -> &'static Automata {
    static AC: OnceLock<Automata> = OnceLock::new();
    AC.get_or_init(|| {
        let groups = group_searchers();
        let all = groups
            .iter()
            .any(|(s, _)| matches!(s, Searcher::Dfa(_)))
            .then(all_groups)
            .flatten();
        Automata { groups, all }
    })
}

/// Every group's patterns, in group order and priority order within a group.
fn group_patterns(g: usize) -> (Vec<&'static str>, Vec<Anchor>) {
    let vendors = vendor::VENDORS
        .iter()
        .enumerate()
        .filter_map(move |(i, v)| {
            let i = u8::try_from(i).ok()?;
            (v.in_automata() && vendor_group(v.anchor) == g)
                .then_some((v.anchor, Anchor::Vendor(i)))
        });
    ANCHORS
        .iter()
        .filter(|a| a.2 == g)
        .map(|a| (a.0, a.1))
        .chain(vendors)
        .unzip()
}

/// A one-pass pattern: its group, its index in the group (table order) and its kind.
type OnePassId = (usize, usize, Anchor);
/// A one-pass match: start, end, group, index in the group, kind.
type OnePassMatch = (usize, usize, usize, usize, Anchor);

fn all_groups() -> Option<(AhoCorasick, Vec<OnePassId>)> {
    let mut pats = Vec::new();
    let mut ids = Vec::new();
    for g in 0..GROUPS {
        let (p, kinds) = group_patterns(g);
        ids.extend(kinds.into_iter().enumerate().map(|(i, k)| (g, i, k)));
        pats.extend(p);
    }
    let ac = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&pats)
        .ok()?;
    Some((ac, ids))
}

/// Each group's leftmost-first matches, from one overlapping search: every match of every
/// pattern, sorted by start, then group, then priority within the group; a group takes a match
/// when it starts at or after the end of the group's previous one. That is the leftmost-first
/// rule (the leftmost start wins, and at one start the pattern listed first), so the result is
/// what the per-group searchers find, in the order the per-group merge handles them (by start,
/// then group). `(start, end, group, index in the group, anchor kind)`.
///
/// `None` when the text holds more anchor matches than [`one_pass_cap`] (text made of anchors,
/// `keykeykey...`): the caller then runs the per-group searchers, which need no buffer, so memory
/// stays bounded by a few bytes per text byte whatever the input.
fn one_pass(ac: &AhoCorasick, ids: &[OnePassId], text: &[u8]) -> Option<Vec<OnePassMatch>> {
    let cap = one_pass_cap(text.len());
    let mut all: Vec<OnePassMatch> = Vec::new();
    for m in ac.find_overlapping_iter(text) {
        if all.len() == cap {
            return None;
        }
        if let Some(&(g, i, k)) = ids.get(m.pattern().as_usize()) {
            all.push((m.start(), m.end(), g, i, k));
        }
    }
    all.sort_unstable_by_key(|&(s, _, g, i, _)| (s, g, i));
    let mut end = [0usize; GROUPS];
    all.retain(|&(s, e, g, _, _)| match end.get_mut(g) {
        Some(last) if s >= *last => {
            *last = e;
            true
        }
        _ => false,
    });
    Some(all)
}

/// The most anchor matches [`one_pass`] buffers for a text of `len` bytes: 5 bytes of buffer per
/// text byte at most (40-byte entries, one per 8 text bytes). Prose and code have far fewer (the
/// bench records: one per ~540 bytes, one per 46 in the densest record).
fn one_pass_cap(len: usize) -> usize {
    1024 + len / 8
}

fn group_searchers() -> Groups {
    (0..GROUPS)
        .filter_map(|g| {
            let (pats, kinds) = group_patterns(g);
            // Group 1's packed searcher takes its patterns in the order that lays out
            // `buckets::PLAN`. No pattern of a group is a prefix of another
            // (`no_anchor_prefixes_another`), so the order does not change which pattern a
            // leftmost-first match reports. The DFA keeps the table order.
            let laid = buckets::order(&pats, buckets::plan_of(g));
            let packed = aho_corasick::packed::Config::new()
                .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                // Slim (8 buckets, 32 bytes a step) past 32 patterns too, where the builder
                // would pick fat Teddy (16 buckets, 16 bytes a step); measured in
                // `docs/decisions/0008-teddy-bucket-plan.md`. The option is `doc(hidden)` in
                // aho-corasick 1.1 (pinned by Cargo.lock); if it went away, the build would fail
                // rather than slow down, and `searcher_buckets_follow_the_plan` checks that the
                // searcher built is slim.
                .only_teddy_fat(Some(false))
                .builder()
                .extend(laid.iter().filter_map(|&i| pats.get(i)))
                .build();
            Some(match packed {
                Some(p) => (
                    Searcher::Packed(p),
                    laid.iter().filter_map(|&i| kinds.get(i).copied()).collect(),
                ),
                None => (
                    Searcher::Dfa(
                        AhoCorasick::builder()
                            .match_kind(MatchKind::LeftmostFirst)
                            .kind(Some(AhoCorasickKind::DFA))
                            .build(&pats)
                            .ok()?,
                    ),
                    kinds,
                ),
            })
        })
        .collect()
}

enum Iter<'a, 'h> {
    Packed(aho_corasick::packed::FindIter<'a, 'h>),
    Dfa(aho_corasick::FindIter<'a, 'h>),
}

impl Iterator for Iter<'_, '_> {
    type Item = aho_corasick::Match;

    fn next(&mut self) -> Option<aho_corasick::Match> {
        match self {
            Iter::Packed(it) => it.next(),
            Iter::Dfa(it) => it.next(),
        }
    }
}

/// One group's matches, with the next one peeked.
struct Stream<'a, 'h> {
    it: Iter<'a, 'h>,
    kinds: &'a [Anchor],
    next: Option<aho_corasick::Match>,
}

/// Scan state shared by the anchor handlers.
struct Ctx<'a> {
    text: &'a [u8],
    /// (type, start, end, confidence, specific): a specific finding hides generic ones inside it.
    found: Vec<(EntityType, usize, usize, f64, bool)>,
    /// Keyword anchors before this offset were already covered by a processed key or value.
    key_skip: usize,
    pem: structured::PemCache,
    memo: Memos,
    /// Whether the text holds a Kubernetes `kind: Secret` manifest (searched once, on demand).
    k8s_secret: Option<bool>,
}

/// Per-detector memos (see `memo`): each is queried by one detector, left to right.
#[derive(Debug, Default)]
struct Memos {
    /// Bare keyed values, one per value charset (see `keyed::Bare`).
    value_run: [memo::RunMemo; 4],
    api_digit: memo::NextHit,
    api_lower: memo::NextHit,
    api_upper: memo::NextHit,
    api_weak: memo::WeakMemo,
    api_wordy: memo::WordyMemo,
    slack_run: memo::RunMemo,
    slack_dashes: memo::NextHit,
    slack_weak: memo::WeakMemo,
    gitlab_stop: memo::NextHit,
    gitlab_dot: memo::NextHit,
    gitlab_weak: memo::WeakMemo,
    gitlab_wordy: memo::WordyMemo,
    github_pat_run: memo::RunMemo,
    /// `keyed::mysql`: the line is scanned up to here.
    mysql_to: usize,
    /// `cli::tool`: a tool's command was scanned up to here (its other anchors are skipped).
    cli_to: usize,
    /// `cli::here_string`: the next `<<<`.
    here: memo::NextHit,
    /// `cli::pgpass`: the lines after a `.pgpass` were read up to here.
    pgpass_to: usize,
    /// Vendor token bodies, one per body charset (see `vendor::Set`).
    vendor_run: [memo::RunMemo; vendor::SETS],
    /// `vendor`: a base64-JSON candidate was decoded up to here.
    vendor_json_end: usize,
    /// `structured::url_signature`: the URL walked to its end, its first `?`, and the end of the
    /// last query read.
    url_run: memo::RunMemo,
    url_query: memo::NextHit,
    url_read_to: usize,
}

impl<'a> Ctx<'a> {
    fn new(text: &'a [u8]) -> Ctx<'a> {
        Ctx {
            text,
            found: Vec::new(),
            key_skip: 0,
            pem: structured::PemCache::default(),
            memo: Memos::default(),
            k8s_secret: None,
        }
    }

    fn in_k8s_secret(&mut self) -> bool {
        let text = self.text;
        *self
            .k8s_secret
            .get_or_insert_with(|| memchr::memmem::find(text, b"kind: Secret").is_some())
    }

    fn push(&mut self, t: EntityType, start: usize, end: usize, confidence: f64) {
        if start < end && end <= self.text.len() {
            self.found.push((t, start, end, confidence, !is_generic(t)));
        }
    }

    /// A vendor token reported under a generic type (`api_key`): it still hides generic
    /// findings inside it (`password: pscale_pw_...` is one vendor token, not a password too).
    fn push_vendor(&mut self, t: EntityType, start: usize, end: usize, confidence: f64) {
        if start < end && end <= self.text.len() {
            self.found.push((t, start, end, confidence, true));
        }
    }
}

/// Append every secret finding in `text` (non-overlapping within one type).
pub fn find(text: &[u8], out: &mut Vec<Finding>) {
    let masks = super::blocks::masks(text);
    let runs = super::decode::long_runs(text, &masks);
    find_in(text, &masks, &runs, out);
}

/// [`find`] with the text's block masks and long runs already computed (`masks` must be
/// `blocks::masks(text)`, `runs` `decode::long_runs(text, masks)`): the vendor rows of
/// `vendor::run_scan` are looked up there.
pub(crate) fn find_in(
    text: &[u8],
    masks: &[super::blocks::Block],
    runs: &[(usize, usize)],
    out: &mut Vec<Finding>,
) {
    let ac = automata();
    let mut cx = Ctx::new(text);
    match ac
        .all
        .as_ref()
        .and_then(|(all, ids)| one_pass(all, ids, text))
    {
        Some(matches) => {
            for (s, e, _, _, kind) in matches {
                handle(&mut cx, kind, s, e);
            }
        }
        None => merge(&ac.groups, &mut cx),
    }
    vendor::azure_scan(&mut cx);
    vendor::run_scan(&mut cx, masks, runs);
    finish(cx.found, out);
}

/// Every group searcher's anchors in `cx.text`, handled in offset order across groups (a k-way
/// merge; at one offset the lower group first).
fn merge(groups: &Groups, cx: &mut Ctx<'_>) {
    let text = cx.text;
    let stream = |g: usize| {
        groups.get(g).map(|(searcher, kinds)| {
            let mut it = match searcher {
                Searcher::Packed(p) => Iter::Packed(p.find_iter(text)),
                Searcher::Dfa(ac) => Iter::Dfa(ac.find_iter(text)),
            };
            let next = it.next();
            Stream {
                it,
                kinds: kinds.as_slice(),
                next,
            }
        })
    };
    // No allocation per call: one stream per group, on the stack.
    let mut streams: [Option<Stream<'_, '_>>; GROUPS] = [stream(0), stream(1)];
    loop {
        let mut best: Option<(usize, usize)> = None; // (start, stream)
        for (i, st) in streams.iter().enumerate() {
            if let Some(m) = st.as_ref().and_then(|st| st.next.as_ref())
                && best.is_none_or(|(b, _)| m.start() < b)
            {
                best = Some((m.start(), i));
            }
        }
        let Some((_, i)) = best else {
            break;
        };
        let Some(Some(st)) = streams.get_mut(i) else {
            break;
        };
        let Some(m) = st.next.take() else {
            break;
        };
        st.next = st.it.next();
        let Some(&kind) = st.kinds.get(m.pattern().as_usize()) else {
            continue;
        };
        handle(cx, kind, m.start(), m.end());
    }
}

/// Validate the anchor `kind` found at `text[s..e]`.
fn handle(cx: &mut Ctx<'_>, kind: Anchor, s: usize, e: usize) {
    match kind {
        Anchor::Aws => prefixed::aws_access_key(cx, s),
        Anchor::GithubClassic => prefixed::github_classic(cx, s, e),
        Anchor::GithubPat => prefixed::github_pat(cx, s, e),
        Anchor::Gitlab => prefixed::gitlab(cx, s, e),
        Anchor::GitlabBare => {
            if at(cx.text, e) == b'-' {
                prefixed::gitlab(cx, s, e + 1);
            }
        }
        Anchor::SlackXox => prefixed::slack_xox(cx, s),
        Anchor::SlackApp => prefixed::slack_app(cx, s, e),
        Anchor::SlackHook => structured::slack_webhook(cx, s, e),
        Anchor::Stripe => prefixed::stripe(cx, s, e),
        Anchor::Sk => prefixed::sk(cx, s, e),
        Anchor::Google => prefixed::google(cx, s, e),
        Anchor::Npm => prefixed::npm(cx, s, e),
        Anchor::Sendgrid => prefixed::sendgrid(cx, s, e),
        Anchor::Jwt => structured::jwt(cx, s),
        Anchor::Pem => structured::pem(cx, s, e),
        Anchor::Url => structured::url_credentials(cx, s),
        Anchor::Bearer => keyed::bearer(cx, s, e),
        Anchor::Keyword => keyed::keyword(cx, s, e),
        Anchor::Mysql => keyed::mysql(cx, e),
        Anchor::UserFlag => keyed::user_flag(cx, s, e),
        Anchor::Tool(t) => cli::tool(cx, t, s),
        Anchor::Vendor(i) => vendor::vendor(cx, usize::from(i), s, e),
    }
}

fn is_generic(t: EntityType) -> bool {
    matches!(
        t,
        EntityType::ApiKey
            | EntityType::PasswordAssignment
            | EntityType::BearerToken
            | EntityType::AwsSecretKey
    )
}

/// Drop same-type overlaps and generic findings contained in a specific one; append to `out`.
fn finish(mut found: Vec<(EntityType, usize, usize, f64, bool)>, out: &mut Vec<Finding>) {
    if found.is_empty() {
        return;
    }
    // By start; at one start the longest first, and a specific finding before a generic one.
    found.sort_by(|a, b| a.1.cmp(&b.1).then(b.2.cmp(&a.2)).then(b.4.cmp(&a.4)));
    // Furthest end of a kept specific (non-generic) finding, and per type the last kept end.
    let mut specific_end = 0usize;
    let mut last_end = [0usize; 64];
    for (t, start, end, conf, specific) in found {
        let generic = !specific;
        if generic && end <= specific_end {
            continue;
        }
        if let Some(le) = last_end.get_mut(t as usize) {
            if start < *le {
                continue;
            }
            *le = end;
        }
        if !generic {
            specific_end = specific_end.max(end);
        }
        out.push(Finding::new(t, start, end, conf));
    }
}

// ---------------------------------------------------------------------------------------------
// Shared byte helpers.

/// The byte at `i`, or 0 past the end (0 is treated as a terminator everywhere).
#[inline]
fn at(text: &[u8], i: usize) -> u8 {
    text.get(i).copied().unwrap_or(0)
}

/// The byte before `i`, or 0 at the start.
#[inline]
fn before(text: &[u8], i: usize) -> u8 {
    i.checked_sub(1).map_or(0, |j| at(text, j))
}

/// End of the run of bytes satisfying `pred` starting at `from`, at most `max` long.
#[inline]
fn run(text: &[u8], from: usize, max: usize, pred: impl Fn(u8) -> bool) -> usize {
    text.get(from..).map_or(from, |t| {
        from + t.iter().take(max).take_while(|&&b| pred(b)).count()
    })
}

#[inline]
fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// base64url alphabet `[A-Za-z0-9_-]`.
#[inline]
fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Standard base64 alphabet plus padding `[A-Za-z0-9+/=]`.
#[inline]
fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

fn starts_with_at(text: &[u8], i: usize, lit: &[u8]) -> bool {
    text.get(i..).is_some_and(|t| t.starts_with(lit))
}

/// Substring test for short needles in short values (no searcher set-up cost).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Shannon entropy in bits per byte. Sums once per distinct byte (no pass over 256 slots).
fn entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0u16; 256];
    for &b in v {
        if let Some(c) = counts.get_mut(usize::from(b)) {
            *c = c.saturating_add(1);
        }
    }
    let n = v.len() as f64;
    // Most bytes of a value occur once or twice: compute each count's term once (the same
    // expression on the same count gives the same bits, and the sum keeps its order).
    let mut terms = [f64::NAN; 8];
    let mut h = 0.0;
    for &b in v {
        if let Some(c) = counts.get_mut(usize::from(b))
            && *c > 0
        {
            let term = |c: u16| {
                let p = f64::from(c) / n;
                p * p.log2()
            };
            let t = match terms.get_mut(usize::from(*c)) {
                Some(slot) => {
                    if slot.is_nan() {
                        *slot = term(*c);
                    }
                    *slot
                }
                None => term(*c),
            };
            h -= t;
            *c = 0;
        }
    }
    h
}

/// Number of distinct bytes (ASCII exactly; all non-ASCII bytes count as one).
fn distinct_bytes(v: &[u8]) -> u32 {
    let mut seen = 0u128;
    let mut high = false;
    for &b in v {
        if b < 128 {
            seen |= 1u128 << b;
        } else {
            high = true;
        }
    }
    seen.count_ones() + u32::from(high)
}

/// A token body that is a placeholder rather than a random secret: `xxxx`, a run of six
/// identical bytes, `...`, or too few distinct bytes.
fn weak_body(body: &[u8]) -> bool {
    if body.is_empty() {
        return true;
    }
    let mut run_len = 0usize;
    let mut x_run = 0usize;
    let mut dots = 0usize;
    let mut prev = 0u8;
    for &b in body {
        run_len = if b == prev { run_len + 1 } else { 1 };
        x_run = if b == b'x' || b == b'X' { x_run + 1 } else { 0 };
        dots = if b == b'.' { dots + 1 } else { 0 };
        if run_len >= 6 || x_run >= 4 || dots >= 3 {
            return true;
        }
        prev = b;
    }
    (distinct_bytes(body) as usize) < 6.min(body.len().div_ceil(2))
}

/// True if every segment of `v` (split on `_ - . / + = :`) reads like a word, a number or a
/// word with a short number (`my_token_name_here`, `prod-api-key-2024`, `/usr/local/bin`):
/// an identifier or path, not a random secret.
fn wordy(v: &[u8]) -> bool {
    v.split(|&b| memo::is_word_sep(b))
        .filter(|s| !s.is_empty())
        .all(segment_wordy)
}

fn segment_wordy(seg: &[u8]) -> bool {
    let letters = seg.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = seg.iter().filter(|b| b.is_ascii_digit()).count();
    if letters + digits != seg.len() {
        return false;
    }
    if letters == 0 {
        return true;
    }
    let upper = seg.iter().filter(|b| b.is_ascii_uppercase()).count();
    let case_wordy = upper == 0 || upper == letters || upper <= (letters * 3 / 10).max(1);
    if digits == 0 {
        return case_wordy;
    }
    // Letters and digits: a word of 3+ letters with a short number and at most one
    // letter/digit transition (`file123`, `sha256`, `utf8`, `2024june`).
    let transitions = seg
        .windows(2)
        .filter(|w| match w {
            [a, b] => a.is_ascii_digit() != b.is_ascii_digit(),
            _ => false,
        })
        .count();
    case_wordy && transitions <= 1 && digits <= 4 && letters >= 3
}

/// A high-entropy, random-looking value (generic `api_key`, `bearer_token`).
fn random_enough(v: &[u8]) -> bool {
    if v.len() < 16 {
        return false;
    }
    let digit = v.iter().any(u8::is_ascii_digit);
    let lower = v.iter().any(u8::is_ascii_lowercase);
    let upper = v.iter().any(u8::is_ascii_uppercase);
    ((digit && (lower || upper)) || (lower && upper))
        && !wordy(v)
        && !weak_body(v)
        && entropy(v) >= 3.0
}

fn eq_ic(a: &[u8], b: &str) -> bool {
    a.eq_ignore_ascii_case(b.as_bytes())
}

const PLACEHOLDER_WORDS: &[&str] = &[
    "null",
    "none",
    "nil",
    "undefined",
    "true",
    "false",
    "empty",
    "redacted",
    "hidden",
    "masked",
    "removed",
    "omitted",
    "secret",
    "password",
    "passwd",
    "pass",
    "pwd",
    "token",
    "apikey",
    "api_key",
    "api-key",
    "key",
    "string",
    "str",
    "value",
    "required",
    "optional",
    "placeholder",
    "todo",
    "tbd",
    "fixme",
    "n/a",
    "\"\"",
    "''",
];

/// Prefixes of values that point at a secret store instead of holding the secret.
const SECRET_REFERENCES: &[&str] = &[
    "ENC[",
    "vault:",
    "ref+",
    "op://",
    "arn:aws:secretsmanager:",
    "arn:aws:ssm:",
    "@Microsoft.KeyVault(",
    "secretsmanager:",
    "sm://",
    "gcp:secretmanager:",
    "akv://",
    // The AWS CLI reads a parameter's value from a file (`--value file://pw.txt`).
    "file://",
    "fileb://",
];

/// A value that stands for a secret rather than being one: `***`, `<password>`, `${VAR}`,
/// `$VAR`, `%s`, `{{...}}`, `null`, `xxxx`, `...`, `your_password_here`, ...
fn is_placeholder(v: &[u8]) -> bool {
    let v = v.trim_ascii();
    let (Some(&first), Some(&last)) = (v.first(), v.last()) else {
        return true;
    };
    match first {
        b'$' => {
            let rest = v.get(1..).unwrap_or_default();
            if rest.first().is_some_and(|b| matches!(b, b'{' | b'(')) {
                return true;
            }
            let ident = rest.iter().all(|&b| is_alnum(b) || b == b'_');
            let lower = rest.iter().all(|b| !b.is_ascii_uppercase());
            let upper = rest.iter().all(|b| !b.is_ascii_lowercase());
            if ident && (lower || upper) {
                return true;
            }
        }
        b'%' | b'<' => return true,
        // A YAML tag, the value cut at the space after it: CloudFormation's `!Ref Param`,
        // `!Sub '...'`, Home Assistant's `!secret name`, Ansible's `!vault |`.
        b'!' if v.len() > 1
            && v.iter()
                .skip(1)
                .all(|&b| b.is_ascii_alphabetic() || b == b'_') =>
        {
            return true;
        }
        b'{' if last == b'}' => return true,
        // `[REDACTED]`, and a bare value cut at `]` (`[hidden`).
        b'[' => return true,
        // Ruby / Spring `#{...}`.
        b'#' if v.get(1) == Some(&b'{') => return true,
        _ => {}
    }
    // A reference to where the secret lives: SOPS, Vault, 1Password, AWS / Azure secret stores.
    // Gated on the first byte (`secret_reference_first_bytes` checks the gate covers the list).
    if matches!(
        first.to_ascii_lowercase(),
        b'e' | b'v' | b'r' | b'o' | b'a' | b'@' | b's' | b'g' | b'f'
    ) && SECRET_REFERENCES.iter().any(|p| {
        v.len() >= p.len()
            && v.get(..p.len())
                .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
    }) {
        return true;
    }
    // One pass for the byte tests below (this runs for every accepted value).
    let (mut brace, mut star, mut dot, mut e2) = (false, false, false, false);
    let mut all_masked = true;
    for &b in v {
        match b {
            b'{' => brace = true,
            b'*' => star = true,
            b'.' => dot = true,
            0xE2 => e2 = true,
            _ => {}
        }
        all_masked &= matches!(b, b'*' | b'x' | b'X' | b'.' | b'#' | b'?' | b'-' | b'_');
    }
    if all_masked {
        return true;
    }
    if brace && (contains(v, b"{{") || contains(v, b"${")) {
        return true;
    }
    if (star && contains(v, b"***")) || (dot && contains(v, b"...")) {
        return true;
    }
    if e2 && (contains(v, "\u{2026}".as_bytes()) || contains(v, "\u{2022}\u{2022}".as_bytes())) {
        return true;
    }
    if v.len() <= 11 && PLACEHOLDER_WORDS.iter().any(|w| eq_ic(v, w)) {
        return true;
    }
    placeholder_words(v)
}

/// The word-level placeholder tests (`xxxx`, `your_password`, `INSERT_KEY_HERE`, `replace-me`),
/// in one case-insensitive pass over the value.
fn placeholder_words(v: &[u8]) -> bool {
    if v.len() > 64 {
        // Placeholders are short; a long value only needs the `xxxx` test.
        return v
            .windows(4)
            .any(|w| w.iter().all(|b| b.eq_ignore_ascii_case(&b'x')));
    }
    let (mut xxxx, mut your, mut here, mut replace, mut me) = (false, false, false, false, false);
    let (mut secretish, mut verb, mut sample) = (false, false, false);
    let mut x_run = 0usize;
    for (i, &c) in v.iter().enumerate() {
        let c = c.to_ascii_lowercase();
        x_run = if c == b'x' { x_run + 1 } else { 0 };
        xxxx |= x_run >= 4;
        let rest = v.get(i..).unwrap_or_default();
        let at = |w: &[u8]| {
            rest.len() >= w.len()
                && rest
                    .iter()
                    .zip(w)
                    .all(|(a, b)| a.to_ascii_lowercase() == *b)
        };
        match c {
            b'y' => your |= at(b"your"),
            b'h' => here |= at(b"here"),
            b'r' => replace |= at(b"replace"),
            b'm' => me |= at(b"me"),
            b'p' => {
                secretish |= at(b"pass") || at(b"pwd");
                verb |= at(b"put");
            }
            b'k' => secretish |= at(b"key"),
            b't' => secretish |= at(b"token"),
            b's' => {
                secretish |= at(b"secret");
                sample |= at(b"sample");
            }
            b'c' => secretish |= at(b"cred"),
            b'i' => verb |= at(b"insert"),
            b'e' => {
                verb |= at(b"enter");
                sample |= at(b"example");
            }
            b'd' => sample |= at(b"dummy"),
            _ => {}
        }
    }
    xxxx || sample
        || (your && (secretish || here))
        || (here && (secretish || verb))
        || (replace && me)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one-pass anchor search (hosts without the packed searcher: wasm32) finds exactly
    /// the per-group leftmost-first matches, in the per-group merge's order. Checked here against
    /// per-group DFAs, natively, on the bench sample and on anchors that overlap across groups.
    #[test]
    fn one_pass_equals_the_per_group_searchers() {
        let (all, ids) = all_groups().expect("the one-pass automaton builds");
        let per_group: Vec<AhoCorasick> = (0..GROUPS)
            .map(|g| {
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .kind(Some(AhoCorasickKind::DFA))
                    .build(group_patterns(g).0)
                    .unwrap()
            })
            .collect();
        let sample = include_str!("../../../tests/corpus/bench/sample.txt");
        let texts = [
            sample,
            "sk_live_ghp_key ghp_token=github_pat_x passkeyPASSWORD Bearer earer xoxb-xapp-1",
            "AKIAASIA -----BEGIN mysql -u root --user=a k_live_k_test_ whsec_ npm_glpat-",
            "",
        ];
        for text in texts {
            let mut want: Vec<(usize, usize, usize, usize)> = Vec::new();
            for (g, ac) in per_group.iter().enumerate() {
                want.extend(
                    ac.find_iter(text)
                        .map(|m| (m.start(), m.end(), g, m.pattern().as_usize())),
                );
            }
            want.sort_by_key(|&(s, _, g, _)| (s, g));
            let got = one_pass(&all, &ids, text.as_bytes())
                .map(|v| v.into_iter().map(|(s, e, g, i, _)| (s, e, g, i)).collect());
            assert!(want.len() > 3 || text.len() < 200, "the sample has anchors");
            assert_eq!(got, Some(want), "text starting {:?}", text.get(..40));
        }
        // Text made of anchors: over the buffer cap, so the per-group searchers run instead.
        let hostile = "keyPASSoken".repeat(4096);
        assert!(one_pass(&all, &ids, hostile.as_bytes()).is_none());
        let sample_matches = all.find_overlapping_iter(sample).count();
        assert!(
            sample_matches * 4 < one_pass_cap(sample.len()),
            "{sample_matches}"
        );
    }

    /// The one-pass search and the group searchers report the same anchors with the same kinds:
    /// a packed group takes its patterns in its own order (`buckets::order`) and keeps its kinds
    /// in that order, while the one-pass automaton keeps the table order and its own kinds.
    #[test]
    fn one_pass_and_group_searchers_agree_on_kinds() {
        let ac = automata();
        let (all, ids) = all_groups().expect("the one-pass automaton builds");
        let sample = include_str!("../../../tests/corpus/bench/sample.txt");
        let every: String = (0..GROUPS)
            .flat_map(|g| group_patterns(g).0)
            .collect::<Vec<_>>()
            .join(" ");
        for text in [sample, every.as_str()] {
            let mut merged = Vec::new();
            for (g, (searcher, kinds)) in ac.groups.iter().enumerate() {
                let it = match searcher {
                    Searcher::Packed(p) => Iter::Packed(p.find_iter(text)),
                    Searcher::Dfa(d) => Iter::Dfa(d.find_iter(text)),
                };
                merged.extend(it.map(|m| {
                    let kind = kinds.get(m.pattern().as_usize()).copied();
                    (m.start(), g, m.end(), kind)
                }));
            }
            merged.sort_by_key(|&(s, g, _, _)| (s, g));
            let one: Vec<_> = one_pass(&all, &ids, text.as_bytes())
                .expect("under the cap")
                .into_iter()
                .map(|(s, e, g, _, k)| (s, g, e, Some(k)))
                .collect();
            assert!(one.len() > 20, "{}", one.len());
            assert_eq!(one, merged);
        }
    }

    fn scan(text: &str) -> Vec<(String, String)> {
        let mut out = Vec::new();
        find(text.as_bytes(), &mut out);
        out.sort_by_key(|f| f.start);
        out.into_iter()
            .map(|f| {
                (
                    f.entity_type.to_string(),
                    text.get(f.start..f.end).unwrap_or("<bad>").to_string(),
                )
            })
            .collect()
    }

    fn one(text: &str, t: &str, v: &str) {
        let got = scan(text);
        assert!(
            got.iter().any(|(gt, gv)| gt == t && gv == v),
            "expected {t} {v:?} in {text:?}, got {got:?}"
        );
    }

    fn none_of(text: &str, t: &str) {
        let got = scan(text);
        assert!(
            !got.iter().any(|(gt, _)| gt == t),
            "unexpected {t} in {text:?}: {got:?}"
        );
    }

    fn nothing(text: &str) {
        let got = scan(text);
        assert!(got.is_empty(), "unexpected findings in {text:?}: {got:?}");
    }

    /// Every group fits a packed (Teddy) searcher: more than 64 patterns would silently fall
    /// back to the DFA, several times slower.
    #[test]
    fn groups_fit_packed_searchers() {
        for g in 0..GROUPS {
            let n = group_patterns(g).0.len();
            assert!((1..=64).contains(&n), "group {g}: {n} patterns");
        }
    }

    /// `is_placeholder` tries `SECRET_REFERENCES` only for values starting with one of these.
    #[test]
    fn secret_reference_first_bytes() {
        for r in SECRET_REFERENCES {
            let first = r.as_bytes().first().map(u8::to_ascii_lowercase);
            assert!(
                matches!(
                    first,
                    Some(b'e' | b'v' | b'r' | b'o' | b'a' | b'@' | b's' | b'g' | b'f')
                ),
                "{r}"
            );
        }
    }

    /// No anchor of a group is a prefix of another, so no leftmost-first match depends on which of
    /// two patterns comes first: group 1's searcher takes its patterns in the bucket plan's
    /// order (`buckets::order`), not the table's.
    #[test]
    fn no_anchor_prefixes_another() {
        for g in 0..GROUPS {
            let (pats, _) = group_patterns(g);
            for a in &pats {
                for b in pats.iter().filter(|b| *b != a) {
                    assert!(!b.starts_with(a), "group {g}: {a:?} is a prefix of {b:?}");
                }
            }
        }
    }

    /// The overlap of `a` and `b` in the longest text where both occur and share bytes (`0` if
    /// they cannot share one).
    fn overlap(a: &str, b: &str) -> usize {
        if a.contains(b) || b.contains(a) {
            return a.len().min(b.len());
        }
        (1..a.len().min(b.len()))
            .filter(|&k| a.get(a.len() - k..) == b.get(..k) || b.get(b.len() - k..) == a.get(..k))
            .max()
            .unwrap_or(0)
    }

    /// One searcher reports only the first of two overlapping matches. Within a group, no anchor
    /// contains another, and two anchors share at most two bytes: both occur in one place only
    /// where one word is glued onto the next (`AGPASSWORD`, `-----BEGINglpat-`, `passha256~`),
    /// and there the first is the one reported, as it was when group 1's longer anchors were
    /// split over two searchers (`docs/benchmarks.md`, "Session 16", for the findings check).
    #[test]
    fn group_anchors_overlap_at_most_two_bytes() {
        for g in 0..GROUPS {
            let (pats, _) = group_patterns(g);
            for (i, a) in pats.iter().enumerate() {
                for b in pats.iter().skip(i + 1) {
                    assert!(overlap(a, b) <= 2, "group {g}: {a:?} and {b:?}");
                }
            }
        }
        assert_eq!(overlap("AGPA", "PASS"), 2);
        assert_eq!(overlap("ghp_", "oken"), 0);
        assert_eq!(overlap("key", "keys"), 3);
    }

    /// Group `g`'s patterns in the order its packed searcher takes them (`buckets::order`).
    fn laid_out(g: usize) -> Vec<&'static str> {
        let (pats, _) = group_patterns(g);
        buckets::order(&pats, buckets::plan_of(g))
            .iter()
            .filter_map(|&i| pats.get(i).copied())
            .collect()
    }

    /// Bucket `k` of group `g`'s plan, sorted.
    fn planned_bucket(g: usize, k: usize) -> Vec<&'static str> {
        let mut want: Vec<&str> = buckets::plan_of(g)
            .get(k)
            .map(|b| b.to_vec())
            .unwrap_or_default();
        want.sort_unstable();
        want
    }

    /// Each group's bucket plan names every pattern of the group once and nothing else, its
    /// layout makes exactly the planned buckets (by the builder's rule, `buckets::buckets_of`),
    /// and the layout, repeats included, fits a packed searcher.
    #[test]
    fn plans_cover_their_groups() {
        for g in 0..GROUPS {
            let (pats, kinds) = group_patterns(g);
            let planned: Vec<&str> = buckets::plan_of(g)
                .iter()
                .flat_map(|b| b.iter().copied())
                .collect();
            let mut a = planned.clone();
            let mut b = pats.clone();
            a.sort_unstable();
            b.sort_unstable();
            assert_eq!(a, b, "the plan and group {g} differ");
            let order = buckets::order(&pats, buckets::plan_of(g));
            assert!(order.len() <= 64, "group {g}: {} patterns", order.len());
            // Every pattern at least once; a repeat is an index into the table, so it keeps its
            // kind.
            let laid = laid_out(g);
            for p in &pats {
                assert!(laid.contains(p), "group {g}: {p:?} missing");
            }
            assert_eq!(order.len(), laid.len());
            assert_eq!(kinds.len(), pats.len());
            for (k, bucket) in buckets::buckets_of(&laid).iter().enumerate() {
                let mut got: Vec<&str> = bucket.iter().map(String::as_str).collect();
                got.sort_unstable();
                got.dedup();
                assert_eq!(got, planned_bucket(g, k), "group {g} bucket {k}");
            }
        }
    }

    /// Each built searcher is slim Teddy with the planned buckets, read from its `Debug` output
    /// (the only view aho-corasick gives of them): a change in the crate's bucket rule or variant
    /// choice fails here instead of making the scan slower (3x with the table order).
    #[test]
    fn searcher_buckets_follow_the_plan() {
        for g in 0..GROUPS {
            let Some((Searcher::Packed(p), _)) = automata().groups.get(g) else {
                panic!("group {g} has no packed searcher");
            };
            let debug = format!("{p:?}");
            if !debug.contains("Teddy") {
                eprintln!("no Teddy on this CPU: bucket plan not checked");
                return;
            }
            assert!(debug.contains("Slim"), "group {g} is not slim Teddy");
            let laid = laid_out(g);
            // Teddy's buckets (Rabin-Karp's, also printed, hold hashes).
            let at = debug
                .find("buckets: [[PatternID")
                .expect("Teddy's buckets in the Debug output");
            let tail = debug.get(at + "buckets: [".len()..).unwrap_or_default();
            let mut got: Vec<Vec<&str>> = Vec::new();
            for part in tail.split(']').take(8) {
                let ids = part
                    .split("PatternID(")
                    .skip(1)
                    .filter_map(|x| x.split(')').next()?.trim().parse::<usize>().ok());
                let mut names: Vec<&str> = ids.filter_map(|i| laid.get(i).copied()).collect();
                names.sort_unstable();
                names.dedup();
                got.push(names);
            }
            for (k, names) in got.iter().enumerate() {
                assert_eq!(*names, planned_bucket(g, k), "group {g} bucket {k}");
            }
        }
    }

    #[test]
    fn helpers() {
        assert!(wordy(b"my_token_name_here"));
        assert!(wordy(b"prod-api-key-2024"));
        assert!(wordy(b"/usr/local/bin/node"));
        assert!(!wordy(b"ABCD1234EFGH5678"));
        assert!(!wordy(b"Abc1234567890123456"));
        assert!(random_enough(b"ABCD1234EFGH5678"));
        assert!(!random_enough(b"aaaaaaaaaaaaaaaaaaaa"));
        assert!(weak_body(b"xxxxxxxxxxxxxxxxxxxx"));
        assert!(!weak_body(b"IOSFODNN7EXAMPLE"));
        assert!(is_placeholder(b"${DB_PASSWORD}"));
        assert!(is_placeholder(b"$DB_PASSWORD"));
        assert!(is_placeholder(b"<password>"));
        assert!(is_placeholder(b"YOUR_PASSWORD_HERE"));
        assert!(is_placeholder(b"****"));
        assert!(is_placeholder(b"%s"));
        assert!(is_placeholder(b"{{ db_pass }}"));
        assert!(!is_placeholder(b"changeme"));
        assert!(!is_placeholder(b"hunter2"));
        assert!((entropy(b"ABCD1234EFGH5678") - 4.0).abs() < 1e-9);
    }

    #[test]
    fn go_api_key_vector() {
        one(
            "api_key=ABCD1234EFGH5678 and 111-22-3333",
            "api_key",
            "ABCD1234EFGH5678",
        );
        one(
            "token: Abc1234567890123456",
            "api_key",
            "Abc1234567890123456",
        );
    }

    #[test]
    fn provider_tokens() {
        one(
            "key AKIAQWERTY23ZXCV45BN here",
            "aws_access_key",
            "AKIAQWERTY23ZXCV45BN",
        );
        none_of("XAKIAQWERTY23ZXCV45BN", "aws_access_key");
        // AWS's documentation example (issue 11).
        nothing("key AKIAIOSFODNN7EXAMPLE here");
        one(
            "ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU",
            "github_token",
            "ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU",
        );
        one(
            "x sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z end",
            "openai_key",
            "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z",
        );
        let ant = "sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Zy6Xw5Vu4Ts3Rq2Po1Nm0Lk-_AA";
        one(&format!("k={ant}"), "anthropic_key", ant);
        none_of(&format!("k={ant}"), "openai_key");
        nothing("a task-force and a desk-top");
    }

    #[test]
    fn keyed_values() {
        one("DB_PASSWORD=hunter2!", "password_assignment", "hunter2!");
        one(
            r#"{"password": "s3cr3t pw"}"#,
            "password_assignment",
            "s3cr3t pw",
        );
        one("--password=Tr0ub4dor", "password_assignment", "Tr0ub4dor");
        one(
            "mysql --password Tr0ub4dor -h db",
            "password_assignment",
            "Tr0ub4dor",
        );
        nothing("password=");
        nothing("password=${DB_PASSWORD}");
        nothing("password: ****");
        nothing("password = args.password");
        one(
            "aws_secret_access_key = Ryj9nde9syxoAwuKmhr7jmPY72T3AVbfzx06UVZy",
            "aws_secret_key",
            "Ryj9nde9syxoAwuKmhr7jmPY72T3AVbfzx06UVZy",
        );
        nothing("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
        nothing("my_token = my_token_name_here");
        nothing("commit=da39a3ee5e6b4b0d3255bfef95601890afd80709");
        one(
            "token=da39a3ee5e6b4b0d3255bfef95601890afd80709",
            "api_key",
            "da39a3ee5e6b4b0d3255bfef95601890afd80709",
        );
    }

    #[test]
    fn url_and_bearer() {
        one(
            "postgres://admin:S3cure!pw@db.internal:5432/app",
            "url_credentials",
            "admin:S3cure!pw",
        );
        nothing("git@github.com:org/repo.git");
        nothing("ssh://git@github.com/org/repo");
        one(
            "-H \"Authorization: Bearer abcDEF123456ghiJKL789\"",
            "bearer_token",
            "abcDEF123456ghiJKL789",
        );
    }

    #[test]
    fn jwt_and_pem() {
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        one(&format!("t {jwt} ."), "jwt", jwt);
        nothing("eyJub3QiOiJhIGp3dCJ9 only");
        let pem = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gunVTLw\n7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxKLxoS2tFc\n-----END RSA PRIVATE KEY-----";
        one(&format!("key:\n{pem}\n"), "private_key", pem);
        let json = r#""private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----\n""#;
        one(
            json,
            "private_key",
            r"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n-----END PRIVATE KEY-----",
        );
        one(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDx",
            "private_key",
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\nQyNTUxOQAAACDx",
        );
    }

    /// Synthetic mixed text: logs, JSON, code, chat, with a secret every ~40 lines.
    fn mixed_text(target: usize) -> Vec<u8> {
        const LINES: &[&str] = &[
            "2024-05-01T12:00:03.123Z INFO [http] GET /api/v1/users/12345 status=200 latency_ms=23 request_id=550e8400-e29b-41d4-a716-446655440000 ua=\"Mozilla/5.0 (X11; Linux x86_64)\"\n",
            "2024-05-01T12:00:04.001Z WARN [auth] token refresh failed for session 8f14e45f; retrying in 500ms (attempt 2/5)\n",
            "{\"id\": 48213, \"name\": \"Widget Pro\", \"tags\": [\"tools\", \"hardware\"], \"price\": 19.99, \"created_at\": \"2024-01-01T00:00:00Z\", \"key\": \"sku-48213\", \"metadata\": {\"token_count\": 1532, \"model\": \"gpt-4o\"}}\n",
            "    let config = Config::load(&path)?; for (key, value) in map.iter() { println!(\"{key} = {value}\"); }\n",
            "def get_user(user_id: int) -> User:\n    \"\"\"Fetch a user by id; raises KeyError if missing.\"\"\"\n    return db.session.query(User).filter_by(id=user_id).one()\n",
            "Hey, can you help me fix the deploy script? It keeps failing when it tries to pass the auth header to the API server, and the password reset flow is broken too.\n",
            "Sure! First check that the environment is loaded: run `source .env` and then `make deploy`. The secret manager should inject credentials at runtime.\n",
            "<div class=\"card\"><a href=\"https://example.com/docs/getting-started?ref=nav\">Getting started</a> &middot; <span>Keyboard shortcuts</span></div>\n",
            "commit 3f786850e387550fdab836ed7e6dc881de23001b Author: Jane Doe <jane@example.com> Date: Mon May 6 10:00:00 2024 +0200 Fix monkey-patching of the passthrough cache\n",
            "Die Lieferung nach München verzögert sich um zwei Tage; 請於明天前回覆 — merci beaucoup, à bientôt !\n",
            "SELECT u.id, u.email, o.total FROM users u JOIN orders o ON o.user_id = u.id WHERE o.created_at > NOW() - INTERVAL '7 days' ORDER BY o.total DESC LIMIT 50;\n",
            "kubectl -n prod rollout status deployment/api-gateway --timeout=120s && curl -sf https://api.internal/healthz | jq .status\n",
        ];
        const SECRETS: &[&str] = &[
            "export GITHUB_TOKEN=ghp_1A2b3C4d5E6f7G8h9I0jK1lM2nO3pQ4rS5tU\n",
            "api_key=ABCD1234EFGH5678 password=hunter22\n",
            "curl -H \"Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U\" https://api.example.com\n",
            "DATABASE_URL=postgres://app:Sup3rS3cret@db.internal:5432/app\n",
        ];
        let mut out = Vec::with_capacity(target + 512);
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut n = 0usize;
        while out.len() < target {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            n += 1;
            let line = if n.is_multiple_of(40) {
                SECRETS.get((state as usize) % SECRETS.len())
            } else {
                LINES.get((state as usize) % LINES.len())
            };
            out.extend_from_slice(line.copied().unwrap_or_default().as_bytes());
        }
        out
    }

    /// On-CPU time of this thread (ns), so a loaded machine does not distort the number.
    pub(super) fn cpu_ns() -> u64 {
        std::fs::read_to_string("/proc/thread-self/schedstat")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
            .unwrap_or(0)
    }

    /// `cargo test --release -p datafog-component --lib secrets::tests::throughput -- --ignored --nocapture`
    #[test]
    #[ignore = "throughput measurement; run in release"]
    fn throughput() {
        // DATAFOG_BENCH_FILE: records separated by 0x1E (e.g. a dump of the conformance crate's
        // `bench_corpus`); otherwise the synthetic text above.
        let text = std::env::var("DATAFOG_BENCH_FILE")
            .ok()
            .and_then(|p| std::fs::read(p).ok())
            .unwrap_or_else(|| mixed_text(8 << 20));
        let records: Vec<&[u8]> = text.split(|&b| b == 0x1E).collect();
        let mut out = Vec::new();
        find(&text, &mut out); // warm up (builds the automaton)
        let rounds = 20;
        let c0 = cpu_ns();
        let t0 = std::time::Instant::now();
        let mut total = 0usize;
        for _ in 0..rounds {
            for r in &records {
                out.clear();
                find(std::hint::black_box(r), &mut out);
                total += out.len();
            }
        }
        let secs = t0.elapsed().as_secs_f64();
        let cpu = (cpu_ns() - c0) as f64 / 1e9;
        let bytes = (text.len() * rounds) as f64;
        println!(
            "secrets::find: {} bytes x {rounds}: wall {secs:.3}s = {:.2} GB/s; on-CPU {cpu:.3}s = {:.2} GB/s ({} findings/round)",
            text.len(),
            bytes / secs / 1e9,
            bytes / cpu / 1e9,
            total / rounds
        );
    }

    #[test]
    fn never_panics_on_odd_bytes() {
        let mut out = Vec::new();
        let mut junk: Vec<u8> = Vec::new();
        for i in 0..4096u32 {
            junk.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
            if i % 97 == 0 {
                junk.extend_from_slice(b"password=\xff\xfe token: eyJ -----BEGIN ://@ sk- xox");
            }
        }
        for end in 0..junk.len().min(600) {
            find(junk.get(..end).unwrap_or_default(), &mut out);
        }
        find(&junk, &mut out);
        for f in &out {
            assert!(f.start < f.end && f.end <= junk.len());
        }
    }
}
