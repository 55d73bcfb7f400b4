//! Keyed secrets — a key name, a separator, a value — and bearer tokens.
//!
//! A keyword anchor (`pass`, `pwd`, `secret`, `token`, `key`, `auth`, `cred`) is widened to the
//! whole key identifier (`DB_PASSWORD`, `x-api-key`, `spring.datasource.password`, `--token`),
//! then a separator is required: `=`, `:`, `:=`, `=>` (after an optional closing quote of the
//! key), a space after a `--flag`, or `<key>value</key>`. The key's words decide the type:
//! - last word `password`/`passwd`/`passphrase`/`pwd`/`pass` → `password_assignment`;
//! - `aws_secret_access_key` and friends with a 40-byte value → `aws_secret_key`;
//! - a token/secret/credential/auth word, or `key` qualified by `api`/`access`/`private`/... →
//!   `api_key`, only for a high-entropy value.
//!
//! The finding is the value only (no key, separator or quotes).

use super::structured::b64_decode;
use super::{
    Ctx, at, before, contains, entropy, eq_ic, is_alnum, is_placeholder, random_enough, run,
    starts_with_at, weak_body,
};
use crate::entity::EntityType;

const CONF_PASSWORD: f64 = 0.90;
const CONF_API_KEY: f64 = 0.94;
const CONF_AWS_SECRET: f64 = 0.95;
const CONF_BEARER: f64 = 0.92;

/// Longest key identifier and value considered (bytes).
const MAX_KEY: usize = 64;
const MAX_VALUE: usize = 512;

fn is_key_byte(b: u8) -> bool {
    is_alnum(b) || matches!(b, b'_' | b'.' | b'-')
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// The generic secret charset `[A-Za-z0-9_\-+/=.]`.
fn is_api_byte(b: u8) -> bool {
    is_alnum(b) || matches!(b, b'_' | b'-' | b'+' | b'/' | b'=' | b'.')
}

/// Bytes of an unquoted password: printable ASCII except quotes and delimiters, and non-ASCII
/// (UTF-8 passwords). The value then ends before an ASCII byte, on a character boundary.
fn is_bare_password_byte(b: u8) -> bool {
    (b >= 0x80 || (0x21..=0x7E).contains(&b))
        && !matches!(
            b,
            b'"' | b'\'' | b'`' | b',' | b';' | b'(' | b')' | b']' | b'}' | b'<' | b'>' | b'\\'
        )
}

/// In a URL query (`?password=x&user=y`) `&` ends the value; in `.env` files it is a character.
fn is_bare_query_password_byte(b: u8) -> bool {
    b != b'&' && is_bare_password_byte(b)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Password,
    AwsSecret,
    Generic,
}

const MAX_WORDS: usize = 16;
const WORD_BUF: usize = 192;

/// The lower-case words of a key, split on non-alphanumerics and camelCase boundaries
/// (`DB_PASSWORD` → db, password; `secretAccessKey` → secret, access, key; `APIKey` → api, key),
/// in stack buffers (this runs for every keyword followed by a separator).
struct Words {
    buf: [u8; WORD_BUF],
    len: usize,
    spans: [(usize, usize); MAX_WORDS],
    n: usize,
}

impl Words {
    fn new() -> Words {
        Words {
            buf: [0; WORD_BUF],
            len: 0,
            spans: [(0, 0); MAX_WORDS],
            n: 0,
        }
    }

    fn push_byte(&mut self, b: u8) {
        if let Some(d) = self.buf.get_mut(self.len) {
            *d = b;
            self.len += 1;
        }
    }

    /// Close the current word (bytes since the last span's end).
    fn close(&mut self) {
        let start = self
            .n
            .checked_sub(1)
            .and_then(|i| self.spans.get(i))
            .map_or(0, |s| s.1);
        if self.len > start
            && let Some(slot) = self.spans.get_mut(self.n)
        {
            *slot = (start, self.len);
            self.n += 1;
        }
        // Too many words: drop the extra bytes so spans stay consistent.
        if self.n == MAX_WORDS {
            self.len = self.spans.get(MAX_WORDS - 1).map_or(0, |s| s.1);
        }
    }

    fn add_key(&mut self, key: &[u8]) {
        for (i, &b) in key.iter().enumerate() {
            if !is_alnum(b) {
                self.close();
                continue;
            }
            let prev = i
                .checked_sub(1)
                .and_then(|j| key.get(j))
                .copied()
                .unwrap_or(0);
            let next = key.get(i + 1).copied().unwrap_or(0);
            let boundary = b.is_ascii_uppercase()
                && (prev.is_ascii_lowercase()
                    || (prev.is_ascii_uppercase() && next.is_ascii_lowercase()));
            if boundary {
                self.close();
            }
            self.push_byte(b.to_ascii_lowercase());
        }
        self.close();
    }

    fn word(&self, i: usize) -> &[u8] {
        self.spans
            .get(i)
            .and_then(|&(a, b)| self.buf.get(a..b))
            .unwrap_or_default()
    }

    fn last(&self) -> &[u8] {
        self.n.checked_sub(1).map_or(&[][..], |i| self.word(i))
    }

    fn prev(&self) -> &[u8] {
        self.n.checked_sub(2).map_or(&[][..], |i| self.word(i))
    }

    /// All words, concatenated.
    fn joined(&self) -> &[u8] {
        let end = self
            .n
            .checked_sub(1)
            .and_then(|i| self.spans.get(i))
            .map_or(0, |s| s.1);
        self.buf.get(..end).unwrap_or_default()
    }
}

/// Words that may follow the secret word without changing what the value is
/// (`SECRET_KEY_BASE`, `api_key_value`, `token_b64`, `API_KEY_2`).
const TRAILING: &[&str] = &[
    "base", "value", "val", "b64", "base64", "hex", "raw", "str", "string", "encoded",
];

/// Qualifiers that make a `key` a secret key.
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "client",
    "auth",
    "encryption",
    "encrypt",
    "signing",
    "sign",
    "master",
    "app",
    "application",
    "service",
    "account",
    "admin",
    "license",
    "licence",
    "session",
    "webhook",
    "hmac",
    "shared",
    "consumer",
    "subscription",
    "storage",
    "jwt",
    "crypto",
    "cipher",
    "aes",
    "ssh",
    "deploy",
    "developer",
    "root",
    "server",
    "merchant",
    "integration",
    "bot",
    "openai",
    "anthropic",
    "stripe",
    "sendgrid",
    "mailgun",
    "twilio",
];

/// `..._token` keys that hold no secret (pagination cursors, LLM tokenizer settings).
const TOKEN_EXCLUDED: &[&str] = &[
    "page",
    "next",
    "prev",
    "pagination",
    "continuation",
    "sync",
    "cancellation",
    "max",
    "min",
    "total",
    "num",
    "eos",
    "bos",
    "pad",
    "unk",
    "sep",
    "cls",
    "mask",
    "start",
    "end",
    "special",
    "input",
    "output",
    "prompt",
    "completion",
    "stop",
];

fn word_in(w: &[u8], list: &[&str]) -> bool {
    list.iter().any(|x| w == x.as_bytes())
}

fn classify(words: &mut Words) -> Option<Class> {
    while words.n > 1 && {
        let w = words.last();
        word_in(w, TRAILING) || w.iter().all(u8::is_ascii_digit)
    } {
        words.n -= 1;
    }
    let last = words.last();
    if last.is_empty() {
        return None;
    }
    let prev = words.prev();
    if last.ends_with(b"password")
        || last.ends_with(b"passwd")
        || last.ends_with(b"passphrase")
        || word_in(last, &["pwd", "pass", "pswd", "passw"])
    {
        return Some(Class::Password);
    }
    let joined = words.joined();
    if contains(joined, b"secretaccesskey")
        || (contains(joined, b"aws")
            && (last == b"secret" || last == b"secretkey" || (last == b"key" && prev == b"secret")))
    {
        return Some(Class::AwsSecret);
    }
    let generic = last == b"auth"
        || last == b"authorization"
        || (last.ends_with(b"token") && !word_in(prev, TOKEN_EXCLUDED))
        || last.ends_with(b"secret")
        || last.ends_with(b"apikey")
        || word_in(
            last,
            &[
                "secrets",
                "accesskey",
                "secretkey",
                "privatekey",
                "authkey",
                "signingkey",
                "masterkey",
                "encryptionkey",
                "credential",
                "credentials",
                "creds",
                "cred",
            ],
        )
        || (last == b"key" && word_in(prev, KEY_QUALIFIERS));
    generic.then_some(Class::Generic)
}

/// Where the value starts after a key ending at `ke`.
struct Sep {
    value: usize,
    /// `=` with whitespace before it (`x = y`): code, where a bare identifier is a variable.
    spaced_eq: bool,
    /// `<key>value</key>`.
    xml: bool,
}

fn parse_separator(text: &[u8], ke: usize, cli: bool, open: u8) -> Option<Sep> {
    let mut i = ke;
    if open == b'<' && at(text, i) == b'>' {
        return Some(Sep {
            value: i + 1,
            spaced_eq: false,
            xml: true,
        });
    }
    if at(text, i) == b'\\' && matches!(at(text, i + 1), b'"' | b'\'') {
        i += 2;
    } else if matches!(at(text, i), b'"' | b'\'' | b'`') {
        i += 1;
    }
    let ws = run(text, i, 16, is_space) - i;
    i += ws;
    let mut eq = false;
    match at(text, i) {
        b'=' => {
            match at(text, i + 1) {
                b'=' => return None,
                b'>' => i += 2,
                _ => i += 1,
            }
            eq = true;
        }
        b':' => match at(text, i + 1) {
            b':' => return None,
            b'=' => i += 2,
            _ => i += 1,
        },
        b if cli && ws > 0 && b != b'-' && b > b' ' => {
            return Some(Sep {
                value: i,
                spaced_eq: false,
                xml: false,
            });
        }
        _ => return None,
    }
    i = run(text, i, 16, is_space);
    Some(Sep {
        value: i,
        spaced_eq: eq && ws > 0,
        xml: false,
    })
}

/// The charset of a bare value; each has its own run memo in `Memos::value_run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Bare {
    Api = 0,
    Password = 1,
    QueryPassword = 2,
    Xml = 3,
}

impl Bare {
    fn pred(self) -> fn(u8) -> bool {
        match self {
            Bare::Api => is_api_byte,
            Bare::Password => is_bare_password_byte,
            Bare::QueryPassword => is_bare_query_password_byte,
            Bare::Xml => |b| b != b'<' && b != b'\n',
        }
    }
}

/// A value: (start, end, quoted). Quoted values end at the matching quote on the same line
/// (`\"` escaped JSON-in-JSON quotes are understood); bare values end at `bare`'s first
/// non-member, trailing `.` dropped.
fn read_value(cx: &mut Ctx<'_>, i: usize, bare: Bare) -> Option<(usize, usize, bool)> {
    let text = cx.text;
    let (quote, escaped, vs) = if at(text, i) == b'\\' && matches!(at(text, i + 1), b'"' | b'\'') {
        (at(text, i + 1), true, i + 2)
    } else if matches!(at(text, i), b'"' | b'\'' | b'`') {
        (at(text, i), false, i + 1)
    } else {
        // Anchors inside an earlier value re-read the same run: remember it.
        let pred = bare.pred();
        let mut end = match cx.memo.value_run.get_mut(bare as usize) {
            Some(m) => m.run(text, i, MAX_VALUE, pred),
            None => run(text, i, MAX_VALUE, pred),
        };
        while end > i && at(text, end - 1) == b'.' {
            end -= 1;
        }
        return Some((i, end, false));
    };
    let mut j = vs;
    while j < text.len() && j - vs <= MAX_VALUE {
        let b = at(text, j);
        if b == b'\n' || b == b'\r' {
            return None;
        }
        if b == quote {
            return Some((vs, j, true));
        }
        if b == b'\\' {
            if escaped && at(text, j + 1) == quote {
                return Some((vs, j, true));
            }
            j += 2;
            continue;
        }
        j += 1;
    }
    None
}

/// Extra type-like words an unquoted password value may be (`password: Option<String>`).
const TYPE_WORDS: &[&str] = &[
    "option",
    "secretstr",
    "secretstring",
    "bytes",
    "text",
    "varchar",
    "char",
    "any",
    "object",
    "unknown",
    "int",
    "bool",
];

fn is_identifier(v: &[u8]) -> bool {
    v.first()
        .is_some_and(|&b| b.is_ascii_alphabetic() || b == b'_')
        && v.iter().all(|&b| is_alnum(b) || b == b'_')
}

fn password_ok(v: &[u8], quoted: bool, sep: &Sep, key_is_pwd: bool, next: u8) -> bool {
    if v.len() < 3 || v.len() > 256 || is_placeholder(v) {
        return false;
    }
    if key_is_pwd && matches!(v.first(), Some(b'/' | b'~')) {
        // `PWD=/home/user` is the working directory.
        return false;
    }
    if quoted {
        // A sentence, not a password.
        return v.iter().filter(|&&b| b == b' ').count() < 3;
    }
    if (!sep.xml && matches!(next, b'(' | b'<' | b'[')) || TYPE_WORDS.iter().any(|w| eq_ic(v, w)) {
        return false;
    }
    // `args.password`, `process.env.DB_PASS`, `self.pwd`: a reference, not a value.
    if v.contains(&b'.') && v.split(|&b| b == b'.').all(is_identifier) {
        return false;
    }
    // `password = user_password` / `password = dbPass` in code: a variable.
    if sep.spaced_eq && is_identifier(v) {
        let camel = v
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.is_ascii_lowercase() && b.is_ascii_uppercase()));
        if v.contains(&b'_') || camel {
            return false;
        }
    }
    true
}

/// Generic keyed value check: `v.len() <= MAX_VALUE && all api bytes && !is_placeholder(v) &&
/// random_enough(v)` on `v = text[vs..ve]`, reordered cheapest first and with the window checks
/// memoized (anchors inside an earlier rejected value re-check most of the same bytes).
/// `bare_api`: the value was read as a run of api bytes.
fn api_value_ok(cx: &mut Ctx<'_>, vs: usize, ve: usize, bare_api: bool) -> bool {
    let text = cx.text;
    let Some(v) = text.get(vs..ve) else {
        return false;
    };
    if v.len() < 16 || v.len() > MAX_VALUE {
        return false;
    }
    let m = &mut cx.memo;
    let digit = m
        .api_digit
        .find(text, vs, ve, |t, i| at(t, i).is_ascii_digit())
        .is_some();
    let lower = m
        .api_lower
        .find(text, vs, ve, |t, i| at(t, i).is_ascii_lowercase())
        .is_some();
    let upper = m
        .api_upper
        .find(text, vs, ve, |t, i| at(t, i).is_ascii_uppercase())
        .is_some();
    ((digit && (lower || upper)) || (lower && upper))
        && (bare_api || v.iter().all(|&b| is_api_byte(b)))
        && !m.api_wordy.wordy(text, vs, ve)
        && !m.api_weak.weak(text, vs, ve)
        && entropy(v) >= 3.0
        && !is_placeholder(v)
}

/// `Authorization: Basic <base64 user:pass>`: the base64 credentials.
fn basic_credentials(cx: &mut Ctx<'_>, i: usize) -> bool {
    let text = cx.text;
    let open = usize::from(matches!(at(text, i), b'"' | b'\''));
    let b = i + open;
    if !text
        .get(b..b + 6)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"basic "))
    {
        return false;
    }
    let vs = run(text, b + 6, 8, is_space);
    let ve = run(text, vs, MAX_VALUE, |c| {
        is_alnum(c) || matches!(c, b'+' | b'/' | b'=')
    });
    let Some(v) = text.get(vs..ve) else {
        return false;
    };
    if v.len() < 8 || is_alnum(at(text, ve)) {
        return false;
    }
    let decoded = b64_decode(v).unwrap_or_default();
    let Some(colon) = decoded.iter().position(|&c| c == b':') else {
        return false;
    };
    if colon == 0 || colon + 1 >= decoded.len() || decoded.iter().any(|&c| c < 0x20) {
        return false;
    }
    cx.push(EntityType::ApiKey, vs, ve, CONF_API_KEY);
    cx.key_skip = cx.key_skip.max(ve);
    true
}

/// A keyword anchor at `[s, e)`.
pub(super) fn keyword(cx: &mut Ctx<'_>, s: usize, e: usize) {
    if s < cx.key_skip {
        return;
    }
    let text = cx.text;
    let mut ks = s;
    while ks > 0 && is_key_byte(before(text, ks)) {
        if s - ks >= MAX_KEY {
            cx.key_skip = e;
            return;
        }
        ks -= 1;
    }
    let ke = run(text, e, MAX_KEY, is_key_byte);
    cx.key_skip = ke;
    if ke - e >= MAX_KEY {
        return;
    }
    let Some(key) = text.get(ks..ke) else {
        return;
    };
    let cli = key.starts_with(b"--");
    let Some(sep) = parse_separator(text, ke, cli, before(text, ks)) else {
        return;
    };
    let mut words = Words::new();
    // `API Key: ...`, `Secret Token: ...`: take one preceding word as a qualifier.
    if before(text, ks) == b' ' && key.iter().all(u8::is_ascii_alphabetic) {
        let ws = ks - 1;
        let mut w = ws;
        while w > 0 && ws - w < 16 && before(text, w).is_ascii_alphabetic() {
            w -= 1;
        }
        if w < ws && !is_alnum(before(text, w)) {
            words.add_key(text.get(w..ws).unwrap_or_default());
        }
    }
    words.add_key(key);
    let Some(class) = classify(&mut words) else {
        return;
    };
    let key_is_pwd = key.eq_ignore_ascii_case(b"pwd");
    let next_after = |end: usize| at(text, end);
    match class {
        Class::Password => {
            let bare = if sep.xml {
                Bare::Xml
            } else if matches!(before(text, ks), b'?' | b'&') {
                Bare::QueryPassword
            } else {
                Bare::Password
            };
            let Some((vs, ve, quoted)) = read_value(cx, sep.value, bare) else {
                return;
            };
            let v = text.get(vs..ve).unwrap_or_default();
            let v_trim_end = vs + v.trim_ascii_end().len();
            if sep.xml && at(text, ve) != b'<' {
                return;
            }
            if password_ok(v, quoted, &sep, key_is_pwd, next_after(ve)) {
                cx.push(
                    EntityType::PasswordAssignment,
                    vs,
                    v_trim_end,
                    CONF_PASSWORD,
                );
                cx.key_skip = cx.key_skip.max(ve);
            }
        }
        Class::AwsSecret | Class::Generic => {
            if class == Class::Generic && basic_credentials(cx, sep.value) {
                return;
            }
            let bare = if sep.xml { Bare::Xml } else { Bare::Api };
            let Some((vs, ve, quoted)) = read_value(cx, sep.value, bare) else {
                return;
            };
            let v = text.get(vs..ve).unwrap_or_default();
            if class == Class::AwsSecret
                && v.len() == 40
                && v.iter().all(|&b| is_alnum(b) || b == b'/' || b == b'+')
                && !weak_body(v)
                && !is_placeholder(v)
            {
                cx.push(EntityType::AwsSecretKey, vs, ve, CONF_AWS_SECRET);
                cx.key_skip = cx.key_skip.max(ve);
                return;
            }
            if api_value_ok(cx, vs, ve, bare == Bare::Api && !quoted) {
                cx.push(EntityType::ApiKey, vs, ve, CONF_API_KEY);
                cx.key_skip = cx.key_skip.max(ve);
            }
        }
    }
}

fn is_bearer_byte(b: u8) -> bool {
    is_alnum(b) || matches!(b, b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b'-')
}

/// `Bearer <token>` (`Authorization: Bearer ...`, `-H "authorization: bearer ..."`): the token,
/// at least 16 bytes of `[A-Za-z0-9._~+/=-]` that look random.
pub(super) fn bearer(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    // The anchor is `earer`/`EARER`: the word starts one byte earlier.
    let Some(s) = s.checked_sub(1) else {
        return;
    };
    if !matches!(
        (at(text, s), at(text, s + 1)),
        (b'B' | b'b', b'e') | (b'B', b'E')
    ) {
        return;
    }
    let p = before(text, s);
    if is_alnum(p) || p == b'_' {
        return;
    }
    let vs = run(text, e, 8, is_space);
    if vs == e {
        return;
    }
    let mut ve = run(text, vs, 8192, is_bearer_byte);
    while ve > vs && at(text, ve - 1) == b'.' {
        ve -= 1;
    }
    let Some(v) = text.get(vs..ve) else {
        return;
    };
    if v.len() < 16 || !random_enough(v) || is_placeholder(v) {
        return;
    }
    // `Bearer abc` followed by more of a word (`Bearer tokens$`): not a token boundary.
    if starts_with_at(text, ve, b"$") {
        return;
    }
    cx.push(EntityType::BearerToken, vs, ve, CONF_BEARER);
}
