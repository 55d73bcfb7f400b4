//! Provider tokens with a distinctive prefix: AWS access key ids, GitHub, GitLab, Slack, Stripe,
//! OpenAI, Anthropic, Google API keys, npm, SendGrid. Each anchor is the prefix; the body is
//! checked for charset, length, boundaries and placeholder-ness (`xxxx`, repeated bytes).
//! AWS's documentation example ids (body ending `EXAMPLE`) are not reported; an AWS secret key
//! passed next to its access key id (same line, CSV record or the next prompt line) is.

use super::{
    CONF_PREFIXED, Ctx, at, before, is_alnum, is_b64url, run, starts_with_at, weak_body, wordy,
};
use crate::entity::EntityType;

/// Tokens must not continue a longer `[A-Za-z0-9]` run on the left.
fn left_ok(cx: &Ctx<'_>, s: usize) -> bool {
    !is_alnum(before(cx.text, s))
}

/// Longest word a distinctive prefix may be glued to.
const GLUE_MAX: usize = 12;

/// Left boundary for distinctive prefixes (`sk_live_`, `ghp_`, `github_pat_`, `xoxb-`, `AKIA`):
/// a boundary, or a short word glued on the left (`wosk_live_...`, issue 15): at most
/// `GLUE_MAX` alphanumerics after a non-alphanumeric byte, all lower case when `lower_only`
/// (AKIA ids: an upper-case run is more likely base32 than a glued word). Returns whether the
/// token is glued, `None` if the boundary fails.
fn left_glued(cx: &Ctx<'_>, s: usize, lower_only: bool) -> Option<bool> {
    if !is_alnum(before(cx.text, s)) {
        return Some(false);
    }
    let mut i = s;
    while i > 0 && is_alnum(at(cx.text, i - 1)) {
        i -= 1;
        if s - i > GLUE_MAX {
            return None;
        }
    }
    let word = cx.text.get(i..s)?;
    (!lower_only || word.iter().all(u8::is_ascii_lowercase)).then_some(true)
}

/// `AKIA`/`ASIA`/... + 16 `[A-Z2-7]`, word-bounded.
pub(super) fn aws_access_key(cx: &mut Ctx<'_>, s: usize) {
    if left_glued(cx, s, true).is_none() {
        return;
    }
    let body_start = s + 4;
    let end = body_start + 16;
    let Some(body) = cx.text.get(body_start..end) else {
        return;
    };
    if !body
        .iter()
        .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(b))
        || is_alnum(at(cx.text, end))
        || weak_body(body)
        // AWS's documentation examples (`AKIAIOSFODNN7EXAMPLE`, `AKIAI44QH8DHBEXAMPLE`).
        || body.ends_with(b"EXAMPLE")
    {
        return;
    }
    cx.push(EntityType::AwsAccessKey, s, end, CONF_PREFIXED);
    paired_secret(cx, end);
}

/// Longest distance searched after an access key id for its secret key (same record).
const PAIR_WINDOW: usize = 160;

/// An AWS secret key passed next to its access key id (`AKIA... <secret>` in one line, a CSV
/// record, `aws configure` prompts on the next line): the first 40-byte run of
/// `[A-Za-z0-9/+]` within `PAIR_WINDOW` bytes and two line breaks of the id, bounded on both
/// sides, with upper and lower case letters and a digit (hex digests and paths are not).
fn paired_secret(cx: &mut Ctx<'_>, from: usize) {
    let text = cx.text;
    let limit = (from + PAIR_WINDOW).min(text.len());
    let is_sk = |b: u8| is_alnum(b) || b == b'/' || b == b'+';
    let mut i = from;
    let mut breaks = 0;
    while i < limit {
        let b = at(text, i);
        if b == b'\n' {
            breaks += 1;
            if breaks > 2 {
                return;
            }
        }
        if !is_sk(b) {
            i += 1;
            continue;
        }
        let end = run(text, i, 41, is_sk);
        if end - i == 40 && !matches!(at(text, end), b'=' | b'.' | b'-' | b'_') {
            let v = text.get(i..end).unwrap_or_default();
            let upper = v.iter().any(u8::is_ascii_uppercase);
            let lower = v.iter().any(u8::is_ascii_lowercase);
            let digit = v.iter().any(u8::is_ascii_digit);
            if upper && lower && digit && !weak_body(v) && !wordy(v) && !v.ends_with(b"EXAMPLEKEY")
            {
                cx.push(EntityType::AwsSecretKey, i, end, CONF_PREFIXED);
                return;
            }
        }
        // Skip the rest of this run (a run of 41+ bytes is not a secret key either).
        i = run(text, i, (limit - i).max(41), is_sk);
    }
}

/// `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36..=255 `[A-Za-z0-9]`.
pub(super) fn github_classic(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if left_glued(cx, s, false).is_none() {
        return;
    }
    let end = run(cx.text, e, 256, is_alnum);
    let len = end - e;
    if !(36..=255).contains(&len) || at(cx.text, end) == b'_' {
        return;
    }
    if cx.text.get(e..end).is_some_and(|b| !weak_body(b)) {
        cx.push(EntityType::GithubToken, s, end, CONF_PREFIXED);
    }
}

/// `github_pat_` + `[A-Za-z0-9]{22,}` + `_` + `[A-Za-z0-9]{30,}` (82 body bytes today).
pub(super) fn github_pat(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if left_glued(cx, s, false).is_none() {
        return;
    }
    let text = cx.text;
    let end = cx
        .memo
        .github_pat_run
        .run(text, e, 256, |b| is_alnum(b) || b == b'_');
    let Some(body) = text.get(e..end) else {
        return;
    };
    if !(40..=255).contains(&body.len()) || weak_body(body) || wordy(body) {
        return;
    }
    let first = body.iter().take_while(|&&b| b != b'_').count();
    if first < 20 || first + 20 > body.len() {
        return;
    }
    cx.push(EntityType::GithubToken, s, end, CONF_PREFIXED);
}

/// `glpat-` (and the other GitLab prefixes) + 20+ `[A-Za-z0-9_-]`, with internal `.` allowed
/// (routable tokens `glpat-<payload>.<ver>.<crc>`).
pub(super) fn gitlab(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if !left_ok(cx, s) {
        return;
    }
    let text = cx.text;
    let Some(end) = gitlab_end(cx, e) else {
        return;
    };
    let Some(body) = text.get(e..end) else {
        return;
    };
    if !(20..=300).contains(&body.len())
        || cx.memo.gitlab_weak.weak(text, e, end)
        || cx.memo.gitlab_wordy.wordy(text, e, end)
    {
        return;
    }
    cx.push(EntityType::GitlabToken, s, end, CONF_PREFIXED);
}

/// A GitLab body byte: base64url, or a `.` followed by an alphanumeric (routable tokens).
fn gitlab_continues(text: &[u8], i: usize) -> bool {
    let b = at(text, i);
    is_b64url(b) || (b == b'.' && is_alnum(at(text, i + 1)))
}

/// End of the GitLab body starting at `e` when it is at most 300 bytes long; `None` when it is
/// longer (rejected). Equal, for bodies up to 300 bytes, to the reference loop
/// (`gitlab_end_reference`): runs of base64url of at most 300 bytes each, joined by `.` + alnum
/// while the body is shorter than 300. Memoized: anchors inside an earlier anchor's body
/// (`glpat-a.glpat-a.`...) do not walk the body again.
fn gitlab_end(cx: &mut Ctx<'_>, e: usize) -> Option<usize> {
    let text = cx.text;
    let limit = e + 300;
    let m = &mut cx.memo;
    // First byte that ends the body whatever its length (the end of the text counts).
    let stop = m
        .gitlab_stop
        .find(text, e, (limit + 1).min(text.len()), |t, i| {
            !gitlab_continues(t, i)
        })
        .unwrap_or(text.len());
    if stop <= limit {
        return Some(stop.max(e));
    }
    // The body reaches `limit`: it ends exactly there if a joining `.` sits there, or if its
    // first run (no `.` before `limit`) is capped at 300; otherwise it goes on (> 300 bytes).
    let dot_at_limit = at(text, limit) == b'.' && is_alnum(at(text, limit + 1));
    (dot_at_limit
        || m.gitlab_dot
            .find(text, e, limit, |t, i| at(t, i) == b'.')
            .is_none())
    .then_some(limit)
}

/// The original body loop, the reference for `gitlab_end`.
#[cfg(test)]
fn gitlab_end_reference(text: &[u8], e: usize) -> usize {
    let mut end = e;
    loop {
        end = run(text, end, 300, is_b64url);
        if at(text, end) == b'.' && is_alnum(at(text, end + 1)) && end - e < 300 {
            end += 1;
        } else {
            break;
        }
    }
    end
}

/// Dash-separated Slack token body: first segment all digits, at least `min_segments` segments,
/// at least 20 bytes. Returns the end (trailing dashes excluded).
fn slack_body(cx: &mut Ctx<'_>, from: usize, min_segments: usize) -> Option<usize> {
    let text = cx.text;
    let m = &mut cx.memo;
    let mut end = m
        .slack_run
        .run(text, from, 512, |b| is_alnum(b) || b == b'-');
    while end > from && at(text, end - 1) == b'-' {
        end -= 1;
    }
    let body = text.get(from..end)?;
    let mut segs = body.split(|&b| b == b'-');
    let first = segs.next()?;
    // Cheapest first; the window checks are memoized (`xoxb-xoxb-...`).
    let ok = !first.is_empty()
        && first.iter().all(u8::is_ascii_digit)
        && body.len() >= 20
        && body
            .split(|&b| b == b'-')
            .nth(min_segments.saturating_sub(1))
            .is_some()
        && m.slack_dashes
            .find(text, from, end - 1, |t, i| {
                at(t, i) == b'-' && at(t, i + 1) == b'-'
            })
            .is_none()
        && !m.slack_weak.weak(text, from, end);
    ok.then_some(end)
}

/// `xoxb-`/`xoxp-`/`xoxa-`/`xoxr-`/`xoxs-`/`xoxo-`/`xoxe-` and `xoxe.xoxb-`/`xoxe.xoxp-`.
pub(super) fn slack_xox(cx: &mut Ctx<'_>, s: usize) {
    if left_glued(cx, s, false).is_none() {
        return;
    }
    let text = cx.text;
    let c = at(text, s + 3);
    let body = if b"baprsoe".contains(&c) && at(text, s + 4) == b'-' {
        s + 5
    } else if c == b'e'
        && at(text, s + 4) == b'.'
        && starts_with_at(text, s + 5, b"xox")
        && matches!(at(text, s + 8), b'b' | b'p')
        && at(text, s + 9) == b'-'
    {
        s + 10
    } else {
        return;
    };
    if let Some(end) = slack_body(cx, body, 2) {
        cx.push(EntityType::SlackToken, s, end, CONF_PREFIXED);
    }
}

/// `xapp-<digit>-<id>-<digits>-<hex>`.
pub(super) fn slack_app(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if !left_ok(cx, s) {
        return;
    }
    if let Some(end) = slack_body(cx, e, 3) {
        cx.push(EntityType::SlackToken, s, end, CONF_PREFIXED);
    }
}

/// `sk_live_`/`sk_test_`/`rk_live_`/`rk_test_` + 10..=247 `[A-Za-z0-9]`; `whsec_` + 24..=128.
pub(super) fn stripe(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let whsec = at(cx.text, s) == b'w';
    // The anchor is `k_live_`/`k_test_`: the token starts one byte earlier, at `s` or `r`.
    let s = if whsec {
        s
    } else {
        match s.checked_sub(1) {
            Some(p) if matches!(at(cx.text, p), b's' | b'r') => p,
            _ => return,
        }
    };
    let glued = if whsec {
        !left_ok(cx, s)
    } else {
        match left_glued(cx, s, false) {
            Some(g) => g,
            None => return,
        }
    };
    if whsec && glued {
        return;
    }
    // Glued to a word: a real key's body (24+ bytes with digits), not `risk_test_cases`.
    let (min, max) = if whsec {
        (24, 128)
    } else if glued {
        (20, 247)
    } else {
        (10, 247)
    };
    let end = run(cx.text, e, max + 1, is_alnum);
    let Some(body) = cx.text.get(e..end) else {
        return;
    };
    if !(min..=max).contains(&body.len())
        || weak_body(body)
        || wordy(body)
        || (glued && !body.iter().any(u8::is_ascii_digit))
    {
        return;
    }
    cx.push(EntityType::StripeKey, s, end, CONF_PREFIXED);
}

/// `sk-ant-<kind><nn>-...` (Anthropic), `sk-proj-`/`sk-svcacct-`/`sk-admin-`/`sk-None-`
/// (OpenAI), legacy OpenAI `sk-` + 32..=64 `[A-Za-z0-9]`.
pub(super) fn sk(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    let p = before(text, s);
    if is_alnum(p) || p == b'-' || p == b'_' {
        return;
    }
    if starts_with_at(text, e, b"ant-") {
        // sk-ant-api03-..., sk-ant-admin01-..., sk-ant-oat01-...
        let kind_start = e + 4;
        let letters = run(text, kind_start, 16, |b| b.is_ascii_lowercase());
        let digits = run(text, letters, 4, |b| b.is_ascii_digit());
        if letters == kind_start || digits == letters || at(text, digits) != b'-' {
            return;
        }
        let body_start = digits + 1;
        let end = run(text, body_start, 512, is_b64url);
        let Some(body) = text.get(body_start..end) else {
            return;
        };
        if body.len() >= 32 && !weak_body(body) && !wordy(body) {
            cx.push(EntityType::AnthropicKey, s, end, CONF_PREFIXED);
        }
        return;
    }
    // OpenRouter: `sk-or-v1-` + 64 hex.
    if starts_with_at(text, e, b"or-v1-") {
        let body_start = e + 6;
        let end = run(text, body_start, 65, |b| b.is_ascii_hexdigit());
        if end - body_start == 64
            && !is_b64url(at(text, end))
            && !text.get(body_start..end).is_some_and(weak_body)
        {
            cx.push(EntityType::ApiKey, s, end, CONF_PREFIXED);
        }
        return;
    }
    for prefix in [&b"proj-"[..], b"svcacct-", b"admin-", b"None-"] {
        if starts_with_at(text, e, prefix) {
            let body_start = e + prefix.len();
            let end = run(text, body_start, 512, is_b64url);
            let Some(body) = text.get(body_start..end) else {
                return;
            };
            if body.len() >= 20 && !weak_body(body) && !wordy(body) {
                cx.push(EntityType::OpenaiKey, s, end, CONF_PREFIXED);
            }
            return;
        }
    }
    let end = run(text, e, 65, is_alnum);
    let Some(body) = text.get(e..end) else {
        return;
    };
    let next = at(text, end);
    let has_digit = body.iter().any(u8::is_ascii_digit);
    let has_letter = body.iter().any(u8::is_ascii_alphabetic);
    if (32..=64).contains(&body.len())
        && next != b'-'
        && next != b'_'
        && has_digit
        && has_letter
        && !weak_body(body)
    {
        cx.push(EntityType::OpenaiKey, s, end, CONF_PREFIXED);
    }
}

/// `AIza` + exactly 35 `[A-Za-z0-9_-]`.
pub(super) fn google(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if !left_ok(cx, s) {
        return;
    }
    let end = run(cx.text, e, 36, is_b64url);
    if end - e != 35 {
        return;
    }
    if cx.text.get(e..end).is_some_and(|b| !weak_body(b)) {
        cx.push(EntityType::GoogleApiKey, s, end, CONF_PREFIXED);
    }
}

/// `npm_` + exactly 36 `[A-Za-z0-9]`.
pub(super) fn npm(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if !left_ok(cx, s) || before(cx.text, s) == b'_' {
        return;
    }
    let end = run(cx.text, e, 37, is_alnum);
    if end - e != 36 || at(cx.text, end) == b'_' {
        return;
    }
    if cx
        .text
        .get(e..end)
        .is_some_and(|b| !weak_body(b) && !wordy(b))
    {
        cx.push(EntityType::NpmToken, s, end, CONF_PREFIXED);
    }
}

/// `SG.` + 22 `[A-Za-z0-9_-]` + `.` + 43 `[A-Za-z0-9_-]`.
pub(super) fn sendgrid(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    let p = before(text, s);
    if is_alnum(p) || p == b'.' {
        return;
    }
    let a = run(text, e, 23, is_b64url);
    if a - e != 22 || at(text, a) != b'.' {
        return;
    }
    let end = run(text, a + 1, 44, is_b64url);
    if end - (a + 1) != 43 {
        return;
    }
    if text.get(e..end).is_some_and(|b| !weak_body(b)) {
        cx.push(EntityType::SendgridKey, s, end, CONF_PREFIXED);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `gitlab_end` agrees with the original loop on every body of at most 300 bytes.
    #[test]
    fn gitlab_end_matches_reference() {
        let mut st = 0x2545_f491_4f6c_dd1du64;
        let mut rnd = move |n: usize| {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            (st as usize) % n
        };
        let mut exactly_300 = 0;
        for round in 0..400 {
            // Long runs, dots, double dots and stops, at lengths around 300.
            let len = 200 + rnd(700);
            let dot_every = 1 + rnd(if round % 3 == 0 { 400 } else { 40 });
            let text: Vec<u8> = (0..len)
                .map(|_| match rnd(dot_every + 2) {
                    0 => b'.',
                    1 if rnd(8) == 0 => b' ',
                    _ => b"aZ9-_"[rnd(5)],
                })
                .collect();
            let mut cx = Ctx {
                text: &text,
                found: Vec::new(),
                key_skip: 0,
                pem: Default::default(),
                memo: Default::default(),
                k8s_secret: None,
            };
            let mut e = 0;
            while e < len {
                let want = gitlab_end_reference(&text, e);
                let got = gitlab_end(&mut cx, e);
                exactly_300 += usize::from(want - e == 300);
                if want - e <= 300 {
                    assert_eq!(got, Some(want), "round {round} at {e}");
                } else {
                    assert_eq!(got, None, "round {round} at {e}");
                }
                let jump = if rnd(10) == 0 { 300 } else { 9 };
                e += 1 + rnd(jump);
            }
        }
        assert!(exactly_300 > 0, "the 300-byte edge was not exercised");
    }
}
