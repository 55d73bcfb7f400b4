//! Structured secrets: JWTs (decoded and checked), PEM private-key blocks (plain or inside JSON
//! strings with `\n` escapes, truncated or whole), URL credentials (an unescaped `#` or `@` in
//! the password included), signed-URL signatures (`api_key`: S3 and CloudFront, Google Cloud
//! Storage, Azure SAS), Sentry DSN keys (`api_key`) and Slack webhook URLs (`/services/`,
//! `/workflows/`, `/triggers/`, over `https://` or `http://`).

use memchr::memmem;

use super::{
    CONF_PREFIXED, Ctx, at, before, is_alnum, is_b64, is_b64url, is_placeholder, run,
    starts_with_at, weak_body,
};
use crate::entity::EntityType;

const CONF_JWT: f64 = 0.97;
const CONF_PEM: f64 = 0.99;
const CONF_URL: f64 = 0.95;

/// Longest JWT segment considered (bytes).
const MAX_JWT_SEGMENT: usize = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// JWT

fn b64url_value(b: u8) -> Option<u32> {
    Some(u32::from(match b {
        b'A'..=b'Z' => b - b'A',
        b'a'..=b'z' => b - b'a' + 26,
        b'0'..=b'9' => b - b'0' + 52,
        b'-' | b'+' => 62,
        b'_' | b'/' => 63,
        _ => return None,
    }))
}

/// Decode unpadded base64url (standard alphabet also accepted, `=` padding ignored).
pub(super) fn b64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    if s.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &b in s {
        acc = (acc << 6) | b64url_value(b)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
    }
    Some(out)
}

fn json_object(seg: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let raw = b64_decode(seg)?;
    match serde_json::from_slice::<serde_json::Value>(&raw).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

/// `eyJ...` header `.` payload `.` signature. Header and payload must decode to JSON objects and
/// the header must name an `alg`; the signature may be empty only when `alg` is `none`
/// (an unsecured JWT still carries its claims). A header that also names an `enc` is an
/// encrypted token (JWE compact serialization, RFC 7516 section 7.1): five segments, header `.`
/// encrypted key `.` IV `.` ciphertext `.` tag, where only the encrypted key may be empty (`dir`).
pub(super) fn jwt(cx: &mut Ctx<'_>, s: usize) {
    let text = cx.text;
    let p = before(text, s);
    if is_b64url(p) || p == b'.' {
        return;
    }
    let h_end = run(text, s, MAX_JWT_SEGMENT, is_b64url);
    if at(text, h_end) != b'.' {
        return;
    }
    let p_end = run(text, h_end + 1, MAX_JWT_SEGMENT, is_b64url);
    if at(text, p_end) != b'.' {
        return;
    }
    let sig_end = run(text, p_end + 1, MAX_JWT_SEGMENT, is_b64url);
    let (Some(header), Some(payload)) = (text.get(s..h_end), text.get(h_end + 1..p_end)) else {
        return;
    };
    let Some(h) = json_object(header) else {
        return;
    };
    let Some(alg) = h.get("alg").and_then(|a| a.as_str()) else {
        return;
    };
    if h.get("enc").is_some_and(serde_json::Value::is_string) {
        // JWE: IV, ciphertext and tag after the (possibly empty) encrypted key.
        let mut end = p_end;
        for _ in 0..3 {
            if at(text, end) != b'.' {
                return;
            }
            let next = run(text, end + 1, MAX_JWT_SEGMENT, is_b64url);
            if next == end + 1 {
                return;
            }
            end = next;
        }
        // A sixth segment: not a JWE (a `.` that ends a sentence is fine).
        if !(at(text, end) == b'.' && is_b64url(at(text, end + 1))) {
            cx.push(EntityType::Jwt, s, end, CONF_JWT);
        }
        return;
    }
    if p_end == h_end + 1 || json_object(payload).is_none() {
        return;
    }
    if sig_end == p_end + 1 {
        if !alg.eq_ignore_ascii_case("none") {
            return;
        }
        // Unsecured JWT: keep the trailing dot.
        cx.push(EntityType::Jwt, s, p_end + 1, CONF_JWT);
        return;
    }
    cx.push(EntityType::Jwt, s, sig_end, CONF_JWT);
}

// ---------------------------------------------------------------------------------------------
// PEM private keys

/// Cached forward searches so many `-----BEGIN` anchors stay linear.
#[derive(Debug, Default)]
pub(super) struct PemCache {
    /// (searched from, next `-----END ` at or after it).
    end: Option<(usize, Option<usize>)>,
    /// (searched from, next `-----BEGIN` at or after it).
    begin: Option<(usize, Option<usize>)>,
}

fn cached_find(
    cache: &mut Option<(usize, Option<usize>)>,
    text: &[u8],
    from: usize,
    needle: &[u8],
) -> Option<usize> {
    if let Some((searched, found)) = *cache
        && searched <= from
        && found.is_none_or(|f| f >= from)
    {
        return found;
    }
    let found = text
        .get(from..)
        .and_then(|t| memmem::find(t, needle))
        .map(|i| from + i);
    *cache = Some((from, found));
    found
}

/// Parse `-----BEGIN <label>-----` / `-----END <label>-----` at `i` (after the dashes and
/// keyword). Returns (label end, line end after the closing dashes).
fn pem_label(text: &[u8], i: usize) -> Option<(usize, usize)> {
    if at(text, i) != b' ' {
        return None;
    }
    let label_start = i + 1;
    let label_end = run(text, label_start, 48, |b| {
        b.is_ascii_uppercase() || b.is_ascii_digit() || b == b' '
    });
    let label = text.get(label_start..label_end)?;
    if !(label.ends_with(b"PRIVATE KEY") || label.ends_with(b"PRIVATE KEY BLOCK")) {
        return None;
    }
    starts_with_at(text, label_end, b"-----").then_some((label_end, label_end + 5))
}

/// Line breaks inside a PEM body: a real newline / CR, or the two-byte escapes `\n`, `\r` of a
/// JSON string. Returns the number of bytes of the break at `i` (0 if none).
fn line_break(text: &[u8], i: usize) -> usize {
    match at(text, i) {
        b'\n' | b'\r' => 1,
        b'\\' if matches!(at(text, i + 1), b'n' | b'r') => 2,
        _ => 0,
    }
}

/// A PEM header line (`Proc-Type: 4,ENCRYPTED`, `DEK-Info: ...`, `Version: ...`, `Comment: ...`).
fn is_header_line(line: &[u8]) -> bool {
    let name = line.iter().take_while(|&&b| b != b':').count();
    name > 0
        && name < line.len()
        && line
            .iter()
            .take(name)
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
}

/// Statistics of a complete body: (base64 bytes, dirty = some line is neither base64 nor header).
fn body_stats(body: &[u8]) -> (usize, bool) {
    let mut count = 0usize;
    let mut dirty = false;
    let mut i = 0usize;
    while i < body.len() {
        let lb = line_break(body, i);
        if lb > 0 {
            i += lb;
            continue;
        }
        // Fast path: a line of base64 (what real keys are made of).
        let j = run(body, i, usize::MAX, is_b64);
        if j >= body.len() || line_break(body, j) > 0 {
            count += j - i;
            i = j;
            continue;
        }
        let mut k = j;
        while k < body.len() && line_break(body, k) == 0 {
            k += 1;
        }
        let line = body.get(i..k).unwrap_or_default().trim_ascii();
        if !line.is_empty() && !is_header_line(line) {
            let b64 = line.iter().filter(|&&b| is_b64(b)).count();
            count += b64;
            dirty |= b64 != line.len();
        }
        i = k;
    }
    (count, dirty)
}

/// A truncated body (no END line): consume base64 lines until the first line that is not
/// base64, or the first short line (the last line of a PEM body). Returns (end, base64 bytes).
fn truncated_body(text: &[u8], from: usize, limit: usize) -> (usize, usize) {
    let mut end = from;
    let mut count = 0usize;
    let mut i = from;
    let mut seen_body = false;
    while i < limit {
        let lb = line_break(text, i);
        if lb > 0 {
            i += lb;
            continue;
        }
        let line_start = run(text, i, 64, |b| b == b' ' || b == b'\t');
        let b64_end = run(text, line_start, limit.saturating_sub(line_start), is_b64);
        let line_len = b64_end - line_start;
        let at_break = b64_end >= limit || line_break(text, b64_end) > 0;
        if line_len == 0 {
            // Maybe a header line before the body.
            let mut j = line_start;
            while j < limit && line_break(text, j) == 0 {
                j += 1;
            }
            let line = text.get(line_start..j).unwrap_or_default().trim_ascii();
            if !seen_body && !line.is_empty() && is_header_line(line) {
                i = j;
                continue;
            }
            break;
        }
        if !seen_body && !at_break && is_header_line_prefix(text, line_start, limit) {
            let mut j = line_start;
            while j < limit && line_break(text, j) == 0 {
                j += 1;
            }
            i = j;
            continue;
        }
        seen_body = true;
        count += line_len;
        end = b64_end;
        if !at_break || line_len < 56 {
            break;
        }
        i = b64_end;
    }
    (end, count)
}

fn is_header_line_prefix(text: &[u8], start: usize, limit: usize) -> bool {
    let name_end = run(text, start, 64, |b| b.is_ascii_alphanumeric() || b == b'-');
    name_end < limit && name_end > start && at(text, name_end) == b':'
}

/// `-----BEGIN [RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP ...]PRIVATE KEY[ BLOCK]-----` through the
/// matching END line; when END is missing (truncated), through the end of the base64 body.
pub(super) fn pem(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    let Some((_, begin_end)) = pem_label(text, e) else {
        return;
    };
    let next_begin = cached_find(&mut cx.pem.begin, text, begin_end, b"-----BEGIN");
    let limit = next_begin.unwrap_or(text.len());
    let end_at = cached_find(&mut cx.pem.end, text, begin_end, b"-----END").filter(|&q| q < limit);
    if let Some(q) = end_at
        && let Some((_, line_end)) = pem_label(text, q + 8)
    {
        let (count, dirty) = body_stats(text.get(begin_end..q).unwrap_or_default());
        if count >= 24 && (!dirty || count >= 200) {
            cx.push(EntityType::PrivateKey, s, line_end, CONF_PEM);
        }
        return;
    }
    let (end, count) = truncated_body(text, begin_end, end_at.unwrap_or(limit));
    if count >= 24 {
        cx.push(EntityType::PrivateKey, s, end, CONF_PEM);
    }
}

// ---------------------------------------------------------------------------------------------
// URL credentials

fn is_scheme_byte(b: u8) -> bool {
    is_alnum(b) || matches!(b, b'+' | b'.' | b'-')
}

/// Bytes that end a URL authority (and cannot be in an unencoded userinfo).
fn ends_authority(b: u8) -> bool {
    b <= b' '
        || b >= 0x7F
        || matches!(
            b,
            b'/' | b'?'
                | b'#'
                | b'"'
                | b'\''
                | b'`'
                | b'<'
                | b'>'
                | b'\\'
                | b'|'
                | b'^'
                | b')'
                | b']'
        )
}

/// `scheme://user:pass@host`: the finding is the userinfo `user:pass` (password non-empty and
/// not a placeholder). The last `@` of the authority delimits the host, so unencoded `@` in a
/// password is covered.
pub(super) fn url_credentials(cx: &mut Ctx<'_>, s: usize) {
    let text = cx.text;
    // Scheme: letters first, then [A-Za-z0-9+.-].
    let mut k = s;
    while k > 0 && s - k < 32 && is_scheme_byte(before(text, k)) {
        k -= 1;
    }
    while k < s && !at(text, k).is_ascii_alphabetic() {
        k += 1;
    }
    if k == s {
        return;
    }
    let a = s + 3;
    url_signature(cx, a);
    let mut auth_end = run(text, a, 512, |b| !ends_authority(b));
    chat_webhook(cx, k, a, auth_end);
    if at(text, auth_end) == b'#' {
        // An unescaped `#` in the password (`https://user:p@ss#1@host`): the authority goes on
        // when an `@` follows before the path, with a `:` before the `#`.
        let ext = run(text, a, 512, |b| b == b'#' || !ends_authority(b));
        let has_colon = text
            .get(a..auth_end)
            .is_some_and(|w| memchr::memchr(b':', w).is_some());
        if has_colon
            && text
                .get(auth_end..ext)
                .is_some_and(|w| memchr::memchr(b'@', w).is_some())
        {
            auth_end = ext;
        }
    }
    let Some(authority) = text.get(a..auth_end) else {
        return;
    };
    let Some(at_pos) = memchr::memrchr(b'@', authority) else {
        return;
    };
    let host_first = at(text, a + at_pos + 1);
    if !(is_alnum(host_first) || host_first == b'[') {
        return;
    }
    let Some(userinfo) = authority.get(..at_pos) else {
        return;
    };
    let Some(colon) = memchr::memchr(b':', userinfo) else {
        sentry_dsn(
            cx,
            a,
            userinfo,
            authority.get(at_pos + 1..).unwrap_or_default(),
        );
        return;
    };
    let Some(pass) = userinfo.get(colon + 1..) else {
        return;
    };
    if pass.is_empty() || is_placeholder(pass) {
        return;
    }
    cx.push(EntityType::UrlCredentials, a, a + at_pos, CONF_URL);
}

/// Longest URL searched for a signature (a Google V4 signature alone is 512 hex digits).
const MAX_SIGNED_URL: usize = 8 * 1024;

/// Bytes that end a URL in running text, JSON, HTML or a shell line.
const fn ends_url(b: u8) -> bool {
    b <= b' ' || b >= 0x7F || matches!(b, b'"' | b'\'' | b'`' | b'<' | b'>' | b'\\' | b'|' | b'^')
}

/// `!ends_url(b)` for every byte: the walk to a URL's end is one table load per byte (it runs
/// for every `://`).
static URL_BYTE: [bool; 256] = url_bytes();

#[expect(
    clippy::indexing_slicing,
    reason = "const evaluation; b < 256 indexes a [bool; 256]"
)]
const fn url_bytes() -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = !ends_url(b as u8);
        b += 1;
    }
    t
}

fn url_byte(b: u8) -> bool {
    URL_BYTE.get(usize::from(b)).copied().unwrap_or(false)
}

/// A signed URL's signature: anyone holding the URL has the signer's access to the object until
/// it expires, so the signature is a credential (`api_key`; the rest of the URL stays readable).
/// The query (parameters split at `&`, or `&amp;` in HTML) must carry the scheme's other
/// parameters:
/// - AWS SigV4 (S3 presigned): `X-Amz-Signature` = 64 hex digits, with `X-Amz-Credential`;
/// - Google Cloud Storage V4: `X-Goog-Signature` = 64+ hex digits, with `X-Goog-Credential`;
/// - Azure SAS: `sig` = percent-encoded base64 of 32 bytes, with the signed version `sv`;
/// - CloudFront and AWS SigV2: `Signature` = 27+ base64 bytes (`~ - _` allowed), with
///   `Key-Pair-Id` or `AWSAccessKeyId`.
///
/// AWS's documentation example (its credential names `AKIAIOSFODNN7EXAMPLE`) is not reported.
/// Linear in the text however many `://` it holds: the walk to the URL's end and the search for
/// its `?` are memoized (anchors inside one URL share them), and each byte of a query is read
/// once (a nested URL's parameters count as the outer query's).
fn url_signature(cx: &mut Ctx<'_>, a: usize) {
    let text = cx.text;
    let end = cx.memo.url_run.run(text, a, MAX_SIGNED_URL, url_byte);
    let Some(q) = cx
        .memo
        .url_query
        .find(text, a, end, |t, i| at(t, i) == b'?')
    else {
        return;
    };
    // A `?` inside a query already read (a URL nested in a parameter, or the next anchor of one
    // long URL): its parameters were among that query's.
    if q < cx.memo.url_read_to {
        return;
    }
    cx.memo.url_read_to = end;
    let Some(query) = text.get(q + 1..end) else {
        return;
    };
    if memmem::find(query, b"EXAMPLE").is_some() {
        return;
    }
    // One pass over the parameters: which scheme parameters are present, and the candidate
    // signatures (kind, value start in `text`, value).
    let (mut amz, mut goog, mut sv, mut key_pair) = (false, false, false, false);
    let mut sigs: Vec<(u8, usize, &[u8])> = Vec::new();
    let mut off = q + 1;
    for p in query.split(|&b| b == b'&') {
        let mut start = off;
        off += p.len() + 1;
        let p = match p.strip_prefix(b"amp;") {
            Some(rest) => {
                start += 4;
                rest
            }
            None => p,
        };
        let Some(eq) = memchr::memchr(b'=', p) else {
            continue;
        };
        let name = p.get(..eq).unwrap_or_default();
        let value = p.get(eq + 1..).unwrap_or_default();
        let is = |n: &[u8]| name.eq_ignore_ascii_case(n);
        if is(b"X-Amz-Credential") {
            amz = true;
        } else if is(b"X-Goog-Credential") {
            goog = true;
        } else if is(b"sv") {
            sv = true;
        } else if is(b"Key-Pair-Id") || is(b"AWSAccessKeyId") {
            key_pair = true;
        } else if is(b"X-Amz-Signature") {
            sigs.push((b'a', start + eq + 1, value));
        } else if is(b"X-Goog-Signature") {
            sigs.push((b'g', start + eq + 1, value));
        } else if is(b"sig") {
            sigs.push((b'z', start + eq + 1, value));
        } else if is(b"Signature") {
            sigs.push((b'c', start + eq + 1, value));
        }
    }
    for (kind, vs, value) in sigs {
        let hex = value.iter().all(u8::is_ascii_hexdigit);
        let ok = match kind {
            b'a' => amz && hex && value.len() == 64,
            b'g' => goog && hex && value.len() >= 64,
            b'z' => sv && sas_signature(value),
            _ => {
                key_pair
                    && value.len() >= 27
                    && value
                        .iter()
                        .all(|&b| is_b64url(b) || matches!(b, b'~' | b'+' | b'/' | b'=' | b'%'))
            }
        };
        if ok && !weak_body(value) {
            cx.push_vendor(EntityType::ApiKey, vs, vs + value.len(), CONF_URL);
        }
    }
}

/// An Azure SAS `sig`: base64 of a 32-byte HMAC-SHA256, percent-encoded or not (43 base64
/// characters and one `=`).
fn sas_signature(v: &[u8]) -> bool {
    let mut n = 0usize;
    let mut i = 0usize;
    let mut pad = 0usize;
    while let Some(&b) = v.get(i) {
        let c = if b == b'%' {
            let h = v.get(i + 1..i + 3).unwrap_or_default();
            i += 2;
            match h {
                [b'2', b'B' | b'b'] => b'+',
                [b'2', b'F' | b'f'] => b'/',
                [b'3', b'D' | b'd'] => b'=',
                _ => return false,
            }
        } else {
            b
        };
        i += 1;
        if c == b'=' {
            pad += 1;
        } else if pad > 0 || !(is_alnum(c) || c == b'+' || c == b'/') {
            return false;
        } else {
            n += 1;
        }
    }
    n == 43 && pad == 1
}

/// A Sentry DSN (`https://<32 hex public key>@o123.ingest.sentry.io/456`): the key, as `api_key`.
fn sentry_dsn(cx: &mut Ctx<'_>, a: usize, userinfo: &[u8], host: &[u8]) {
    if userinfo.len() == 32
        && userinfo
            .iter()
            .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && memchr::memmem::find(host, b"sentry").is_some()
        && !weak_body(userinfo)
    {
        cx.push_vendor(EntityType::ApiKey, a, a + 32, CONF_URL);
    }
}

// ---------------------------------------------------------------------------------------------
// Slack webhooks

/// `https://hooks.slack.com/services/T.../B.../<secret>`: the whole URL.
/// A Discord or Microsoft Teams incoming-webhook URL (scheme at `start`, host `text[a..host_end]`):
/// like a Slack one, it lets anyone who has it post to the channel, so the whole URL is the
/// secret. Discord: `discord.com/api/webhooks/<17-20 digit id>/<60-100 byte token>` (also
/// `discordapp.com`, `canary.`/`ptb.`). Teams: `<tenant>.webhook.office.com/webhookb2/` (or the
/// retired `outlook.office.com/webhook/`) `<GUID>@<GUID>/IncomingWebhook/<32 hex>/<GUID>`, and
/// whatever path part follows.
fn chat_webhook(cx: &mut Ctx<'_>, start: usize, a: usize, host_end: usize) {
    let text = cx.text;
    let host = text.get(a..host_end).unwrap_or_default();
    let end =
        if host == b"discord.com" || host == b"discordapp.com" || host.ends_with(b".discord.com") {
            let k = host_end + b"/api/webhooks/".len();
            if !starts_with_at(text, host_end, b"/api/webhooks/") {
                return;
            }
            let id_end = run(text, k, 21, |b| b.is_ascii_digit());
            if !(17..=20).contains(&(id_end - k)) || at(text, id_end) != b'/' {
                return;
            }
            let end = run(text, id_end + 1, 101, is_b64url);
            if !(60..=100).contains(&(end - id_end - 1))
                || text.get(id_end + 1..end).is_some_and(weak_body)
            {
                return;
            }
            end
        } else if host.ends_with(b".webhook.office.com") || host == b"outlook.office.com" {
            let path: &[u8] = if host.ends_with(b"webhook.office.com") {
                b"/webhookb2/"
            } else {
                b"/webhook/"
            };
            if !starts_with_at(text, host_end, path) {
                return;
            }
            let k = host_end + path.len();
            let guid = |i: usize| text.get(i..i + 36).is_some_and(super::vendor::is_uuid);
            let hook = k + 73 + b"/IncomingWebhook/".len();
            let ok = guid(k)
                && at(text, k + 36) == b'@'
                && guid(k + 37)
                && starts_with_at(text, k + 73, b"/IncomingWebhook/")
                && text.get(hook..hook + 32).is_some_and(|h| {
                    h.iter()
                        .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
                })
                && at(text, hook + 32) == b'/'
                && guid(hook + 33);
            if !ok {
                return;
            }
            // A newer URL goes on with a further path part (`/V2...`).
            let mut end = hook + 69;
            if at(text, end) == b'/' && is_b64url(at(text, end + 1)) {
                end = run(text, end + 1, 128, is_b64url);
            }
            end
        } else {
            return;
        };
    cx.push(EntityType::ApiKey, start, end, CONF_PREFIXED);
}

pub(super) fn slack_webhook(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    let start = if s >= 8 && starts_with_at(text, s - 8, b"https://") {
        s - 8
    } else if s >= 7 && starts_with_at(text, s - 7, b"http://") {
        s - 7
    } else {
        let p = before(text, s);
        if is_alnum(p) || p == b'.' {
            return;
        }
        s
    };
    // `/services/T.../B.../<secret>`, `/workflows/T.../A.../<digits>/<secret>`,
    // `/triggers/T.../<digits>/<secret>`: (path, segments before the secret).
    let kinds: [(&[u8], &[u8]); 3] = [
        (b"/services/", b"TB"),
        (b"/workflows/", b"TA0"),
        (b"/triggers/", b"T0"),
    ];
    let Some((path, segs)) = kinds.iter().find(|k| starts_with_at(text, e, k.0)) else {
        return;
    };
    let upper_id = |b: u8| b.is_ascii_uppercase() || b.is_ascii_digit();
    let mut k = e + path.len();
    for &seg in *segs {
        let seg_end = if seg == b'0' {
            run(text, k, 32, |b| b.is_ascii_digit())
        } else {
            run(text, k, 32, upper_id)
        };
        if (seg != b'0' && at(text, k) != seg) || seg_end - k < 9 || at(text, seg_end) != b'/' {
            return;
        }
        k = seg_end + 1;
    }
    let end = run(text, k, 41, is_alnum);
    if !(20..=40).contains(&(end - k)) {
        return;
    }
    if text.get(k..end).is_some_and(|v| !weak_body(v)) {
        cx.push(EntityType::SlackWebhook, start, end, CONF_PREFIXED);
    }
}
