//! Keyed secrets — a key name, a separator, a value — and bearer tokens.
//!
//! A keyword anchor (`pass`, `pwd`, `secret`, `token`, `key`, `auth`, `cred`) is widened to the
//! whole key identifier (`DB_PASSWORD`, `x-api-key`, `spring.datasource.password`, `--token`),
//! then a separator is required, after an optional closing quote of the key (and `]` after a
//! quoted subscript key, `$config['db_password'] =`, then only an assignment): `=`, `:`, `:=`,
//! `=>`, make's `?=`/`+=`/`::=`/`:::=`, PHP's `.=`, a type between key and `=` (Go
//! `var apiToken string = `, TypeScript `authToken: string = `), a comma between a quoted key and
//! a quoted value (`define('DB_PASSWORD', '...')`, `System.setProperty("X_TOKEN", "...")`,
//! `.put("password", "...")`), a space after a `--flag`, or `<key>value</key>`. The value may
//! also sit on the next line: a YAML block scalar (`password: |`) or an XML element whose value
//! is on its own line. With no separator, a value announced in prose (`my token is ...`,
//! `the password is ...`, `use this API key ...`) is taken under stricter checks. The key's words
//! decide the type:
//! - last word `password`/`passwd`/`passphrase`/`pwd`/`pass` → `password_assignment`;
//! - `aws_secret_access_key` and friends with a 40-byte value → `aws_secret_key`;
//! - a token/secret/credential/auth word, or `key` qualified by `api`/`access`/`private`/... (or
//!   an article in prose: `here's the key: ...`) → `api_key`, only for a high-entropy value;
//! - keys named public (`csrf`, `xsrf`, `public`, `publishable`, `authenticity`, `site`) → none.
//!
//! A key named by a field of its own (`- name: API_TOKEN` then `value: ...`, `<add key="ApiKey"
//! value="..."/>`, `aws ssm put-parameter --name ... --value ...`) takes its value from the
//! sibling field ([`named`]).
//!
//! In a Kubernetes `kind: Secret` manifest, base64 `data:` values are decoded: one that decodes to
//! a placeholder is dropped. Also here: `mysql -pPASSWORD` and curl's `-u user:password` (the
//! password), and Notion's `secret_...` / Mailgun's `key-...` tokens, which start with a keyword.
//!
//! The finding is the value only (no key, separator or quotes).

use super::structured::b64_decode;
use super::{
    Ctx, at, before, contains, entropy, eq_ic, is_alnum, is_placeholder, random_enough, run,
    starts_with_at, weak_body,
};
use crate::entity::EntityType;

mod named;

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
    // Prose: `here's the key: ...`, `my key is ...`.
    "the",
    "this",
    "my",
    "our",
    "your",
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

/// Key words that name a value meant to be public.
const PUBLIC_WORDS: &[&str] = &["public", "publishable", "authenticity", "site", "pub"];

fn word_in(w: &[u8], list: &[&str]) -> bool {
    list.iter().any(|x| w == x.as_bytes())
}

/// What a password key written as one word unlocks (`requirepass`, `dbpass`, `rootpass`,
/// `smtppass`): `pass` after one of these. Not `bypass`, `compass`, `overpass`, `subpass`.
const PASS_OWNERS: &[&str] = &[
    "require", "master", "db", "root", "admin", "user", "smtp", "mail", "ftp", "sftp", "ldap",
    "bind", "mysql", "pg", "postgres", "redis", "sa", "app", "rabbit", "mongo", "sql", "vnc",
    "proxy", "svc", "service", "wifi", "sys", "web", "api", "imap", "pop", "login",
];

/// A password key written as one word (`requirepass`, `DBPASS`) or Redis's `masterauth`.
fn concatenated_pass(last: &[u8]) -> bool {
    last == b"masterauth"
        || last
            .strip_suffix(b"pass")
            .is_some_and(|owner| word_in(owner, PASS_OWNERS))
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
        // Java keytool and keystore configuration (`-storepass`, `keyPass`, `storePass`).
        || (last.ends_with(b"storepass") || last.ends_with(b"keypass"))
        || concatenated_pass(last)
    {
        return Some(Class::Password);
    }
    // A signed URL's credential scope (`X-Amz-Credential=AKIA.../20261204/us-east-1/s3/aws4_request`,
    // `X-Goog-Credential=`): an access key id or account plus a date and region, not a secret; the
    // key id is found by its own detector and the signature by `structured::url_signature`.
    if last == b"credential" && (prev == b"amz" || prev == b"goog") {
        return None;
    }
    let joined = words.joined();
    // Public by design: CSRF / XSRF tokens, publishable and public keys, site keys.
    if (0..words.n).any(|i| word_in(words.word(i), PUBLIC_WORDS))
        || contains(joined, b"csrf")
        || contains(joined, b"xsrf")
    {
        return None;
    }
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
    /// `"key", "value"` (a call's arguments, or a list of names).
    comma: bool,
}

fn parse_separator(text: &[u8], ke: usize, cli: bool, open: u8) -> Option<Sep> {
    let mut i = ke;
    if open == b'<' && at(text, i) == b'>' {
        return Some(Sep {
            value: i + 1,
            spaced_eq: false,
            xml: true,
            comma: false,
        });
    }
    let mut quoted_key = false;
    if at(text, i) == b'\\' && matches!(at(text, i + 1), b'"' | b'\'') {
        i += 2;
        quoted_key = true;
    } else if matches!(at(text, i), b'"' | b'\'' | b'`') {
        i += 1;
        quoted_key = true;
    }
    // A subscript: `$config['db_password'] = '...'`, `os.environ["API_KEY"] = "..."`.
    let subscript = quoted_key && at(text, i) == b']';
    if subscript {
        i += 1;
    }
    let ws = run(text, i, 16, is_space) - i;
    i += ws;
    let mut eq = false;
    match at(text, i) {
        // Ruby's `ENV["API_TOKEN"] ||= "..."`.
        b'|' if subscript && at(text, i + 1) == b'|' && at(text, i + 2) == b'=' => {
            i += 3;
            eq = true;
        }
        // After a subscript only an assignment (`=`, `.=`, ...) gives a value.
        b if subscript && !matches!(b, b'=' | b'?' | b'+' | b'.') => return None,
        b'=' => {
            match at(text, i + 1) {
                b'=' => return None,
                b'>' => i += 2,
                _ => i += 1,
            }
            eq = true;
        }
        b':' => match at(text, i + 1) {
            // make's `::=` and `:::=`.
            b':' => {
                let colons = run(text, i, 3, |b| b == b':') - i;
                if at(text, i + colons) != b'=' || at(text, i + colons + 1) == b'=' {
                    return None;
                }
                i += colons + 1;
                eq = true;
            }
            b'=' => i += 2,
            _ => i += 1,
        },
        // make's `?=` and `+=`, PHP's `.=`.
        b'?' | b'+' | b'.' if at(text, i + 1) == b'=' && at(text, i + 2) != b'=' => {
            i += 2;
            eq = true;
        }
        // `define('DB_PASSWORD', '...')`, `setProperty("X_TOKEN", "...")`, `.put("password", "...")`:
        // a quoted key, a comma, a quoted value.
        b',' if quoted_key && matches!(open, b'"' | b'\'') => {
            let v = run(text, i + 1, 16, is_space);
            return matches!(at(text, v), b'"' | b'\'').then_some(Sep {
                value: v,
                spaced_eq: false,
                xml: false,
                comma: true,
            });
        }
        b if cli && ws > 0 && b != b'-' && b > b' ' => {
            return Some(Sep {
                value: i,
                spaced_eq: false,
                xml: false,
                comma: false,
            });
        }
        // Go's `var apiToken string = "..."`: a type between the key and `=`.
        b if ws > 0 && !quoted_key && (b.is_ascii_alphabetic() || b == b'[') => {
            return skip_type(text, i).map(|value| Sep {
                value,
                spaced_eq: true,
                xml: false,
                comma: false,
            });
        }
        _ => return None,
    }
    i = run(text, i, 16, is_space);
    // TypeScript's `authToken: string = "..."`.
    if let Some(value) = skip_type(text, i) {
        return Some(Sep {
            value,
            spaced_eq: true,
            xml: false,
            comma: false,
        });
    }
    Some(Sep {
        value: i,
        spaced_eq: eq && ws > 0,
        xml: false,
        comma: false,
    })
}

/// Type names that may sit between a key and its `=` (`var token string = ...`).
const VALUE_TYPES: &[&str] = &[
    "string",
    "String",
    "str",
    "&str",
    "[]byte",
    "char",
    "bytes",
    "SecretStr",
    "SecretString",
    "Secret",
    "any",
];

/// At `i` a type name from `VALUE_TYPES`, then `=` (not `==`/`=>`): where the value starts.
fn skip_type(text: &[u8], i: usize) -> Option<usize> {
    let end = run(text, i, 16, |b| {
        is_alnum(b) || matches!(b, b'[' | b']' | b'&')
    });
    let word = text.get(i..end)?;
    if !VALUE_TYPES.iter().any(|t| word == t.as_bytes()) {
        return None;
    }
    let j = run(text, end, 8, is_space);
    if at(text, j) != b'=' || matches!(at(text, j + 1), b'=' | b'>') {
        return None;
    }
    Some(run(text, j + 1, 16, is_space))
}

/// The charset of a bare value; each has its own run memo in `Memos::value_run`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Bare {
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
pub(super) fn read_value(cx: &mut Ctx<'_>, i: usize, bare: Bare) -> Option<(usize, usize, bool)> {
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
    // `("username", "password", "email")`: a list of names, not an argument pair.
    if sep.comma && v.iter().all(|&b| b.is_ascii_lowercase() || b == b'_') {
        return false;
    }
    if quoted {
        // A sentence, not a password.
        return v.iter().filter(|&&b| b == b' ').count() < 3;
    }
    if (!sep.xml && matches!(next, b'(' | b'<' | b'[')) || TYPE_WORDS.iter().any(|w| eq_ic(v, w)) {
        return false;
    }
    // `os.environ[...]`, `Configuration[...]`: a lookup.
    if v.last() == Some(&b'[') {
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

/// A value under an AWS secret key name that has the secret access key's shape: 40 base64
/// characters, not a weak or placeholder body.
fn aws_secret_ok(v: &[u8]) -> bool {
    v.len() == 40
        && v.iter().all(|&b| is_alnum(b) || b == b'/' || b == b'+')
        && !weak_body(v)
        && !is_placeholder(v)
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
    // `sshpass -p PASSWORD`.
    if key == b"sshpass" {
        flag_password(cx, ke, b" -p ");
        return;
    }
    // `echo PASSWORD | docker login -u USER --password-stdin`.
    if key == b"--password-stdin" {
        return super::cli::password_stdin(cx, ks);
    }
    // Tools and commands whose arguments hold a password (`secrets::cli`): the command word, then
    // its arguments. Followed by `=` or `:`, the word is a key like any other (`requirepass: ...`
    // in a Helm values file).
    let spaced = at(text, ke) == b' ';
    match key {
        b"htpasswd" if spaced && matches!(before(text, ks), b' ' | b'\t' | b'\n' | 0) => {
            return super::cli::htpasswd(cx, ke);
        }
        b"chpasswd" if !matches!(at(text, ke), b'=' | b':') => {
            return super::cli::chpasswd(cx, ks, ke);
        }
        b"requirepass" | b"masterauth" if spaced => return super::cli::redis_config(cx, ks, ke),
        b"AUTH" if spaced => return super::cli::redis_auth(cx, ks, ke),
        _ => {}
    }
    if keyword_token(cx, ks, ke) {
        return;
    }
    // Java keytool's single-dash options take the password as the next argument, or name where
    // to read it (`-storepass:env VAR`, `-storepass:file path`: no password here).
    let keytool = matches!(
        key,
        b"-storepass"
            | b"-keypass"
            | b"-srcstorepass"
            | b"-deststorepass"
            | b"-srckeypass"
            | b"-destkeypass"
    );
    if keytool && at(text, ke) != b' ' {
        return;
    }
    // A key named by a field, its value in a sibling field (`- name: API_TOKEN` / `value: ...`).
    if named::named(cx, ks, ke) {
        return;
    }
    let cli = keytool || key.starts_with(b"--");
    let mut sep = parse_separator(text, ke, cli, before(text, ks));
    if sep.is_none() && !cli && config_set(text, ks) {
        sep = parse_separator(text, ke, true, before(text, ks));
    }
    // Without a separator only a prose value can follow: bail out early unless the next word
    // could be one (this runs for every keyword in running text).
    if sep.is_none() && !(key.iter().all(u8::is_ascii_alphabetic) && prose_candidate(text, ke)) {
        return;
    }
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
    let Some(sep) = sep else {
        // No separator: a value announced in prose (`my token is ...`, `API key abc...`).
        if key.iter().all(u8::is_ascii_alphabetic) {
            prose(cx, ke, class);
        }
        return;
    };
    let key_is_pwd = key.eq_ignore_ascii_case(b"pwd");
    let next_after = |end: usize| at(text, end);
    // A YAML block scalar (`password: |`) or an XML value on its own line.
    if let Some((vs, ve)) = next_line_value(text, sep.value, sep.xml) {
        let v = text.get(vs..ve).unwrap_or_default();
        let ok = match class {
            Class::Password => password_ok(v, true, &sep, key_is_pwd, 0),
            Class::AwsSecret | Class::Generic => api_value_ok(cx, vs, ve, false),
        };
        if ok {
            let t = if class == Class::Password {
                EntityType::PasswordAssignment
            } else {
                EntityType::ApiKey
            };
            cx.push(t, vs, ve, CONF_PASSWORD);
            cx.key_skip = cx.key_skip.max(ve);
        }
        return;
    }
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
            if !k8s_value_ok(cx, v) {
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
            // Laravel's `APP_KEY=base64:...`: the key material follows the tag.
            let value_at = if starts_with_at(text, sep.value, b"base64:") {
                sep.value + 7
            } else {
                sep.value
            };
            let Some((vs, ve, quoted)) = read_value(cx, value_at, bare) else {
                return;
            };
            let v = text.get(vs..ve).unwrap_or_default();
            if !k8s_value_ok(cx, v) {
                return;
            }
            if class == Class::AwsSecret && aws_secret_ok(v) {
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

/// `w` (a command line up to the key's shell word) ends in a command that sets an environment
/// variable from the next two words: Windows `setx [/M] NAME VALUE`, csh `setenv NAME VALUE`,
/// fish `set -gx NAME VALUE` (any of `-g -x -U -l` and their long forms; not `-e` or `-q`).
fn set_command(w: &[u8]) -> bool {
    let at_start = |rest: &[u8]| {
        rest.last()
            .is_none_or(|&b| matches!(b, b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'('))
    };
    let mut w = w;
    // Options before the name: `setx /M`, fish's `-gx`.
    let mut fish_flags = false;
    loop {
        let sp = w.iter().rposition(|&b| b == b' ' || b == b'\t');
        let word = w.get(sp.map_or(0, |k| k + 1)..).unwrap_or_default();
        let flag = word.first() == Some(&b'-') || word.first() == Some(&b'/');
        if !flag {
            break;
        }
        if word.first() == Some(&b'-') {
            let ok = matches!(
                word,
                b"--global" | b"--export" | b"--universal" | b"--local"
            ) || (word.len() >= 2
                && word
                    .iter()
                    .skip(1)
                    .all(|b| matches!(b, b'g' | b'x' | b'U' | b'l')));
            if !ok {
                return false;
            }
            fish_flags = true;
        }
        w = w
            .get(..sp.unwrap_or(0))
            .unwrap_or_default()
            .trim_ascii_end();
    }
    let cmd = |c: &[u8]| w.strip_suffix(c).is_some_and(at_start);
    cmd(b"setx") || cmd(b"setenv") || (fish_flags && cmd(b"set"))
}

/// A command line that sets a named value, key and value separated by spaces like a `--flag`'s:
/// `aws configure set KEY VALUE`, `npm config set //registry.npmjs.org/:_authToken VALUE`,
/// `dotnet user-secrets set "Section:Key" VALUE`. True when the shell word holding the key at
/// `ks` follows `configure set`, `config set` or `user-secrets set`, or a command that sets an
/// environment variable ([`set_command`]: `setx`, `setenv`, fish's `set -gx`).
fn config_set(text: &[u8], ks: usize) -> bool {
    let lo = ks.saturating_sub(160);
    let Some(w) = text.get(lo..ks) else {
        return false;
    };
    // Back to the start of the key's shell word (a quote, `Section:`, `//host/:` before the key).
    let Some(sp) = memchr::memrchr(b' ', w) else {
        return false;
    };
    let w = w.get(..sp).unwrap_or_default().trim_ascii_end();
    if set_command(w) {
        return true;
    }
    let Some(w) = w.strip_suffix(b"set") else {
        return false;
    };
    if !w.last().is_some_and(u8::is_ascii_whitespace) {
        return false;
    }
    let w = w.trim_ascii_end();
    [&b"configure"[..], b"config", b"user-secrets"]
        .iter()
        .any(|c| {
            w.strip_suffix(*c)
                .is_some_and(|r| r.last().is_none_or(u8::is_ascii_whitespace))
        })
}

/// Vendor tokens that start with a keyword: Notion's `secret_` + 43 alnum and Mailgun's
/// `key-` + 32 hex. `[ks, ke)` is the widened key run.
fn keyword_token(cx: &mut Ctx<'_>, ks: usize, ke: usize) -> bool {
    let text = cx.text;
    let Some(run_bytes) = text.get(ks..ke) else {
        return false;
    };
    let (prefix_len, ok) = if let Some(body) = run_bytes.strip_prefix(b"secret_") {
        (7, body.len() == 43 && body.iter().all(|&b| is_alnum(b)))
    } else if let Some(body) = run_bytes.strip_prefix(b"key-") {
        (
            4,
            body.len() == 32
                && body
                    .iter()
                    .all(|&b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        )
    } else {
        return false;
    };
    let body = text.get(ks + prefix_len..ke).unwrap_or_default();
    if !ok || weak_body(body) || !body.iter().any(u8::is_ascii_digit) {
        return false;
    }
    cx.push_vendor(EntityType::ApiKey, ks, ke, CONF_API_KEY);
    true
}

/// A value in prose after a key word with no separator: `my token is X`, `password was X`,
/// `use this API key X`. Stricter than a keyed value: secrets must look random, passwords must
/// mix letters with digits or symbols (`the password is incorrect` is no password).
fn prose(cx: &mut Ctx<'_>, ke: usize, class: Class) {
    let text = cx.text;
    let Some(i) = prose_start(text, ke) else {
        return;
    };
    match class {
        Class::Password => {
            let Some((vs, ve, _)) = read_value(cx, i, Bare::Password) else {
                return;
            };
            let v = text.get(vs..ve).unwrap_or_default();
            let letters = v.iter().filter(|b| b.is_ascii_alphabetic()).count();
            let others = v.len() - letters;
            if (6..=64).contains(&v.len()) && letters >= 2 && others >= 1 && !is_placeholder(v) {
                cx.push(EntityType::PasswordAssignment, vs, ve, CONF_PASSWORD);
                cx.key_skip = cx.key_skip.max(ve);
            }
        }
        Class::AwsSecret | Class::Generic => {
            let Some((vs, ve, quoted)) = read_value(cx, i, Bare::Api) else {
                return;
            };
            if ve - vs >= 20 && api_value_ok(cx, vs, ve, !quoted) {
                cx.push(EntityType::ApiKey, vs, ve, CONF_API_KEY);
                cx.key_skip = cx.key_skip.max(ve);
            }
        }
    }
}

/// Where a prose value would start after a key ending at `ke` (`key is X`, `key X`).
fn prose_start(text: &[u8], ke: usize) -> Option<usize> {
    let mut i = run(text, ke, 4, is_space);
    if i == ke {
        return None;
    }
    for verb in [&b"is "[..], b"was ", b"= "] {
        if starts_with_at(text, i, verb) {
            i = run(text, i + verb.len(), 4, is_space);
            break;
        }
    }
    Some(i)
}

/// Cheap gate for `prose`: the next word has at least six bytes and a digit.
fn prose_candidate(text: &[u8], ke: usize) -> bool {
    let Some(i) = prose_start(text, ke) else {
        return false;
    };
    let i = i + usize::from(matches!(at(text, i), b'"' | b'\'' | b'`'));
    let end = run(text, i, 64, |b| b > b' ' && b < 0x7F);
    end - i >= 6
        && text
            .get(i..end)
            .is_some_and(|w| w.iter().any(u8::is_ascii_digit))
}

/// The value of `password: |` (YAML block scalar, first line) or of `<password>` followed by a
/// line break (XML value on its own line): `(start, end)` of the trimmed line.
fn next_line_value(text: &[u8], i: usize, xml: bool) -> Option<(usize, usize)> {
    let mut j = i;
    if !xml {
        if !matches!(at(text, j), b'|' | b'>') {
            return None;
        }
        j = run(text, j + 1, 3, |b| matches!(b, b'-' | b'+' | b'1'..=b'9'));
    }
    j = run(text, j, 16, is_space);
    if at(text, j) == b'\r' {
        j += 1;
    }
    if at(text, j) != b'\n' {
        return None;
    }
    let vs = run(text, j + 1, 64, is_space);
    if vs == j + 1 && !xml {
        // A block scalar's lines are indented.
        return None;
    }
    let stop = |b: u8| b != b'\n' && b != b'\r' && !(xml && b == b'<');
    let ve = run(text, vs, MAX_VALUE, stop);
    let v = text.get(vs..ve)?.trim_ascii_end();
    let ve = vs + v.len();
    if v.is_empty() {
        return None;
    }
    if xml {
        // Only white space up to the closing tag.
        let mut k = run(text, ve, 64, |b| b.is_ascii_whitespace());
        if at(text, k) != b'<' {
            return None;
        }
        k += 1;
        if at(text, k) != b'/' {
            return None;
        }
    }
    Some((vs, ve))
}

/// In a Kubernetes `kind: Secret` manifest, `data:` values are base64: one that decodes to a
/// placeholder (`changeme-REPLACE_ME`, `${TOKEN}`) or to nothing printable holds no secret.
/// Values outside such manifests, and values that are not base64, pass.
fn k8s_value_ok(cx: &mut Ctx<'_>, v: &[u8]) -> bool {
    if v.len() < 8 || !v.len().is_multiple_of(4) || !v.iter().all(|&b| super::is_b64(b)) {
        return true;
    }
    // Cheapest rejection first: the whole-text `kind: Secret` search only for a value that
    // would fail inside a manifest.
    let Some(decoded) = b64_decode(v) else {
        return true;
    };
    (decoded.len() >= 3
        && decoded.iter().all(|&b| b >= 0x20 || b == b'\n')
        && !is_placeholder(&decoded))
        || !cx.in_k8s_secret()
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

/// After `mysql`/`mysqldump`/`mariadb` (anchor end `e`), a `-pPASSWORD` argument on the same
/// line (`-p` alone prompts; `-P` is the port). Each line is scanned once.
pub(super) fn mysql(cx: &mut Ctx<'_>, e: usize) {
    let text = cx.text;
    let from = e.max(cx.memo.mysql_to);
    let line_end = run(text, from, 1024, |b| b != b'\n' && b != b'\r');
    cx.memo.mysql_to = line_end;
    for p in super::cli::after_each(text, from, line_end, b" -p") {
        let c = at(text, p);
        if c <= b' ' || c == b'-' {
            continue;
        }
        let Some((vs, ve, quoted)) = read_value(cx, p, Bare::Password) else {
            continue;
        };
        let v = text.get(vs..ve).unwrap_or_default();
        if v.len() >= 3 && !is_placeholder(v) && (quoted || !is_alnum(at(text, ve))) {
            cx.push(EntityType::PasswordAssignment, vs, ve, CONF_PASSWORD);
        }
    }
}

/// Start of the line holding byte `i` (at most 1 KiB back).
fn line_start(text: &[u8], i: usize) -> usize {
    let lo = i.saturating_sub(1024);
    text.get(lo..i)
        .and_then(|w| memchr::memrchr(b'\n', w))
        .map_or(lo, |k| lo + k + 1)
}

/// The argument after `flag` (` -p `, spaces around it) later on the line from `from`, when it
/// reads as a password: 3 bytes or more, no placeholder or variable, not a number (a port) and
/// not another flag.
fn flag_password(cx: &mut Ctx<'_>, from: usize, flag: &[u8]) {
    let text = cx.text;
    let line_end = run(text, from, 1024, |b| b != b'\n' && b != b'\r');
    let Some(off) = text
        .get(from..line_end)
        .and_then(|w| memchr::memmem::find(w, flag))
    else {
        return;
    };
    let p = run(text, from + off + flag.len(), 4, is_space);
    if at(text, p) == b'-' {
        return;
    }
    let Some((vs, ve, quoted)) = read_value(cx, p, Bare::Password) else {
        return;
    };
    let v = text.get(vs..ve).unwrap_or_default();
    if v.len() >= 3
        && !is_placeholder(v)
        && !v.iter().all(u8::is_ascii_digit)
        && (quoted || !is_alnum(at(text, ve)))
    {
        cx.push(EntityType::PasswordAssignment, vs, ve, CONF_PASSWORD);
    }
}

/// curl's `-u user:password` / `--user user:password`: the password.
pub(super) fn user_flag(cx: &mut Ctx<'_>, s: usize, e: usize) {
    let text = cx.text;
    let mut i = e;
    if at(text, s) == b'-' {
        // `--user`: then a space or `=` (not `--username`, `--user-agent`).
        if !matches!(at(text, e), b' ' | b'=') || is_alnum(before(text, s)) {
            return;
        }
        i = run(text, e + 1, 4, is_space);
    }
    let Some((vs, ve, _)) = read_value(cx, i, Bare::Password) else {
        return;
    };
    let Some(v) = text.get(vs..ve) else {
        return;
    };
    let Some(colon) = v.iter().position(|&b| b == b':') else {
        // `docker login -u USER -p PASSWORD` (also podman, oc, cf, az login) and the mongo
        // shell: the password is `-p`'s argument. Elsewhere `-u` and `-p` mean other things
        // (`nc -u -p 5353`: UDP and a port; `mysql -u root -p db`: a prompt and a database).
        let line = text.get(line_start(text, s)..s).unwrap_or_default();
        if memchr::memmem::find(line, b"login").is_some()
            || memchr::memmem::find(line, b"mongo").is_some()
        {
            flag_password(cx, ve, b" -p ");
        }
        return;
    };
    let (user, pass) = (
        v.get(..colon).unwrap_or_default(),
        v.get(colon + 1..).unwrap_or_default(),
    );
    if user.is_empty()
        || pass.len() < 3
        || is_placeholder(user)
        || is_placeholder(pass)
        || pass.iter().all(u8::is_ascii_digit)
        // `-u root:root`, `-u www-data:www-data`: a user and a group.
        || pass.iter().all(|&b| b.is_ascii_lowercase() || b == b'-' || b == b'_')
    {
        return;
    }
    cx.push(
        EntityType::PasswordAssignment,
        vs + colon + 1,
        ve,
        CONF_PASSWORD,
    );
}
