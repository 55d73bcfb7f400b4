//! Vendor tokens reported as `api_key`: one table row per format, taken from each vendor's
//! public documentation (prefix, body charset, body length, extra structure). The prefixes join
//! the module's anchor automata (`super::automata`); a row's anchor is the literal that starts
//! the token unless its shape says otherwise (`Shape::Telegram`, `Shape::Azure`,
//! `Shape::Atlas`, where the anchor sits inside the token).
//!
//! Rows built with [`r`] are not in the automata: such a token lies in a long run of base64
//! bytes (`decode::long_runs`, which the decoding pass walks anyway), at the run's start or after
//! a `/` or `+` in it, and [`run_scan`] looks those bytes up in a table. A prefix there costs
//! nothing per text byte, where the anchor automata pay per byte for every pattern (a packed
//! searcher takes at most 64, and 32 keep it on the slim, faster variant).
//!
//! Every token must start on a boundary (no `[A-Za-z0-9]` before it, and for most rows no `_`
//! or `-` either), its body must stop where the charset stops (a longer run is not the token),
//! and the body must not be a placeholder (`xxxx`, a run of one byte, too few distinct bytes).

use super::structured::b64_decode;
use std::sync::OnceLock;

use super::{Ctx, at, before, is_alnum, is_b64url, run, starts_with_at, weak_body, wordy};
use crate::detect::blocks::Block;
use crate::entity::EntityType;

const CONF_VENDOR: f64 = 0.98;

/// Number of `Set` variants (one run memo each).
pub(super) const SETS: usize = 9;

/// Body charsets.
#[derive(Clone, Copy, Debug)]
pub(super) enum Set {
    Alnum,
    Letters,
    LowerHex,
    /// `[A-Za-z0-9_-]`.
    B64Url,
    /// `[A-Za-z0-9+/=]`.
    B64,
    /// `[A-Za-z0-9_=+/-]` (base64 of either alphabet, with padding).
    B64Any,
    /// bech32 upper case `[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]`.
    Bech32Upper,
    /// `[A-Za-z0-9._=-]`.
    Dotted,
    /// Postman's `[A-Za-z0-9-]`.
    AlnumDash,
}

impl Set {
    fn has(self, b: u8) -> bool {
        match self {
            Set::Alnum => is_alnum(b),
            Set::Letters => b.is_ascii_alphabetic(),
            Set::LowerHex => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            Set::B64Url => is_b64url(b),
            Set::B64 => is_alnum(b) || matches!(b, b'+' | b'/' | b'='),
            Set::B64Any => is_b64url(b) || matches!(b, b'+' | b'/' | b'='),
            Set::Bech32Upper => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".contains(&b),
            Set::Dotted => is_b64url(b) || matches!(b, b'.' | b'='),
            Set::AlnumDash => is_alnum(b) || b == b'-',
        }
    }
}

/// Extra structure beyond prefix + charset + length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// Prefix, then the body.
    Plain,
    /// Body decodes (base64) to a JSON object (1Password `ops_`, Grafana `glc_`/`eyJrIjoi`).
    B64Json,
    /// Grafana `glsa_`: 32 alnum, `_`, 8 hex.
    Glsa,
    /// Postman `PMAK-`: 24 hex, `-`, 34 hex.
    Postman,
    /// Notion `ntn_`: 11 digits then alnum.
    Ntn,
    /// 1Password secret key `A3-XXXXXX-XXXXXX-XXXXX-XXXXX-XXXXX-XXXXX`.
    OnePasswordKey,
    /// Telegram bot token: 8-10 digits, then the anchor `:AA`, then 33 base64url.
    Telegram,
    /// Azure AD client secret: 3 bytes, the anchor `<digit>Q~`, then 31-34 bytes.
    Azure,
    /// Terraform Cloud: 14 alnum, the anchor `.atlasv1.`, then 60-70 `[A-Za-z0-9_=-]`.
    Atlas,
    /// Databricks `dapi` + 32 hex, optional `-<digit>`.
    Databricks,
    /// `n` hex digits, the separator, then ASCII letters and digits (Brevo `xkeysib-`,
    /// Flutterwave `FLWSECK-`, LangSmith `lsv2_`).
    Split(usize, u8),
    /// A lower-case UUID (HubSpot `pat-na1-`, Plaid `access-production-`).
    Uuid,
    /// Sourcegraph `sgp_`: 16 hex, `_`, 40 hex; or `local_`, 40 hex.
    Sourcegraph,
}

/// One vendor format.
#[derive(Debug)]
pub(super) struct Vendor {
    pub(super) anchor: &'static str,
    set: Set,
    min: usize,
    max: usize,
    shape: Shape,
    /// Found by [`run_scan`] in the long runs, not by the anchor automata.
    on_run: bool,
}

const fn v(anchor: &'static str, set: Set, min: usize, max: usize, shape: Shape) -> Vendor {
    Vendor {
        anchor,
        set,
        min,
        max,
        shape,
        on_run: false,
    }
}

/// A row looked up in the long runs ([`run_scan`]) instead of by the anchor automata; the
/// prefix and at least the first `MIN_B64 - prefix` body bytes must be run bytes
/// (`A-Za-z0-9_+-/`).
const fn r(anchor: &'static str, set: Set, min: usize, max: usize, shape: Shape) -> Vendor {
    Vendor {
        on_run: true,
        ..v(anchor, set, min, max, shape)
    }
}

use Set::{Alnum, AlnumDash, B64, B64Any, B64Url, Bech32Upper, Dotted, Letters, LowerHex};
use Shape::{
    Atlas, Azure, B64Json, Databricks, Glsa, Ntn, OnePasswordKey, Plain, Postman, Sourcegraph,
    Split, Telegram, Uuid,
};

/// The formats. `min`/`max` bound the body (bytes after the anchor).
pub(super) const VENDORS: &[Vendor] = &[
    // Square: OAuth access token, OAuth application secret, access token (v2).
    r("sq0atp-", B64Url, 22, 22, Plain),
    r("sq0csp-", B64Url, 43, 43, Plain),
    r("EAAA", B64Url, 60, 60, Plain),
    // age: `AGE-SECRET-KEY-1` + 58 bech32 characters.
    r("AGE-SECRET-KEY-1", Bech32Upper, 58, 58, Plain),
    // 1Password: service-account token (base64 JSON), account secret key.
    r("ops_eyJ", B64Any, 100, 8192, B64Json),
    r("A3-", Alnum, 0, 0, OnePasswordKey),
    // Sentry: user auth token (64 hex), org auth token (base64 JSON `_` secret).
    r("sntryu_", LowerHex, 64, 64, Plain),
    r("sntrys_eyJ", B64Any, 60, 1024, Plain),
    // PlanetScale: service token, password, OAuth token.
    v("pscale_tkn_", Dotted, 32, 64, Plain),
    v("pscale_pw_", Dotted, 32, 64, Plain),
    v("pscale_oauth_", Dotted, 32, 64, Plain),
    // Perplexity.
    r("pplx-", Alnum, 48, 48, Plain),
    // Hugging Face: user token, organisation API token.
    r("hf_", Letters, 34, 34, Plain),
    r("api_org_", Letters, 34, 34, Plain),
    // HashiCorp Vault: service, batch and recovery tokens.
    v("hvs.", B64Url, 24, 512, Plain),
    v("hvb.", B64Url, 100, 1024, Plain),
    v("hvr.", B64Url, 24, 512, Plain),
    // Grafana: service-account token, Cloud access-policy token, legacy API key.
    r("glsa_", Alnum, 0, 0, Glsa),
    r("glc_eyJ", B64, 40, 1024, B64Json),
    r("eyJrIjoi", B64, 40, 1024, B64Json),
    // OpenShift OAuth access token.
    v("sha256~", B64Url, 43, 43, Plain),
    // Shopify: admin access token, custom app, partner app, shared secret.
    r("shpat_", LowerHex, 32, 32, Plain),
    r("shpca_", LowerHex, 32, 32, Plain),
    r("shppa_", LowerHex, 32, 32, Plain),
    r("shpss_", LowerHex, 32, 32, Plain),
    // DigitalOcean: personal access, OAuth, refresh tokens.
    r("dop_v1_", LowerHex, 64, 64, Plain),
    r("doo_v1_", LowerHex, 64, 64, Plain),
    r("dor_v1_", LowerHex, 64, 64, Plain),
    // Databricks personal access token.
    r("dapi", LowerHex, 32, 32, Databricks),
    // Doppler: personal, service, service-account, CLI tokens.
    v("dp.pt.", Alnum, 40, 64, Plain),
    v("dp.st.", Dotted, 40, 80, Plain),
    v("dp.sa.", Alnum, 40, 64, Plain),
    v("dp.ct.", Alnum, 40, 64, Plain),
    // Postman API key.
    r("PMAK-", Alnum, 0, 0, Postman),
    // Pulumi access token.
    r("pul-", LowerHex, 40, 40, Plain),
    // Linear API key.
    r("lin_api_", Alnum, 40, 40, Plain),
    // Notion integration token (new form; `secret_` is checked by the keyword handler).
    r("ntn_", Alnum, 46, 46, Ntn),
    // Atlassian API token.
    r("ATATT3", B64Url, 186, 186, Plain),
    // Heroku API key (v2).
    r("HRKU-AA", B64Url, 58, 58, Plain),
    // Fly.io token.
    r("fo1_", B64Url, 43, 43, Plain),
    // Replicate, Groq, Supabase.
    r("r8_", Alnum, 37, 37, Plain),
    r("gsk_", Alnum, 52, 52, Plain),
    r("sbp_", LowerHex, 40, 40, Plain),
    // SonarQube (9.5+): user, project analysis and global analysis tokens.
    r("squ_", LowerHex, 40, 40, Plain),
    r("sqp_", LowerHex, 40, 40, Plain),
    r("sqa_", LowerHex, 40, 40, Plain),
    // Sourcegraph access tokens: `sgp_` + 16 hex (instance id) + `_` + 40 hex, or `sgp_local_`
    // + 40 hex.
    r("sgp_", B64Url, 46, 57, Sourcegraph),
    // Alibaba Cloud AccessKey ID.
    r("LTAI", Alnum, 12, 20, Plain),
    // Tailscale keys: `tskey-<kind>-<id>-<secret>`.
    r("tskey-auth-", AlnumDash, 30, 80, Plain),
    r("tskey-api-", AlnumDash, 30, 80, Plain),
    r("tskey-client-", AlnumDash, 30, 80, Plain),
    r("tskey-scim-", AlnumDash, 30, 80, Plain),
    r("tskey-webhook-", AlnumDash, 30, 80, Plain),
    // PostHog personal API key (`phc_`, the project key, is public by design).
    r("phx_", Alnum, 40, 50, Plain),
    // Pinecone API key.
    r("pcsk_", B64Url, 60, 100, Plain),
    // Figma personal access token.
    r("figd_", B64Url, 38, 50, Plain),
    // Netlify personal access token.
    r("nfp_", Alnum, 36, 40, Plain),
    // NuGet API key.
    r("oy2", Alnum, 43, 43, Plain),
    // Facebook (Meta) access tokens.
    r("EAAB", Alnum, 90, 512, Plain),
    r("EAAC", Alnum, 90, 512, Plain),
    r("EAAG", Alnum, 90, 512, Plain),
    r("EAAM", Alnum, 90, 512, Plain),
    // 42 intra OAuth client secret.
    r("s-s4t2ud-", LowerHex, 64, 64, Plain),
    r("s-s4t2af-", LowerHex, 64, 64, Plain),
    // xAI API key.
    r("xai-", Alnum, 80, 80, Plain),
    // Terraform Cloud / Enterprise user or team token.
    v(".atlasv1.", B64Url, 60, 70, Atlas),
    // Docker Hub personal access token.
    r("dckr_pat_", B64Url, 27, 27, Plain),
    // PyPI upload token: a macaroon whose first bytes encode `pypi.org`.
    r("pypi-AgEIcHlwaS5vcmc", B64Url, 50, 4096, Plain),
    // Google OAuth client secret.
    r("GOCSPX-", B64Url, 28, 28, Plain),
    // Telegram bot token.
    v(":AA", B64Url, 33, 33, Telegram),
    // Azure AD (Entra ID) client secret, 40-byte form.
    v("0Q~", Dotted, 31, 34, Azure),
    v("1Q~", Dotted, 31, 34, Azure),
    v("2Q~", Dotted, 31, 34, Azure),
    v("3Q~", Dotted, 31, 34, Azure),
    v("4Q~", Dotted, 31, 34, Azure),
    v("5Q~", Dotted, 31, 34, Azure),
    v("6Q~", Dotted, 31, 34, Azure),
    v("7Q~", Dotted, 31, 34, Azure),
    v("8Q~", Dotted, 31, 34, Azure),
    v("9Q~", Dotted, 31, 34, Azure),
    // New Relic: user API key, browser key, insert key.
    r("NRAK-", Alnum, 27, 27, Plain),
    r("NRJS-", LowerHex, 19, 19, Plain),
    r("NRII-", B64Url, 32, 32, Plain),
    // Shippo live and test API tokens.
    r("shippo_live_", LowerHex, 40, 40, Plain),
    r("shippo_test_", LowerHex, 40, 40, Plain),
    // RubyGems API key, ReadMe API key, Prefect API key.
    r("rubygems_", LowerHex, 48, 48, Plain),
    r("rdme_", Alnum, 70, 70, Plain),
    r("pnu_", Alnum, 36, 36, Plain),
    // Brevo (Sendinblue) API key: 64 hex, `-`, 16 alnum.
    r("xkeysib-", AlnumDash, 81, 81, Split(64, b'-')),
    // Duffel test and live access tokens.
    r("duffel_test_", B64Any, 43, 43, Plain),
    r("duffel_live_", B64Any, 43, 43, Plain),
    // EasyPost production and test API keys.
    r("EZAK", Alnum, 54, 54, Plain),
    r("EZTK", Alnum, 54, 54, Plain),
    // Flutterwave secret keys (test, live): 32 hex, `-X`.
    r("FLWSECK_TEST-", AlnumDash, 34, 34, Split(32, b'-')),
    r("FLWSECK-", AlnumDash, 34, 34, Split(32, b'-')),
    // Frame.io developer token, Infracost API key, Scalingo API token, Clojars deploy token.
    r("fio-u-", B64Any, 64, 64, Plain),
    r("ico-", Alnum, 32, 32, Plain),
    r("tk-us-", B64Url, 48, 48, Plain),
    r("CLOJARS_", Alnum, 60, 60, Plain),
    // Adobe client secret.
    r("p8e-", Alnum, 32, 32, Plain),
    // JFrog Artifactory API key and reference token.
    r("AKCp", Alnum, 69, 69, Plain),
    r("cmVmd", Alnum, 59, 59, Plain),
    // Contentful personal access token, Buildkite API token, Render API key.
    r("CFPAT-", B64Url, 43, 43, Plain),
    r("bkua_", LowerHex, 40, 40, Plain),
    r("rnd_", Alnum, 32, 32, Plain),
    // LangSmith personal and service keys: 32 hex, `_`, 10 hex.
    r("lsv2_pt_", B64Url, 43, 43, Split(32, b'_')),
    r("lsv2_sk_", B64Url, 43, 43, Split(32, b'_')),
    // HubSpot private app tokens (US and EU data centres), Plaid access tokens.
    r("pat-na1-", AlnumDash, 36, 36, Uuid),
    r("pat-eu1-", AlnumDash, 36, 36, Uuid),
    r("access-sandbox-", AlnumDash, 36, 36, Uuid),
    r("access-development-", AlnumDash, 36, 36, Uuid),
    r("access-production-", AlnumDash, 36, 36, Uuid),
    // Yandex Cloud API key.
    r("AQVN", B64Url, 35, 38, Plain),
    // Typeform personal access token: 44 bytes, `_`, 14 bytes.
    r("tfp_", B64Url, 59, 59, Plain),
];

/// One `.`-separated part of a [`DotRow`] token's body: its charset and length bounds.
#[derive(Clone, Copy, Debug)]
struct Part {
    set: PartSet,
    min: usize,
    max: usize,
}

/// The charsets of [`Part`]s.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PartSet {
    /// `[A-Za-z0-9_-]`.
    B64Url,
    /// `[A-Za-z0-9_=-]`.
    B64UrlPad,
    /// `[A-Za-z0-9]`.
    Alnum,
    /// `[A-Z0-9]`.
    Upper,
}

impl PartSet {
    fn has(self, b: u8) -> bool {
        match self {
            PartSet::B64Url => is_b64url(b),
            PartSet::B64UrlPad => is_b64url(b) || b == b'=',
            PartSet::Alnum => is_alnum(b),
            PartSet::Upper => b.is_ascii_uppercase() || b.is_ascii_digit(),
        }
    }
}

const fn part(set: PartSet, min: usize, max: usize) -> Part {
    Part { set, min, max }
}

/// A vendor format whose prefix ends in `.` (`sl.`, `dt0c01.`) and whose body is `.`-separated
/// parts. `.` is not a run byte, so the body's first part starts a long run
/// (`decode::long_runs`) right after the prefix: [`run_scan`] checks these rows at each run
/// start that follows a `.`, not per text byte.
#[derive(Debug)]
struct DotRow {
    anchor: &'static str,
    parts: &'static [Part],
}

/// Mapbox token parts: base64url JSON, then 22 bytes.
const MAPBOX: &[Part] = &[
    part(PartSet::B64Url, 40, 1024),
    part(PartSet::B64Url, 22, 22),
];

/// Harness token parts: account id, token id, secret.
const HARNESS: &[Part] = &[
    part(PartSet::B64Url, 22, 22),
    part(PartSet::Alnum, 24, 24),
    part(PartSet::Alnum, 20, 20),
];

/// The `.`-prefixed formats, from each vendor's documentation of its token format.
const DOT_ROWS: &[DotRow] = &[
    // Dropbox short-lived access tokens (`sl.` and the newer `sl.u.`), 130+ bytes.
    DotRow {
        anchor: "sl.",
        parts: &[part(PartSet::B64UrlPad, 130, 4096)],
    },
    DotRow {
        anchor: "sl.u.",
        parts: &[part(PartSet::B64UrlPad, 130, 4096)],
    },
    // Mapbox secret, public and temporary tokens: base64url JSON, `.`, 22 bytes.
    DotRow {
        anchor: "sk.",
        parts: MAPBOX,
    },
    DotRow {
        anchor: "pk.",
        parts: MAPBOX,
    },
    DotRow {
        anchor: "tk.",
        parts: MAPBOX,
    },
    // Dynatrace API token: `dt0c01.`, 24-byte public part, `.`, 64-byte secret part.
    DotRow {
        anchor: "dt0c01.",
        parts: &[part(PartSet::Upper, 24, 24), part(PartSet::Upper, 64, 64)],
    },
    // Harness personal access and service account tokens: account id, token id, secret.
    DotRow {
        anchor: "pat.",
        parts: HARNESS,
    },
    DotRow {
        anchor: "sat.",
        parts: HARNESS,
    },
];

/// The long run `[s, e)` next to a `.`: the body of a [`DOT_ROWS`] token whose prefix ends at
/// `s`, or the first part of a Discord bot token ([`discord`]). Out of line: most runs have no
/// `.` next to them, and the scan's hot loop stays small.
#[inline(never)]
fn dotted_run(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    if before(text, s) == b'.' {
        // The byte before the `.` tells most rows apart.
        let key = before(text, s - 1);
        for row in DOT_ROWS {
            let a = row.anchor.as_bytes();
            if a.len() < 2 || a.get(a.len() - 2) != Some(&key) {
                continue;
            }
            let Some(start) = s.checked_sub(a.len()) else {
                continue;
            };
            if text.get(start..s) != Some(a) || !left_ok(text, start) {
                continue;
            }
            if let Some(end) = dotted_body(text, s, row.parts) {
                cx.push_vendor(EntityType::ApiKey, start, end, CONF_VENDOR);
                return;
            }
        }
    }
    if at(text, e) == b'.' {
        discord(cx, s, e);
    }
}

/// The end of a body of exactly `parts.len()` `.`-separated parts starting at `s`, each in its
/// charset and length bounds, followed by no further part byte; `None` otherwise. Each part must
/// look random (`weak_body`, `wordy`), and a part that ends the token may be followed by a `.`
/// (end of a sentence).
fn dotted_body(text: &[u8], s: usize, parts: &[Part]) -> Option<usize> {
    let mut pos = s;
    for (k, p) in parts.iter().enumerate() {
        let end = run(text, pos, p.max + 1, |b| p.set.has(b));
        let bytes = text.get(pos..end)?;
        if !(p.min..=p.max).contains(&bytes.len()) || weak_body(bytes) || wordy(bytes) {
            return None;
        }
        let next = at(text, end);
        if k + 1 < parts.len() {
            if next != b'.' {
                return None;
            }
            pos = end + 1;
        } else {
            // The token ends here: no more token bytes, and no further `.part`.
            if is_b64url(next) || next == b'=' || (next == b'.' && is_b64url(at(text, end + 1))) {
                return None;
            }
            return Some(end);
        }
    }
    None
}

/// A Discord bot token whose first part is the run `[s, e)` (a `.` follows it): base64 of the
/// bot's user id (17-20 digits; 24-27 bytes), `.`, 6 bytes (a timestamp), `.`, 27-38 bytes (the
/// HMAC). The decoded id is what makes a run of base64 one: random base64 decodes to digits alone
/// almost never.
fn discord(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    if !(24..=27).contains(&(e - s))
        || !matches!(at(text, s), b'M' | b'N' | b'O')
        || !left_ok(text, s)
    {
        return;
    }
    let Some(id) = text.get(s..e).and_then(b64_decode) else {
        return;
    };
    if !(17..=20).contains(&id.len()) || !id.iter().all(u8::is_ascii_digit) {
        return;
    }
    const HMAC: &[Part] = &[part(PartSet::B64Url, 27, 38)];
    // The 6-byte timestamp part may read as a word (`MngBsA`): checked by charset and length.
    let ts_end = run(text, e + 1, 7, is_b64url);
    if ts_end - (e + 1) != 6 || at(text, ts_end) != b'.' {
        return;
    }
    if let Some(end) = dotted_body(text, ts_end + 1, HMAC) {
        cx.push_vendor(EntityType::ApiKey, s, end, CONF_VENDOR);
    }
}

impl Vendor {
    /// Rows found by `azure_scan` (one `memchr` pass for `~`) instead of the anchor automata:
    /// ten 3-byte `<digit>Q~` anchors in the slim searcher cost more than one rare-pair search.
    pub(super) fn separate(&self) -> bool {
        matches!(self.shape, Azure)
    }

    /// Whether the row's anchor is one of the automata's patterns.
    pub(super) fn in_automata(&self) -> bool {
        !self.separate() && !self.on_run
    }
}

/// The run-anchored rows ([`r`]) by first byte: `rows` holds their indices in `VENDORS` sorted by
/// first byte, each with its first four bytes (little-endian) and the mask of those its prefix
/// has, and `range[b]` the span of `rows` whose anchor starts with `b`. `pairs` has bit
/// `b0 | b1 << 8` set when some row's anchor starts with the bytes `b0 b1` (every anchor has at
/// least two): most run starts open no prefix, and one bit test, which rarely passes (so its
/// branch is predicted), settles them; a row that does not match costs one compare.
struct RunIndex {
    rows: Vec<(usize, u32, u32)>,
    range: [(u8, u8); 256],
    pairs: Vec<u64>,
}

/// The first four bytes at `i` (little-endian; 0 past the end).
fn head4(text: &[u8], i: usize) -> u32 {
    match text.get(i..i + 4).and_then(|h| <[u8; 4]>::try_from(h).ok()) {
        Some(h) => u32::from_le_bytes(h),
        None => u32::from_le_bytes([
            at(text, i),
            at(text, i + 1),
            at(text, i + 2),
            at(text, i + 3),
        ]),
    }
}

fn run_index() -> &'static RunIndex {
    static INDEX: OnceLock<RunIndex> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut rows: Vec<(usize, u32, u32)> = VENDORS
            .iter()
            .enumerate()
            .filter(|(_, v)| v.on_run)
            .map(|(i, v)| {
                let a = v.anchor.as_bytes();
                let n = a.len().min(4);
                let mask = if n == 4 {
                    u32::MAX
                } else {
                    (1u32 << (8 * n)) - 1
                };
                (i, head4(a, 0) & mask, mask)
            })
            .collect();
        rows.sort_by_key(|&(_, head, _)| head & 0xFF);
        let mut range = [(0u8, 0u8); 256];
        for (k, &(_, head, _)) in rows.iter().enumerate() {
            let k = u8::try_from(k).unwrap_or(u8::MAX);
            if let Some(r) = range.get_mut((head & 0xFF) as usize) {
                *r = if r.0 == r.1 { (k, k + 1) } else { (r.0, k + 1) };
            }
        }
        let mut pairs = vec![0u64; 1024];
        for &(_, head, _) in &rows {
            let pair = (head & 0xFFFF) as usize;
            if let Some(w) = pairs.get_mut(pair >> 6) {
                *w |= 1 << (pair & 63);
            }
        }
        RunIndex { rows, range, pairs }
    })
}

/// The run-anchored rows ([`r`]) in each long run (`runs`: `decode::long_runs` of the text): at
/// its start and after each `/` or `+` in it, the two run bytes a token may follow (every other
/// run byte is `[A-Za-z0-9_-]`, which `left_ok` rejects). That is every place the anchor automata
/// could report such a row's token. The first byte is looked up in [`run_index`], then the
/// prefixes compared. A run that follows a `.` may be the body of a [`DOT_ROWS`] token, and one
/// that a `.` follows the first part of a Discord bot token: both are checked once per run
/// (`dotted_run`).
///
/// The `/` and `+` are read from the block masks (`masks`: `blocks::masks` of the text): a run's
/// bytes that are not word bytes are `+ - /`, and only those are looked at.
pub(super) fn run_scan(cx: &mut Ctx<'_>, masks: &[Block], runs: &[(usize, usize)]) {
    let index = run_index();
    let text = cx.text;
    for &(s, e) in runs {
        at_run_byte(cx, index, s);
        // A `.` before or after the run: rare, and checked out of line.
        if before(text, s) == b'.' || at(text, e) == b'.' {
            dotted_run(cx, s, e);
        }
        for k in s / 64..e.div_ceil(64) {
            let Some(b) = masks.get(k) else {
                break;
            };
            let base = 64 * k;
            // The run's bytes in this block: bits s - base .. e - base.
            let lo = s.saturating_sub(base);
            let hi = (e - base).min(64);
            let span = (u64::MAX << lo) & (u64::MAX >> (64 - hi));
            // The run's `+ - /`, then the `/` and `+` among them, without a branch per byte.
            let mut m = b.run & !b.word & span;
            let mut after = 0u64;
            while m != 0 {
                let bit = m.trailing_zeros();
                m &= m - 1;
                after |= u64::from(at(text, base + bit as usize) != b'-') << bit;
            }
            while after != 0 {
                let p = base + after.trailing_zeros() as usize;
                after &= after - 1;
                at_run_byte(cx, index, p + 1);
            }
        }
    }
}

/// The run-anchored row whose prefix starts at `s`, if any, handled.
#[inline]
fn at_run_byte(cx: &mut Ctx<'_>, index: &RunIndex, s: usize) {
    let text = cx.text;
    // Most run starts open no prefix: one bit of the two-byte table says so.
    let pair = usize::from(at(text, s)) | usize::from(at(text, s + 1)) << 8;
    if index
        .pairs
        .get(pair >> 6)
        .is_none_or(|w| w >> (pair & 63) & 1 == 0)
    {
        return;
    }
    let Some(&(lo, hi)) = index.range.get(usize::from(at(text, s))) else {
        return;
    };
    let head = head4(text, s);
    let rows = index
        .rows
        .get(usize::from(lo)..usize::from(hi))
        .unwrap_or_default();
    for &(idx, key, mask) in rows {
        if head & mask == key
            && let Some(row) = VENDORS.get(idx)
            && starts_with_at(text, s, row.anchor.as_bytes())
        {
            vendor(cx, idx, s, s + row.anchor.len());
            return;
        }
    }
}

/// Every `<digit>Q~` in `text`, handled as the matching `Shape::Azure` row's anchor. No other
/// anchor of the 3-byte group can overlap `<digit>Q~` (none ends in a digit or `Q`, none starts
/// with `Q` or `~`), so the automaton's non-overlapping matches were exactly these; the handler
/// reads only `text`, so handling them after the other anchors finds the same tokens.
pub(super) fn azure_scan(cx: &mut Ctx<'_>) {
    let text = cx.text;
    // `~` alone: a single-byte `memchr` is faster than a pair search, and `~` is rare.
    for p in memchr::memchr_iter(b'~', text) {
        let Some(s) = p.checked_sub(2) else {
            continue;
        };
        let d = at(text, s);
        if at(text, s + 1) != b'Q' || !d.is_ascii_digit() {
            continue;
        }
        let anchor = [d, b'Q', b'~'];
        if let Some(idx) = VENDORS
            .iter()
            .position(|v| v.separate() && v.anchor.as_bytes() == anchor)
        {
            vendor(cx, idx, s, p + 1);
        }
    }
}

/// A lower-case UUID: 8-4-4-4-12 hex digits.
pub(super) fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

fn is_azure_byte(b: u8) -> bool {
    is_alnum(b) || matches!(b, b'_' | b'~' | b'.' | b'-')
}

/// The vendor row `idx` anchored at `[s, e)`.
pub(super) fn vendor(cx: &mut Ctx<'_>, idx: usize, s: usize, e: usize) {
    let Some(row) = VENDORS.get(idx) else {
        return;
    };
    let text = cx.text;
    let found = match row.shape {
        Telegram => telegram(text, s, e),
        Azure => azure(text, s, e, row),
        Atlas => atlas(text, s, e, row),
        OnePasswordKey => one_password_key(text, s, e),
        _ => plain(cx, s, e, row),
    };
    if let Some((start, end)) = found {
        cx.push_vendor(EntityType::ApiKey, start, end, CONF_VENDOR);
    }
}

/// No token byte before `s`: not `[A-Za-z0-9]`, and not `_`/`-` unless the prefix itself starts
/// with a separator.
fn left_ok(text: &[u8], s: usize) -> bool {
    let p = before(text, s);
    !is_alnum(p) && p != b'_' && p != b'-'
}

fn plain(cx: &mut Ctx<'_>, s: usize, e: usize, row: &Vendor) -> Option<(usize, usize)> {
    let text = cx.text;
    if !left_ok(text, s) {
        return None;
    }
    // A base64-JSON token cannot start inside the body of one already decoded.
    if row.shape == B64Json && s < cx.memo.vendor_json_end {
        return None;
    }
    let (min, max) = match row.shape {
        Glsa => (41, 41),
        Postman => (59, 59),
        _ => (row.min, row.max),
    };
    let set = match row.shape {
        Glsa => Set::B64Url,
        Postman => Set::AlnumDash,
        _ => row.set,
    };
    let pred = |b: u8| set.has(b);
    // Anchors inside an earlier body re-read the same run: remember it.
    let mut end = match cx.memo.vendor_run.get_mut(set as usize) {
        Some(m) => m.run(text, e, max + 1, pred),
        None => run(text, e, max + 1, pred),
    };
    // Padding and dots are not token ends.
    if matches!(set, Set::Dotted) {
        while end > e && at(text, end - 1) == b'.' {
            end -= 1;
        }
    }
    let body = text.get(e..end)?;
    if !(min..=max).contains(&body.len()) || pred(at(text, end)) {
        return None;
    }
    // A body of exactly-counted bytes must not run on into more word bytes (`_`, `-`).
    if min == max && matches!(at(text, end), b'_' | b'-') && !pred(b'_') {
        return None;
    }
    if weak_body(body) {
        return None;
    }
    let ok = match row.shape {
        Plain => !wordy(body) || body.len() >= 60,
        B64Json => {
            cx.memo.vendor_json_end = end;
            b64_json(text.get(s + row.anchor.find("eyJ").unwrap_or(0)..end)?)
        }
        Glsa => {
            body.get(32) == Some(&b'_')
                && body
                    .get(..32)
                    .is_some_and(|a| a.iter().all(|&b| is_alnum(b)))
                && body
                    .get(33..)
                    .is_some_and(|h| h.iter().all(|&b| b.is_ascii_hexdigit()))
        }
        Postman => {
            body.get(24) == Some(&b'-')
                && body
                    .iter()
                    .enumerate()
                    .all(|(i, &b)| i == 24 || b.is_ascii_hexdigit())
        }
        Ntn => body
            .get(..11)
            .is_some_and(|d| d.iter().all(u8::is_ascii_digit)),
        Databricks => true,
        Split(n, sep) => {
            body.get(n) == Some(&sep)
                && body
                    .get(..n)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
                && body
                    .get(n + 1..)
                    .is_some_and(|t| !t.is_empty() && t.iter().all(|&b| is_alnum(b)))
        }
        Uuid => is_uuid(body),
        Sourcegraph => {
            let hex40 = |h: &[u8]| h.len() == 40 && h.iter().all(|b| Set::LowerHex.has(*b));
            match body.strip_prefix(b"local_") {
                Some(h) => hex40(h),
                None => {
                    body.get(16) == Some(&b'_')
                        && body
                            .get(..16)
                            .is_some_and(|h| h.iter().all(|b| Set::LowerHex.has(*b)))
                        && body.get(17..).is_some_and(hex40)
                }
            }
        }
        Telegram | Azure | Atlas | OnePasswordKey => false,
    };
    if !ok {
        return None;
    }
    // Databricks tokens may end in `-<digit>`.
    if row.shape == Databricks && at(text, end) == b'-' && at(text, end + 1).is_ascii_digit() {
        if is_alnum(at(text, end + 2)) {
            return None;
        }
        end += 2;
    }
    Some((s, end))
}

/// Base64 (either alphabet) of a JSON object.
fn b64_json(b64: &[u8]) -> bool {
    let Some(raw) = b64_decode(b64) else {
        return false;
    };
    raw.first() == Some(&b'{')
        && matches!(
            serde_json::from_slice::<serde_json::Value>(&raw),
            Ok(serde_json::Value::Object(_))
        )
}

/// `<8-10 digits>:AA<33 base64url>`; the digits may follow `bot` (`/bot123:AA...` in API URLs).
fn telegram(text: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    let mut d = s;
    while d > 0 && s - d < 11 && before(text, d).is_ascii_digit() {
        d -= 1;
    }
    if !(8..=10).contains(&(s - d)) {
        return None;
    }
    let p = before(text, d);
    if (is_alnum(p) || p == b'_') && !(d >= 3 && starts_with_at(text, d - 3, b"bot")) {
        return None;
    }
    let end = run(text, e, 34, is_b64url);
    let body = text.get(e..end)?;
    (body.len() == 33 && !weak_body(body)).then_some((d, end))
}

/// `<3 bytes><digit>Q~<31-34 bytes>` of `[A-Za-z0-9_~.-]`, 40 bytes in all in today's form.
fn azure(text: &[u8], s: usize, e: usize, row: &Vendor) -> Option<(usize, usize)> {
    let start = s.checked_sub(3)?;
    let head = text.get(start..s)?;
    if !head
        .iter()
        .all(|&b| is_alnum(b) || matches!(b, b'_' | b'~' | b'.'))
    {
        return None;
    }
    let p = before(text, start);
    if is_azure_byte(p) {
        return None;
    }
    let end = run(text, e, row.max + 1, is_azure_byte);
    let body = text.get(e..end)?;
    if !(row.min..=row.max).contains(&body.len()) {
        return None;
    }
    let letters = body.iter().filter(|b| b.is_ascii_alphabetic()).count();
    let digits = body.iter().filter(|b| b.is_ascii_digit()).count();
    (letters >= 10 && digits >= 2 && !weak_body(body)).then_some((start, end))
}

/// `<14 alnum>.atlasv1.<60-70 [A-Za-z0-9_=-]>`.
fn atlas(text: &[u8], s: usize, e: usize, row: &Vendor) -> Option<(usize, usize)> {
    let start = s.checked_sub(14)?;
    let head = text.get(start..s)?;
    if !head.iter().all(|&b| is_alnum(b)) || is_alnum(before(text, start)) {
        return None;
    }
    let pred = |b: u8| is_b64url(b) || b == b'=';
    let end = run(text, e, row.max + 1, pred);
    let body = text.get(e..end)?;
    ((row.min..=row.max).contains(&body.len()) && !weak_body(body) && !wordy(body))
        .then_some((start, end))
}

/// `A3-` then six upper-alnum groups 6-6-5-5-5-5 (or 6-11-5-5-5 in the older form).
fn one_password_key(text: &[u8], s: usize, e: usize) -> Option<(usize, usize)> {
    if is_alnum(before(text, s)) {
        return None;
    }
    let up = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let mut groups = [0usize; 7];
    let mut n = 0;
    let mut i = e;
    loop {
        let g = run(text, i, 12, up);
        let slot = groups.get_mut(n)?;
        *slot = g - i;
        n += 1;
        if at(text, g) == b'-' && up(at(text, g + 1)) && n < 7 {
            i = g + 1;
        } else {
            i = g;
            break;
        }
    }
    if is_alnum(at(text, i)) || at(text, i) == b'-' {
        return None;
    }
    let shape = groups.get(..n)?;
    let ok = shape == [6, 6, 5, 5, 5, 5] || shape == [6, 11, 5, 5, 5];
    let body = text.get(e..i)?;
    (ok && !weak_body(body) && body.iter().any(u8::is_ascii_digit)).then_some((s, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::decode::MIN_B64;

    /// A run-anchored row is found only if its token opens a long run: the prefix and the body
    /// bytes up to `MIN_B64` must be run bytes (`A-Za-z0-9_+-/`), and no row's prefix may start
    /// another's (the first match wins).
    #[test]
    fn run_rows_open_long_runs() {
        let run_byte = |b: u8| is_alnum(b) || matches!(b, b'_' | b'+' | b'-' | b'/');
        let rows: Vec<&Vendor> = VENDORS.iter().filter(|v| v.on_run).collect();
        assert!(rows.len() >= 60);
        for v in &rows {
            let a = v.anchor.as_bytes();
            assert!(a.iter().all(|&b| run_byte(b)), "{}", v.anchor);
            // The shortest token: shapes with their own length rules count theirs.
            let min = match v.shape {
                Shape::Glsa => 41,
                Shape::Postman => 59,
                Shape::OnePasswordKey => 34,
                _ => v.min,
            };
            assert!(
                a.len() + min >= MIN_B64,
                "{}: too short for a long run",
                v.anchor
            );
            assert!(
                !matches!(v.set, Set::Dotted),
                "{}: dots end a run",
                v.anchor
            );
            for w in &rows {
                assert!(
                    v.anchor == w.anchor || !w.anchor.starts_with(v.anchor),
                    "{} shadows {}",
                    v.anchor,
                    w.anchor
                );
            }
        }
        // The index holds every run row once, under its first byte, with its head.
        let index = run_index();
        assert_eq!(index.rows.len(), rows.len());
        assert!(rows.len() < 256);
        for (b, &(lo, hi)) in index.range.iter().enumerate() {
            let span = index.rows.get(usize::from(lo)..usize::from(hi));
            for &(i, key, mask) in span.unwrap_or_default() {
                let a = VENDORS[i].anchor.as_bytes();
                assert_eq!(usize::from(a[0]), b);
                assert_eq!(head4(a, 0) & mask, key, "{}", VENDORS[i].anchor);
            }
        }
        let covered: usize = index
            .range
            .iter()
            .map(|&(lo, hi)| usize::from(hi - lo))
            .sum();
        assert_eq!(covered, rows.len());
        // The two-byte table has exactly the first two bytes of the anchors.
        let set: usize = index.pairs.iter().map(|w| w.count_ones() as usize).sum();
        let mut firsts: Vec<&[u8]> = rows
            .iter()
            .filter_map(|v| v.anchor.as_bytes().get(..2))
            .collect();
        firsts.sort_unstable();
        firsts.dedup();
        assert_eq!(set, firsts.len());
        for f in firsts {
            let pair = usize::from(f[0]) | usize::from(f[1]) << 8;
            assert_eq!(index.pairs[pair >> 6] >> (pair & 63) & 1, 1, "{f:?}");
        }
        assert!(rows.iter().all(|v| v.anchor.len() >= 2));
    }

    #[test]
    fn run_rows_only_at_a_run_start() {
        let find = |t: &str| {
            let mut out = Vec::new();
            super::super::find(t.as_bytes(), &mut out);
            out.iter().map(|f| (f.start, f.end)).collect::<Vec<_>>()
        };
        let token = "NRAK-Q7XG2M4K9ZP1R8T3W6Y5B0C2D4F";
        assert_eq!(find(&format!("id: {token} end")), [(4, 4 + token.len())]);
        // Glued to a word, or the body one byte short: nothing.
        assert!(find(&format!("xx{token}")).is_empty());
        assert!(find(&format!("a {} b", &token[..token.len() - 1])).is_empty());
        assert!(is_uuid(b"3f9aa1bd-ef26-1687-d69d-77c00ca1a02c"));
        assert!(!is_uuid(b"3f9aa1bd-ef26-1687-d69d-77c00ca1a02"));
        assert!(!is_uuid(b"3F9AA1BD-EF26-1687-D69D-77C00CA1A02C"));
    }

    #[test]
    fn anchors_are_distinct_and_sized() {
        for (i, a) in VENDORS.iter().enumerate() {
            assert!(a.anchor.len() >= 3, "{}", a.anchor);
            assert!(
                VENDORS.iter().skip(i + 1).all(|b| b.anchor != a.anchor),
                "{}",
                a.anchor
            );
        }
    }

    /// The `.`-prefixed rows and Discord tokens are found with no key name around them, each
    /// part bounded: a part one byte short or long, or glued to a word, finds nothing.
    #[test]
    fn dotted_tokens_without_a_key_name() {
        let find = |t: &str| {
            let mut out = Vec::new();
            super::super::find(t.as_bytes(), &mut out);
            out.iter()
                .map(|f| t.get(f.start..f.end).unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        };
        let dyn_id = "6B67DQYJDB1CC95NYF1B4H4V";
        let dyn_secret = "G6DOJ5W6SA3ONLD6J9T3A1NRYDNYCTVW4MNFEDLBFFMXC1828BCVEHU3RLHIXKW4";
        let token = format!("dt0c01.{dyn_id}.{dyn_secret}");
        assert_eq!(find(&format!("use {token}.")), std::slice::from_ref(&token));
        assert!(find(&format!("use {token}A")).is_empty());
        assert!(find(&format!("use x{token}")).is_empty());
        assert!(find(&format!("use dt0c01.{dyn_id}.{}", &dyn_secret[1..])).is_empty());
        assert!(find(&format!("use {token}.MORE")).is_empty());
        let harness = "pat.dgL7q9vo-TzsjlcvmD4fba.1d8b1e6041a4f1d91b700ede.QqgwRx1XrXC0hyYCxuHI";
        assert_eq!(find(&format!("k {harness} k")), [harness]);
        assert!(find(&format!("k {}", harness.replacen("pat.", "pot.", 1))).is_empty());
        // Discord: the first part must decode to a user id.
        let id = "NDY5NzMxMTM3MDE5MjQ0NDEy"; // base64 of "469731137019244412"
        let discord = format!("{id}.zbsHru.qe-fYh-JsBq6Z533ivWfsMCeqif");
        assert_eq!(
            find(&format!("run('{discord}')")),
            std::slice::from_ref(&discord)
        );
        let not_digits = "NGFiY2RlZmdoaWprbG1ub3Bx"; // base64 of "4abcdefghijklmnopq"
        assert!(
            find(&format!(
                "run('{not_digits}.zbsHru.qe-fYh-JsBq6Z533ivWfsMCeqif')"
            ))
            .is_empty()
        );
        assert!(find(&format!("run('{id}.zbsHr.qe-fYh-JsBq6Z533ivWfsMCeqif')")).is_empty());
        let typeform = "tfp_VdzcD1dinFxWQLYfI9XoPWgtsEErlaJGJnWmxNCEvIaL_rRF13sJUjPHWYz";
        assert_eq!(find(typeform), [typeform]);
        for row in DOT_ROWS {
            assert!(
                row.anchor.ends_with('.') && !row.parts.is_empty(),
                "{}",
                row.anchor
            );
        }
    }
}
