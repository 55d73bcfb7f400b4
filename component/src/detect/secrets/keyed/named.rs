//! A key named by a field of its own, its value in a sibling field: the name/value lists of
//! deployment and configuration formats, where no separator follows the key itself.
//!
//! - Kubernetes container `env` (`- name: GITHUB_TOKEN` then `value: ...`, also as JSON), Amazon
//!   ECS `environment` and Azure `appSettings` lists (`{"name": "...", "value": "..."}`, other
//!   fields may sit between), CloudFormation `Name`/`Value`, HCL blocks (`name = "..."` then
//!   `value = "..."`): the `value` field of the same object. In YAML and multi-line objects it
//!   must be indented at least as far as `name` (a less indented line, the next list item, ends
//!   the object); `{ } [ ]` end it in every form, so a value is never borrowed from the next
//!   object. In a `{ }` object the `value` field may also come first.
//! - XML attributes: .NET `<add key="..." value="..."/>`, Ant `<property name value/>`, Tomcat
//!   `<Parameter>`/`<Environment>`: the `value` attribute of the same tag, else the element's text
//!   on the same line (Java's properties XML `<entry key="db.password">...</entry>`).
//! - XML elements: `<param-name>` then `<param-value>` (`web.xml`), `<name>` then `<value>`
//!   (Hadoop and Hive `*-site.xml`), `<key>` then `<string>` (property lists), with only
//!   whitespace between the two elements.
//! - Command lines: `aws ssm put-parameter --name PATH --value VALUE` and
//!   `gh secret set NAME --body VALUE` (`-b`), within the one command (up to `|`, `;`, `&` or a
//!   line end).
//!
//! The key's words decide the type and the value gets the checks of a keyed value
//! (`keyed::keyword`); a type name (`"value": "string"`) is no password here.

use super::{
    Bare, CONF_API_KEY, CONF_AWS_SECRET, CONF_PASSWORD, Class, Sep, TYPE_WORDS, VALUE_TYPES, Words,
    api_value_ok, aws_secret_ok, classify, is_key_byte, is_space, k8s_value_ok, password_ok,
    read_value,
};
use crate::detect::secrets::{Ctx, at, before, eq_ic, run, starts_with_at};
use crate::entity::EntityType;

/// The furthest a sibling value is looked for past the key, and the longest look-back to the
/// start of its field, command or tag (bytes).
const REACH: usize = 512;

/// How the key's field is written: where its value may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    /// An attribute of the XML tag opened at this `<`.
    Attr(usize),
    /// A field of a JSON/YAML/HCL object, at this column of its line.
    Object(usize),
    /// The element holding the key's name; the value is in the next element, this tag.
    Element(&'static [u8]),
    /// A command line; the value follows one of these flags.
    Flags(&'static [&'static [u8]]),
}

/// The key `text[ks..ke]` named by a field (see the module doc): if its sibling value is found,
/// it is checked and reported, and true is returned (the caller is done with the key).
#[inline(never)]
pub(super) fn named(cx: &mut Ctx<'_>, ks: usize, ke: usize) -> bool {
    let text = cx.text;
    let Some((form, after)) = form(text, ks, ke) else {
        return false;
    };
    let mut words = Words::new();
    words.add_key(text.get(ks..ke).unwrap_or_default());
    let Some(class) = classify(&mut words) else {
        return false;
    };
    let found = match form {
        Form::Attr(lt) => attr_value(cx, lt, after),
        Form::Object(col) => object_value(text, after, col)
            .or_else(|| object_open(text, ks).and_then(|o| object_value(text, o + 1, 0)))
            .and_then(|v| value_at(cx, v, class)),
        Form::Element(tag) => element_value(text, after, tag),
        Form::Flags(flags) => flag_value(text, after, flags).and_then(|v| value_at(cx, v, class)),
    };
    let Some((vs, ve, quoted)) = found else {
        return false;
    };
    let Some(v) = text.get(vs..ve) else {
        return false;
    };
    let xml = matches!(form, Form::Attr(_) | Form::Element(_));
    let ok = match class {
        Class::Password => {
            let sep = Sep {
                value: vs,
                spaced_eq: false,
                xml,
                comma: false,
            };
            password_ok(v, quoted || xml, &sep, false, at(text, ve))
                && !VALUE_TYPES.iter().chain(TYPE_WORDS).any(|w| eq_ic(v, w))
                && k8s_value_ok(cx, v)
        }
        Class::AwsSecret | Class::Generic => k8s_value_ok(cx, v),
    };
    if !ok {
        return true;
    }
    let kind = match class {
        Class::Password => Some((EntityType::PasswordAssignment, CONF_PASSWORD)),
        Class::AwsSecret if aws_secret_ok(v) => Some((EntityType::AwsSecretKey, CONF_AWS_SECRET)),
        Class::AwsSecret | Class::Generic => {
            api_value_ok(cx, vs, ve, false).then_some((EntityType::ApiKey, CONF_API_KEY))
        }
    };
    if let Some((t, conf)) = kind {
        cx.push(t, vs, ve, conf);
    }
    cx.key_skip = cx.key_skip.max(ve);
    true
}

/// The value starting at `i`, read as a keyed value of `class` is.
fn value_at(cx: &mut Ctx<'_>, i: usize, class: Class) -> Option<(usize, usize, bool)> {
    let bare = match class {
        Class::Password => Bare::Password,
        Class::AwsSecret | Class::Generic => Bare::Api,
    };
    read_value(cx, i, bare).filter(|&(vs, ve, _)| vs < ve)
}

/// How the field naming the key at `ks..ke` is written, and where the text after the key (and
/// its closing quote or tag) starts.
fn form(text: &[u8], ks: usize, ke: usize) -> Option<(Form, usize)> {
    // `<name>KEY</name>`: an element, its value in the next one.
    if before(text, ks) == b'>' {
        for (open, close, value) in ELEMENTS {
            if ks >= open.len()
                && text.get(ks - open.len()..ks) == Some(open)
                && starts_with_at(text, ke, close)
            {
                return Some((Form::Element(value), ke + close.len()));
            }
        }
        return None;
    }
    // The key's word starts here: a parameter path may precede the key
    // (`--name /prod/app/db_password`, `name = "/prod/app/db_password"`).
    let mut p = path_start(text, ks);
    if let Some(f) = command(text, p) {
        return Some((f, ke));
    }
    // Back over the field's separator to its name: `"name": "KEY"`, `name: KEY`, `name = "KEY"`,
    // `key="KEY"`, `'name' => 'KEY'`.
    let path = p < ks;
    let quote = before(text, p);
    let quoted = matches!(quote, b'"' | b'\'');
    if quoted {
        if at(text, ke) != quote {
            return None;
        }
        p -= 1;
    }
    p = back_over(text, p, is_space);
    let eq = match (before(text, p), before(text, p.saturating_sub(1))) {
        (b':', b) if b != b':' => false,
        (b'=', b) if !matches!(b, b'=' | b'!' | b'<' | b'>') => true,
        (b'>', b'=') => {
            p -= 1;
            true
        }
        _ => return None,
    };
    p = back_over(text, p - 1, is_space);
    let field_quote = matches!(before(text, p), b'"' | b'\'');
    if field_quote {
        p -= 1;
    }
    let word_end = p;
    let word_start = back_over(text, p, |b| b.is_ascii_alphabetic());
    let word = text.get(word_start..word_end).unwrap_or_default();
    if !(eq_ic(word, "name") || eq_ic(word, "key")) {
        return None;
    }
    let mut field = word_start;
    if field_quote {
        if before(text, field) != before(text, word_end + 1) {
            return None;
        }
        field -= 1;
    }
    // `username: ...`, `api.key = ...`, `--name` (a command's, read above): not this field.
    if is_key_byte(before(text, field)) || before(text, field) == b':' {
        return None;
    }
    // An unquoted `name:` is a YAML list item's (`- name: KEY`) or a flow mapping's field, or
    // names a parameter path; a document's own `name:` (a chart's, a workflow's) names no key.
    if !(field_quote || eq || path) {
        let b = before(text, back_over(text, field, is_space));
        if !matches!(b, b'-' | b'{' | b',') {
            return None;
        }
    }
    let after = ke + usize::from(quoted);
    if eq
        && quoted
        && !field_quote
        && let Some(lt) = open_tag(text, field)
    {
        return Some((Form::Attr(lt), after));
    }
    let lo = field.saturating_sub(REACH);
    let line = text
        .get(lo..field)
        .and_then(|w| memchr::memrchr(b'\n', w))
        .map_or(lo, |k| lo + k + 1);
    Some((Form::Object(field - line), after))
}

/// The name and value elements: `(name open, name close, value open)`.
const ELEMENTS: [(&[u8], &[u8], &[u8]); 3] = [
    (b"<param-name>", b"</param-name>", b"<param-value>"),
    (b"<name>", b"</name>", b"<value>"),
    (b"<key>", b"</key>", b"<string>"),
];

/// The first index `<= i` from which `text[..i]` ends in bytes that all satisfy `pred` (at most
/// 16 of them).
fn back_over(text: &[u8], mut i: usize, pred: impl Fn(u8) -> bool) -> usize {
    let from = i;
    while i > 0 && from - i < 16 && pred(before(text, i)) {
        i -= 1;
    }
    i
}

/// The `<` of the XML tag that `i` is inside, if any: a `<` (not `</`) before `i` on its line
/// with no `>` between.
fn open_tag(text: &[u8], i: usize) -> Option<usize> {
    let lo = i.saturating_sub(REACH);
    let w = text.get(lo..i)?;
    let k = memchr::memrchr3(b'<', b'>', b'\n', w)?;
    (w.get(k) == Some(&b'<') && w.get(k + 1) != Some(&b'/')).then_some(lo + k)
}

/// The start of the parameter path before the key at `ks` (`/prod/app/` of
/// `/prod/app/db_password`, at most 128 bytes), or `ks`. `keyword` widened the key over its key
/// bytes already, so only a `/` lets the walk start.
fn path_start(text: &[u8], ks: usize) -> usize {
    let mut p = ks;
    while p > 0 && ks - p < 128 && (is_key_byte(before(text, p)) || before(text, p) == b'/') {
        p -= 1;
    }
    p
}

/// `aws ssm put-parameter --name /path/to/KEY ...` and `gh secret set KEY ...`: the key's shell
/// word, starting at `w` ([`path_start`]), follows `--name` or `secret set`.
fn command(text: &[u8], w: usize) -> Option<Form> {
    // Two byte reads reject almost every key before a slice comparison.
    let head = || text.get(w.saturating_sub(16)..w).unwrap_or_default();
    match (before(text, w), before(text, w.saturating_sub(1))) {
        (b' ' | b'=', b'e') if head().ends_with(b" --name ") || head().ends_with(b" --name=") => {
            Some(Form::Flags(&[b"--value"]))
        }
        (b' ', b't') if head().ends_with(b"gh secret set ") => {
            Some(Form::Flags(&[b"--body", b"-b"]))
        }
        _ => None,
    }
}

/// The start of the `value` field of the object whose key field ends at `from`; `col` is the
/// column of the key field (see the module doc for where the object ends).
fn object_value(text: &[u8], from: usize, col: usize) -> Option<usize> {
    let end = text.len().min(from + REACH);
    let mut j = from;
    let mut lines = 0;
    while j < end {
        match at(text, j) {
            b'{' | b'}' | b'[' | b']' => return None,
            b'\n' => {
                lines += 1;
                if lines > MAX_LINES {
                    return None;
                }
                let k = j + 1;
                let indent = run(text, k, usize::MAX, is_space) - k;
                // A blank line does not end the object.
                if !matches!(at(text, k + indent), b'\n' | b'\r') && indent < col {
                    return None;
                }
                j = k + indent;
            }
            q @ (b'"' | b'\'') => {
                // A quoted field name `"value"`, else a string to skip (`"the value: x"`).
                if eq_ic(text.get(j + 1..j + 6).unwrap_or_default(), "value")
                    && at(text, j + 6) == q
                    && let Some(v) = field_value(text, j + 7)
                {
                    return Some(v);
                }
                // An unclosed quote (`# don't`) ends at the line break, which is read next.
                let close = text
                    .get(j + 1..end)
                    .and_then(|w| memchr::memchr2(q, b'\n', w))?;
                j += close + 1 + usize::from(at(text, j + 1 + close) == q);
            }
            b'v' | b'V'
                if !is_key_byte(before(text, j))
                    && eq_ic(text.get(j..j + 5).unwrap_or_default(), "value") =>
            {
                if let Some(v) = field_value(text, j + 5) {
                    return Some(v);
                }
                j += 5;
            }
            _ => j += 1,
        }
    }
    None
}

/// The most lines a `value` field is looked for after the key's (other fields may sit between:
/// Azure's `slotSetting`, a comment, Terraform's `type`).
const MAX_LINES: usize = 4;

/// The `{` of the JSON or flow object whose field holds the key at `ks`, for a `value` field
/// written before the name (`{"value": "…", "name": "KEY"}`): no `{ } [ ]` and at most
/// [`MAX_LINES`] line breaks between.
fn object_open(text: &[u8], ks: usize) -> Option<usize> {
    let lo = ks.saturating_sub(REACH);
    let w = text.get(lo..ks)?;
    let k = w
        .iter()
        .rposition(|&b| matches!(b, b'{' | b'}' | b'[' | b']'))?;
    let lines = w.get(k..)?.iter().filter(|&&b| b == b'\n').count();
    (w.get(k) == Some(&b'{') && lines <= MAX_LINES).then_some(lo + k)
}

/// After a `value` field name ending at `i`: its separator (`:`, `=`, `=>`), then the value's
/// start.
fn field_value(text: &[u8], i: usize) -> Option<usize> {
    let mut i = run(text, i, usize::MAX, is_space);
    match (at(text, i), at(text, i + 1)) {
        (b':', b) if b != b':' => i += 1,
        (b'=', b'>') => i += 2,
        (b'=', b) if b != b'=' => i += 1,
        _ => return None,
    }
    let i = run(text, i, usize::MAX, is_space);
    (!matches!(at(text, i), b'\n' | b'\r' | 0)).then_some(i)
}

/// The `value` attribute of the tag opened at `lt` (the key's attribute ends before `from`), or
/// the element's text on the same line.
fn attr_value(cx: &mut Ctx<'_>, lt: usize, from: usize) -> Option<(usize, usize, bool)> {
    let text = cx.text;
    let w = text.get(from..text.len().min(from + REACH))?;
    let gt = from + memchr::memchr2(b'>', b'<', w)?;
    if at(text, gt) != b'>' {
        return None;
    }
    let tag = text.get(lt..gt)?;
    let mut k = 0;
    while let Some(off) = tag.get(k..).and_then(|t| memchr::memchr2(b'v', b'V', t)) {
        let j = lt + k + off;
        k += off + 1;
        if matches!(before(text, j), b' ' | b'\t' | b'\n' | b'\r')
            && eq_ic(text.get(j..j + 5).unwrap_or_default(), "value")
            && let Some(v) = field_value(text, j + 5)
            && matches!(at(text, v), b'"' | b'\'')
        {
            return read_value(cx, v, Bare::Xml);
        }
    }
    if before(text, gt) == b'/' {
        return None;
    }
    element_text(text, gt + 1)
}

/// The text of an element opened just before `vs`: up to its `</` on the same line.
fn element_text(text: &[u8], vs: usize) -> Option<(usize, usize, bool)> {
    let w = text.get(vs..text.len().min(vs + REACH))?;
    let k = memchr::memchr2(b'<', b'\n', w)?;
    let ve = vs + k;
    (k > 0 && starts_with_at(text, ve, b"</")).then_some((vs, ve, false))
}

/// The text of the `tag` element that follows `from` after whitespace only.
fn element_value(text: &[u8], from: usize, tag: &[u8]) -> Option<(usize, usize, bool)> {
    let i = run(text, from, 64, |b| {
        matches!(b, b' ' | b'\t' | b'\n' | b'\r')
    });
    if !starts_with_at(text, i, tag) {
        return None;
    }
    element_text(text, i + tag.len())
}

/// The value of one of `flags` in the command that continues at `from`.
fn flag_value(text: &[u8], from: usize, flags: &[&[u8]]) -> Option<usize> {
    let w = text.get(from..text.len().min(from + REACH))?;
    let end = from
        + w.iter()
            .position(|&b| matches!(b, b'\n' | b'\r' | b'|' | b';' | b'&'))
            .unwrap_or(w.len());
    let cmd = text.get(from..end)?;
    for flag in flags {
        let mut k = 0;
        while let Some(off) = memchr::memmem::find(cmd.get(k..)?, flag) {
            let j = from + k + off;
            k += off + 1;
            if before(text, j) != b' ' {
                continue;
            }
            let v = j + flag.len();
            match at(text, v) {
                b' ' | b'=' if !matches!(at(text, v + 1), b' ' | b'-') => return Some(v + 1),
                // `-b'...'`: a short option with its value glued.
                b'"' | b'\'' if flag.len() == 2 => return Some(v),
                _ => {}
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{Form, form};

    /// `form` of the key `key` inside `text`.
    fn form_of(text: &str, key: &str) -> Option<Form> {
        let ks = text.find(key).unwrap_or(0);
        form(text.as_bytes(), ks, ks + key.len()).map(|(f, _)| f)
    }

    #[test]
    fn fields_that_name_a_key() {
        assert_eq!(
            form_of("  - name: API_TOKEN\n", "API_TOKEN"),
            Some(Form::Object(4))
        );
        assert_eq!(
            form_of("{\"name\": \"DB_PASSWORD\"", "DB_PASSWORD"),
            Some(Form::Object(1))
        );
        assert_eq!(
            form_of("  name  = \"X_TOKEN\"", "X_TOKEN"),
            Some(Form::Object(2))
        );
        assert_eq!(
            form_of("<add key=\"ApiKey\" />", "ApiKey"),
            Some(Form::Attr(0))
        );
        assert!(matches!(
            form_of("<name>fs.s3a.secret.key</name>", "fs.s3a.secret.key"),
            Some(Form::Element(_))
        ));
        assert!(matches!(
            form_of(
                "aws ssm put-parameter --name /a/b/db_password",
                "db_password"
            ),
            Some(Form::Flags(_))
        ));
        // Not a naming field.
        assert_eq!(form_of("username: API_TOKEN", "API_TOKEN"), None);
        assert_eq!(form_of("name: auth_token\n", "auth_token"), None);
        assert_eq!(form_of("if name == \"TOKEN\"", "TOKEN"), None);
        assert_eq!(form_of("filename=\"token\"", "token"), None);
    }

    #[test]
    fn repeated_fields_are_bounded() {
        for frag in [
            "- name: API_TOKEN\n  ",
            "{\"name\": \"DB_PASSWORD\", \"x\": \"",
            "<add key=\"ApiKey\" ",
            "<name>secret.key</name> ",
            "gh secret set API_TOKEN --body ",
            "name = \"/a/db_password\" value = ",
        ] {
            let text = frag.repeat(256 * 1024 / frag.len());
            let mut out = Vec::new();
            crate::detect::secrets::find(text.as_bytes(), &mut out);
            assert!(out.len() <= text.len() / frag.len());
        }
    }
}
