//! Provider tokens with a distinctive prefix: AWS access key ids, GitHub, GitLab, Slack, Stripe,
//! OpenAI, Anthropic, Google API keys, npm, SendGrid. Each anchor is the prefix; the body is
//! checked for charset, length, boundaries and placeholder-ness (`xxxx`, repeated bytes).

use super::{
    CONF_PREFIXED, Ctx, at, before, is_alnum, is_b64url, run, starts_with_at, weak_body, wordy,
};
use crate::entity::EntityType;

/// Tokens must not continue a longer `[A-Za-z0-9]` run on the left.
fn left_ok(cx: &Ctx<'_>, s: usize) -> bool {
    !is_alnum(before(cx.text, s))
}

/// `AKIA`/`ASIA`/... + 16 `[A-Z2-7]`, word-bounded.
pub(super) fn aws_access_key(cx: &mut Ctx<'_>, s: usize) {
    if !left_ok(cx, s) {
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
    {
        return;
    }
    cx.push(EntityType::AwsAccessKey, s, end, CONF_PREFIXED);
}

/// `ghp_`/`gho_`/`ghu_`/`ghs_`/`ghr_` + 36..=255 `[A-Za-z0-9]`.
pub(super) fn github_classic(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if !left_ok(cx, s) {
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
    if !left_ok(cx, s) {
        return;
    }
    let end = run(cx.text, e, 256, |b| is_alnum(b) || b == b'_');
    let Some(body) = cx.text.get(e..end) else {
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
    let mut end = e;
    loop {
        end = run(text, end, 300, is_b64url);
        if at(text, end) == b'.' && is_alnum(at(text, end + 1)) && end - e < 300 {
            end += 1;
        } else {
            break;
        }
    }
    let Some(body) = text.get(e..end) else {
        return;
    };
    if !(20..=300).contains(&body.len()) || weak_body(body) || wordy(body) {
        return;
    }
    cx.push(EntityType::GitlabToken, s, end, CONF_PREFIXED);
}

/// Dash-separated Slack token body: first segment all digits, at least `min_segments` segments,
/// at least 20 bytes. Returns the end (trailing dashes excluded).
fn slack_body(text: &[u8], from: usize, min_segments: usize) -> Option<usize> {
    let mut end = run(text, from, 512, |b| is_alnum(b) || b == b'-');
    while end > from && at(text, end - 1) == b'-' {
        end -= 1;
    }
    let body = text.get(from..end)?;
    let mut segs = body.split(|&b| b == b'-');
    let first = segs.next()?;
    let ok = !first.is_empty()
        && first.iter().all(u8::is_ascii_digit)
        && body.split(|&b| b == b'-').count() >= min_segments
        && body.len() >= 20
        && !weak_body(body)
        && !body.windows(2).any(|w| w == b"--");
    ok.then_some(end)
}

/// `xoxb-`/`xoxp-`/`xoxa-`/`xoxr-`/`xoxs-`/`xoxo-`/`xoxe-` and `xoxe.xoxb-`/`xoxe.xoxp-`.
pub(super) fn slack_xox(cx: &mut Ctx<'_>, s: usize) {
    if !left_ok(cx, s) {
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
    if let Some(end) = slack_body(text, body, 2) {
        cx.push(EntityType::SlackToken, s, end, CONF_PREFIXED);
    }
}

/// `xapp-<digit>-<id>-<digits>-<hex>`.
pub(super) fn slack_app(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if !left_ok(cx, s) {
        return;
    }
    if let Some(end) = slack_body(cx.text, e, 3) {
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
    if !left_ok(cx, s) {
        return;
    }
    let (min, max) = if whsec { (24, 128) } else { (10, 247) };
    let end = run(cx.text, e, max + 1, is_alnum);
    let Some(body) = cx.text.get(e..end) else {
        return;
    };
    if !(min..=max).contains(&body.len()) || weak_body(body) || wordy(body) {
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
