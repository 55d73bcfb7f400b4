//! Passwords given to a command-line tool as an argument, found from the tool's name.
//!
//! Each tool documents the option that takes a password (its manual page or `--help`):
//!
//! | tool | option |
//! |---|---|
//! | `redis-cli` | `-a PASSWORD` |
//! | `ldapsearch`, `ldapmodify`, `ldapadd`, ... | `-w PASSWORD`; `ldappasswd` also `-s NEW`, `-a OLD` |
//! | `smbclient`, `rpcclient`, `smbcacls`, `smbget`, `smbtree` | `-U [DOMAIN\]USER%PASSWORD`, `--user=` |
//! | `zip`, `unzip`, `zipcloak` | `-P PASSWORD` |
//! | `7z`, `7za` | `-pPASSWORD` (glued) |
//! | `sqlcmd`, `bcp`, `isql`, `osql`, `tsql` | `-P PASSWORD` |
//! | `rar`, `unrar` | `-pPASSWORD`, `-hpPASSWORD` (glued; `-p` alone prompts, `-p-` asks nothing) |
//! | `rdesktop` | `-p PASSWORD` (`-p -` reads it from standard input) |
//! | PostgreSQL's `.pgpass` file | `host:port:database:user:PASSWORD` lines written to or read from it |
//! | `openssl` | `-k PASSWORD`; `openssl passwd [options] PASSWORD` |
//! | `ssh-keygen` | `-N NEW_PASSPHRASE`, `-P OLD_PASSPHRASE` |
//! | `xfreerdp`, `wlfreerdp`, `sdl-freerdp` | `/p:PASSWORD` |
//! | PowerShell | `ConvertTo-SecureString [-String] "PASSWORD" -AsPlainText` |
//! | `sudo [options] -S` | `echo PASSWORD \| sudo -S ...`, `sudo -S ... <<< PASSWORD` (read from standard input) |
//!
//! The option is looked for in the tool's own command (up to the next `|`, `;`, `&` or line
//! end), so `ls -a` or `curl -k` elsewhere never counts. A value that is a variable or
//! substitution (`$REDIS_PASSWORD`, `"${PW}"`, `$(cat f)`, `$env:SA_PASSWORD`), another option,
//! a number (a port), shorter than 3 bytes or a placeholder is not reported; an option that
//! prompts (`-W`, `-p` alone) or names a file (`-y FILE`) has no value to report.

use super::keyed::{Bare, read_value};
use super::{Ctx, at, before, is_alnum, is_placeholder, run, starts_with_at};
use crate::detect::ner::common_word;
use crate::entity::EntityType;

/// Confidence of a password taken from a documented password option.
const CONF_TOOL: f64 = 0.90;

/// How far a command runs (bytes) before its options are no longer looked at.
const MAX_COMMAND: usize = 1024;

/// The tool an anchor names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Tool {
    Redis,
    Ldap,
    Smb,
    Zip,
    SevenZip,
    Sql,
    Openssl,
    SshKeygen,
    FreeRdp,
    SecureString,
    SudoStdin,
    Rar,
    Rdesktop,
    /// PostgreSQL's password file (`.pgpass`): its `host:port:db:user:password` lines.
    Pgpass,
    /// SQL `IDENTIFIED BY` / `IDENTIFIED WITH <plugin> BY` (the anchor is `IED BY`, `IED WITH`).
    Identified,
}

/// Validate the tool anchor at `s` (bytes of the tool's name) and report its password arguments.
pub(super) fn tool(cx: &mut Ctx<'_>, tool: Tool, s: usize) {
    let text = cx.text;
    match tool {
        Tool::SecureString => return secure_string(cx, s),
        Tool::SudoStdin => return sudo_stdin(cx, s),
        Tool::Pgpass => return pgpass(cx, s),
        Tool::Identified => return identified(cx, s),
        _ => {}
    }
    // The anchor is the tool's name, or its start (`ldap`, `smb`, `freerdp`): the whole word,
    // after a path (`/usr/bin/zip`) or a word boundary.
    let ws = word_start(text, s);
    let we = run(text, s, 32, is_tool_byte);
    let Some(name) = text.get(ws..we) else {
        return;
    };
    if !matches!(at(text, we), b' ' | b'\t') || !named(tool, name) || s < cx.memo.cli_to {
        return;
    }
    let end = command_end(text, we);
    // Each command is scanned once, whatever its arguments repeat (`zip zip zip ...`).
    cx.memo.cli_to = end;
    let flags: &[&[u8]] = match tool {
        Tool::Redis => &[b" -a "],
        Tool::Ldap if name == b"ldappasswd" => &[b" -w ", b" -s ", b" -a "],
        Tool::Ldap => &[b" -w "],
        Tool::Smb => return smb(cx, we, end),
        Tool::Zip | Tool::Sql => &[b" -P "],
        // 7-Zip's switch is glued to its value (`-pSECRET`, `-p"two words"`; alone it prompts).
        Tool::SevenZip => &[b" -p"],
        // So are RAR's (`-hp` encrypts the headers too).
        Tool::Rar => &[b" -p", b" -hp"],
        Tool::Rdesktop => &[b" -p "],
        Tool::Openssl => {
            if starts_with_at(text, we, b" passwd ") {
                return openssl_passwd(cx, we + 8, end);
            }
            &[b" -k "]
        }
        Tool::SshKeygen => &[b" -N ", b" -P "],
        Tool::FreeRdp => &[b" /p:"],
        Tool::SecureString | Tool::SudoStdin | Tool::Identified | Tool::Pgpass => return,
    };
    for flag in flags {
        for p in after_each(text, we, end, flag) {
            // `/p:` and 7-Zip's `-p` take their value glued; the others after spaces.
            let p = if flag.ends_with(b" ") {
                run(text, p, 4, |b| b == b' ')
            } else {
                p
            };
            report(cx, p);
        }
    }
}

/// The offset right after each occurrence of `flag` in `text[from..end]`, left to right (an
/// occurrence may start where the previous one ended).
pub(super) fn after_each<'t>(
    text: &'t [u8],
    from: usize,
    end: usize,
    flag: &'t [u8],
) -> impl Iterator<Item = usize> + 't {
    let mut i = from;
    std::iter::from_fn(move || {
        let off = text
            .get(i..end)
            .and_then(|w| memchr::memmem::find(w, flag))?;
        i += off + flag.len();
        Some(i)
    })
}

/// Is `name` (a whole word) one of `tool`'s commands?
fn named(tool: Tool, name: &[u8]) -> bool {
    let base = name
        .iter()
        .rposition(|&b| b == b'/')
        .map_or(name, |k| name.get(k + 1..).unwrap_or_default());
    match tool {
        Tool::Redis => base == b"redis-cli",
        Tool::Ldap => matches!(
            base,
            b"ldapsearch"
                | b"ldapmodify"
                | b"ldapadd"
                | b"ldapdelete"
                | b"ldapwhoami"
                | b"ldappasswd"
                | b"ldapcompare"
                | b"ldapmodrdn"
                | b"ldapexop"
                | b"ldapvc"
        ),
        Tool::Smb => matches!(
            base,
            b"smbclient" | b"rpcclient" | b"smbcacls" | b"smbget" | b"smbtree" | b"smbcquotas"
        ),
        Tool::Zip => matches!(base, b"zip" | b"unzip" | b"zipcloak"),
        Tool::SevenZip => matches!(base, b"7z" | b"7za"),
        Tool::Sql => matches!(base, b"sqlcmd" | b"bcp" | b"isql" | b"osql" | b"tsql"),
        Tool::Rar => matches!(base, b"rar" | b"unrar"),
        Tool::Rdesktop => base == b"rdesktop",
        Tool::Openssl => base == b"openssl",
        Tool::SshKeygen => base == b"ssh-keygen",
        Tool::FreeRdp => matches!(
            base,
            b"xfreerdp" | b"wlfreerdp" | b"sdl-freerdp" | b"freerdp"
        ),
        Tool::SecureString | Tool::SudoStdin | Tool::Identified | Tool::Pgpass => false,
    }
}

/// Bytes of a command's name: letters, digits, `- _ . /`.
fn is_tool_byte(b: u8) -> bool {
    is_alnum(b) || matches!(b, b'-' | b'_' | b'.' | b'/')
}

/// Start of the command word holding `s`.
fn word_start(text: &[u8], s: usize) -> usize {
    let mut k = s;
    while k > 0 && s - k < 64 && is_tool_byte(before(text, k)) {
        k -= 1;
    }
    k
}

/// End of the command that starts at `from`: the next `|`, `;`, `&`, line break or NUL (a
/// quoted `;` ends it too: a password holding one is missed, never another command's option
/// taken).
fn command_end(text: &[u8], from: usize) -> usize {
    run(text, from, MAX_COMMAND, |b| {
        !matches!(b, b'|' | b';' | b'&' | b'\n' | b'\r' | 0)
    })
}

/// A variable or command substitution, not a literal: `$NAME`, `${...}`, `$(...)`,
/// `$env:NAME` (PowerShell), `%NAME%` (cmd).
fn is_reference(v: &[u8]) -> bool {
    v.first() == Some(&b'$')
        || v.windows(2).any(|w| w == b"${" || w == b"$(")
        || (v.first() == Some(&b'%') && v.last() == Some(&b'%'))
}

/// The value at `p` if it reads as a literal password.
fn literal(cx: &mut Ctx<'_>, p: usize) -> Option<(usize, usize)> {
    let text = cx.text;
    if matches!(at(text, p), b'-' | b' ' | b'\t' | b'\n' | b'\r' | 0) {
        return None;
    }
    let (vs, ve, quoted) = read_value(cx, p, Bare::Password)?;
    let v = text.get(vs..ve)?;
    // An everyday word after the option is prose about the tool (`run zip -P with care`).
    let word = !quoted && v.iter().all(u8::is_ascii_lowercase) && common_word(v);
    let ok = v.len() >= 3
        && !word
        && !is_reference(v)
        && !is_placeholder(v)
        && !v.iter().all(u8::is_ascii_digit)
        && (quoted || !is_alnum(at(text, ve)));
    ok.then_some((vs, ve))
}

fn report(cx: &mut Ctx<'_>, p: usize) {
    if let Some((vs, ve)) = literal(cx, p) {
        cx.push(EntityType::PasswordAssignment, vs, ve, CONF_TOOL);
    }
}

/// Samba's `-U [DOMAIN\]USER%PASSWORD` / `--user=...`: the part after the first `%` (no `%`:
/// the tool prompts).
fn smb(cx: &mut Ctx<'_>, from: usize, end: usize) {
    let text = cx.text;
    for flag in [&b" -U "[..], b" --user=", b" --user "] {
        for p in after_each(text, from, end, flag) {
            let p = run(text, p, 4, |b| b == b' ');
            let Some((vs, ve, _)) = read_value(cx, p, Bare::Password) else {
                continue;
            };
            let v = text.get(vs..ve).unwrap_or_default();
            let Some(pct) = v.iter().position(|&b| b == b'%') else {
                continue;
            };
            let pw = v.get(pct + 1..).unwrap_or_default();
            if pct > 0 && pw.len() >= 3 && !is_reference(pw) && !is_placeholder(pw) {
                cx.push(EntityType::PasswordAssignment, vs + pct + 1, ve, CONF_TOOL);
            }
        }
    }
}

/// `openssl passwd [-1|-5|-6|-apr1|-crypt] [-salt SALT] PASSWORD...`: the first argument that is
/// no option (none with `-in FILE` or `-stdin`, which read them elsewhere).
fn openssl_passwd(cx: &mut Ctx<'_>, from: usize, end: usize) {
    let text = cx.text;
    let mut i = from;
    while i < end {
        i = run(text, i, end - i, |b| b == b' ' || b == b'\t');
        if i >= end {
            return;
        }
        if at(text, i) == b'-' {
            let oe = run(text, i, 16, |b| b != b' ' && b != b'\t');
            let opt = text.get(i..oe).unwrap_or_default();
            if matches!(opt, b"-in" | b"-stdin") {
                return;
            }
            i = oe;
            // Options that take an argument: skip it.
            if matches!(opt, b"-salt" | b"-rand" | b"-provider" | b"-propquery") {
                i = run(text, i, 8, |b| b == b' ');
                i = run(text, i, 256, |b| b != b' ' && b != b'\t');
            }
            continue;
        }
        report(cx, i);
        return;
    }
}

/// PowerShell's `ConvertTo-SecureString [-String] "PASSWORD" -AsPlainText`: the string literal
/// converted (the `AsPlainText` switch at `s`; the cmdlet name earlier in the command).
fn secure_string(cx: &mut Ctx<'_>, s: usize) {
    let text = cx.text;
    let e = s + b"AsPlainText".len();
    if before(text, s) != b'-' || !starts_with_at(text, s, b"AsPlainText") || s < cx.memo.cli_to {
        return;
    }
    // The cmdlet and its argument come before the switch, within a line's length.
    let start = command_start(text, s, 512).unwrap_or(s.saturating_sub(512));
    let end = command_end(text, e);
    cx.memo.cli_to = end;
    let Some(seg) = text.get(start..end) else {
        return;
    };
    let Some(k) = find_ic(seg, b"convertto-securestring") else {
        return;
    };
    // The value: after `-String`, else the first argument after the cmdlet that is no option.
    let mut p = start + k + b"convertto-securestring".len();
    if let Some(o) = find_ic(text.get(p..end).unwrap_or_default(), b"-string ") {
        p += o + b"-string ".len();
    } else {
        loop {
            p = run(text, p, end.saturating_sub(p), |b| b == b' ');
            if at(text, p) != b'-' {
                break;
            }
            p = run(text, p, 32, |b| b != b' ');
        }
    }
    p = run(text, p, 4, |b| b == b' ');
    // Only a quoted literal: a bare argument is a variable or an expression.
    if !matches!(at(text, p), b'"' | b'\'') {
        return;
    }
    report(cx, p);
}

/// `echo PASSWORD | sudo [options] -S ...` and `sudo [options] -S ... <<< PASSWORD` (`sudo -S`
/// reads the password from standard input): the echoed literal or the here-string (the anchor
/// ` -S` at `s`, `sudo` and its other options before it: `-u USER -S`, `-k -S`).
fn sudo_stdin(cx: &mut Ctx<'_>, s: usize) {
    let text = cx.text;
    if !matches!(at(text, s + 3), b' ' | b'\t' | b'\n' | 0) {
        return;
    }
    let Some(cmd) = sudo_before(text, s) else {
        return;
    };
    if let Some((vs, ve)) = piped_echo(cx, cmd).or_else(|| here_string(cx, s)) {
        cx.push(EntityType::PasswordAssignment, vs, ve, CONF_TOOL);
    }
}

/// The `sudo` whose options run up to the ` -S` at `s` (`sudo -S`, `sudo -u deploy -H -S`), at
/// most 96 bytes back: every word between is an option or the argument of one that takes it.
fn sudo_before(text: &[u8], s: usize) -> Option<usize> {
    let start = command_start(text, s, 96)?;
    let cmd = run(text, start, s - start, |b| b == b' ' || b == b'\t');
    let words = text.get(cmd..s)?;
    let mut it = words.split(|&b| b == b' ').filter(|w| !w.is_empty());
    if it.next()? != b"sudo" {
        return None;
    }
    while let Some(w) = it.next() {
        if w.first() != Some(&b'-') {
            return None;
        }
        // `sudo`'s options that take an argument (its manual): skip it.
        if matches!(
            w,
            b"-u" | b"-g" | b"-p" | b"-h" | b"-C" | b"-D" | b"-r" | b"-t" | b"-U" | b"-T"
        ) {
            it.next()?;
        }
    }
    Some(cmd)
}

/// The literal of a bash here-string (`<<< 'PASSWORD'`) in the command holding `from`, fed to
/// a command that reads a password from standard input.
fn here_string(cx: &mut Ctx<'_>, from: usize) -> Option<(usize, usize)> {
    let text = cx.text;
    let end = command_end(text, from);
    // Memoised: the anchors of one command (` -S ... -S`) look at the same bytes.
    let k = cx
        .memo
        .here
        .find(text, from, end, |t, i| starts_with_at(t, i, b"<<<"))?;
    let p = run(text, k + 3, 4, |b| b == b' ');
    literal(cx, p)
}

/// `echo PASSWORD | docker login -u USER --password-stdin` (also `podman`, `helm registry`,
/// `oras`... `login`: `--password-stdin` reads the password from standard input): the echoed
/// literal, or a here-string (`... --password-stdin <<< 'PASSWORD'`) (`--password-stdin` at `ks`).
pub(super) fn password_stdin(cx: &mut Ctx<'_>, ks: usize) {
    let text = cx.text;
    // One look a command (the memo of `tool`), so a run of the option is read once.
    if !matches!(before(text, ks), b' ' | b'\t') || ks < cx.memo.cli_to {
        return;
    }
    cx.memo.cli_to = command_end(text, ks);
    let Some(start) = command_start(text, ks, MAX_COMMAND) else {
        return;
    };
    let cmd = run(text, start, ks - start, |b| b == b' ');
    if !text.get(cmd..ks).is_some_and(contains_login) {
        return;
    }
    if let Some((vs, ve)) = piped_echo(cx, cmd).or_else(|| here_string(cx, ks)) {
        cx.push(EntityType::PasswordAssignment, vs, ve, CONF_TOOL);
    }
}

/// `login` as a word of the command (`docker login`, `helm registry login`).
fn contains_login(w: &[u8]) -> bool {
    w.split(|&b| b == b' ').any(|x| x == b"login")
}

/// `echo USER:PASSWORD | [sudo] chpasswd` or `chpasswd <<< 'USER:PASSWORD'` (`chpasswd` at
/// `[ks, ke)`): the password after the first `:` (none with `-e`, whose input is already hashed).
pub(super) fn chpasswd(cx: &mut Ctx<'_>, ks: usize, ke: usize) {
    let text = cx.text;
    if !matches!(
        at(text, ke),
        b' ' | b'\t' | b'\n' | b'\r' | 0 | b';' | b'&' | b'|'
    ) || starts_with_at(text, ke, b" -e")
    {
        return;
    }
    let Some((vs, ve)) = piped_echo(cx, ks).or_else(|| here_string(cx, ke)) else {
        return;
    };
    let v = text.get(vs..ve).unwrap_or_default();
    if let Some(c) = v.iter().position(|&b| b == b':')
        && c > 0
        && ve - (vs + c + 1) >= 3
    {
        cx.push(EntityType::PasswordAssignment, vs + c + 1, ve, CONF_TOOL);
    }
}

/// The literal that `echo` or `printf` pipes into the command word at `cmd` (`echo 'x' | cmd`,
/// `echo -n x | sudo cmd`, `printf '%s' 'x' | cmd`, `printf 'x\n' | cmd` without its `\n`): the
/// command's first word (after an optional `sudo`) and the whole echo.
fn piped_echo(cx: &mut Ctx<'_>, cmd: usize) -> Option<(usize, usize)> {
    let text = cx.text;
    if is_tool_byte(before(text, cmd)) {
        return None;
    }
    // Only `sudo` may come before the command word.
    let start = command_start(text, cmd, 8)?;
    let lead = text.get(start..cmd)?.trim_ascii();
    if !(lead.is_empty() || lead == b"sudo") || before(text, start) != b'|' {
        return None;
    }
    let pipe = start - 1;
    if before(text, pipe) == b'|' {
        return None;
    }
    // `echo`, spaces and the literal (at most `keyed::MAX_VALUE` bytes).
    let from = command_start(text, pipe, 600)?;
    // Bytes of a `printf` format's trailing `\n`, not part of the password.
    let mut newline = 0;
    let seg = text.get(from..pipe)?;
    let mut p = from + seg.iter().take_while(|b| b.is_ascii_whitespace()).count();
    // A transcript's `$ ` prompt.
    if starts_with_at(text, p, b"$ ") {
        p += 2;
    }
    if starts_with_at(text, p, b"echo ") {
        p += 5;
        // `echo -n` / `echo -e`.
        while at(text, p) == b'-'
            && matches!(at(text, p + 1), b'n' | b'e')
            && at(text, p + 2) == b' '
        {
            p += 3;
        }
    } else if starts_with_at(text, p, b"printf ") {
        p += 7;
        // `printf '%s' PASSWORD` (or `'%s\n'`): the argument; else a format without directives
        // or escapes is itself what is printed.
        let fmt = text.get(p..p + 8).unwrap_or_default();
        if let Some(f) = [
            &b"'%s' "[..],
            b"\"%s\" ",
            b"'%s\\n' ",
            b"\"%s\\n\" ",
            b"%s ",
        ]
        .iter()
        .find(|f| fmt.starts_with(f))
        {
            p += f.len();
        } else {
            let (vs, ve) = literal(cx, p)?;
            let v = text.get(vs..ve)?;
            // A trailing `\n` is printed as the line end, not as part of the password.
            let body = v.strip_suffix(b"\\n").unwrap_or(v);
            let word = body.iter().all(u8::is_ascii_lowercase) && common_word(body);
            if body.len() < 3 || word || body.iter().any(|&b| b == b'%' || b == b'\\') {
                return None;
            }
            newline = v.len() - body.len();
        }
    } else {
        return None;
    }
    let (vs, ve) = literal(cx, p)?;
    // The literal is all that is echoed.
    let rest = text.get(ve..pipe).unwrap_or_default();
    let rest = if vs > p {
        rest.get(1..).unwrap_or_default()
    } else {
        rest
    };
    rest.iter()
        .all(|&b| b == b' ')
        .then_some((vs, ve - newline))
}

/// `htpasswd -b[cmBdpsDv] [-C cost] [-r rounds] FILE USER PASSWORD` and `htpasswd -nb... USER
/// PASSWORD` (`-b` takes the password from the command line; without it the tool prompts).
pub(super) fn htpasswd(cx: &mut Ctx<'_>, ke: usize) {
    let text = cx.text;
    if ke < cx.memo.cli_to {
        return;
    }
    let end = command_end(text, ke);
    cx.memo.cli_to = end;
    let mut i = ke;
    let (mut batch, mut stdout) = (false, false);
    let mut positional = 0;
    while i < end {
        i = run(text, i, end - i, |b| b == b' ' || b == b'\t');
        if i >= end {
            return;
        }
        if at(text, i) == b'-' && positional == 0 {
            let oe = run(text, i, 16, |b| b != b' ' && b != b'\t');
            let opt = text.get(i + 1..oe).unwrap_or_default();
            batch |= opt.contains(&b'b');
            stdout |= opt.contains(&b'n');
            i = oe;
            if matches!(opt, b"C" | b"r") {
                i = run(text, i, 8, |b| b == b' ');
                i = run(text, i, 16, |b| b != b' ' && b != b'\t');
            }
            continue;
        }
        if !batch {
            return;
        }
        positional += 1;
        if positional == if stdout { 2 } else { 3 } {
            report(cx, i);
            return;
        }
        // Skip this argument (a quoted one whole).
        i = match read_value(cx, i, Bare::Password) {
            Some((_, ve, true)) => ve + 1,
            Some((_, ve, false)) => ve.max(i + 1),
            None => return,
        };
    }
}

/// SQL's `IDENTIFIED BY 'PASSWORD'` (MySQL, MariaDB, Oracle `CREATE`/`ALTER USER`, `GRANT`) and
/// MySQL's `IDENTIFIED WITH <plugin> BY 'PASSWORD'`, with `BY`/`WITH` in upper case or `by`/`with`
/// in lower case: the anchor `IED BY` / `IED WITH` at `s` ends `IDENTIF`, `ified by ` / `ified
/// with ` ends `ident` in any case (`ied` alone would be in every `tried`).
/// Not a password: a bind variable (`:pw`, `?`, `@pw`), `BY VALUES`/`BY PASSWORD` (a hash),
/// `AS 'hash'`, and prose (`identified by the on-call engineer`).
fn identified(cx: &mut Ctx<'_>, s: usize) {
    let text = cx.text;
    // The lower-case anchor starts two bytes earlier (`ified by `): move to its `ied`.
    let s = if at(text, s) == b'i' && at(text, s + 1) == b'f' {
        s + 2
    } else {
        s
    };
    let Some(w) = s.checked_sub(7) else {
        return;
    };
    if !text
        .get(w..s)
        .is_some_and(|x| x.eq_ignore_ascii_case(b"identif"))
        || is_alnum(before(text, w))
    {
        return;
    }
    let mut p = s + 4; // past `IED `
    if at(text, p).eq_ignore_ascii_case(&b'w') {
        // `WITH <plugin> BY`.
        p = run(text, p + 4, 8, |b| b == b' ');
        p = run(text, p, 64, |b| is_alnum(b) || b == b'_');
        p = run(text, p, 8, |b| b == b' ');
        if !text
            .get(p..p + 3)
            .is_some_and(|x| x.eq_ignore_ascii_case(b"by "))
        {
            return;
        }
        p += 3;
    } else {
        p += 3; // past `BY `
    }
    p = run(text, p, 8, |b| b == b' ');
    if matches!(at(text, p), b':' | b'?' | b'@') {
        return;
    }
    let word = run(text, p, 16, |b| b.is_ascii_alphabetic());
    if text
        .get(p..word)
        .is_some_and(|x| x.eq_ignore_ascii_case(b"values") || x.eq_ignore_ascii_case(b"password"))
    {
        return;
    }
    report(cx, p);
}

/// `redis.conf`'s `requirepass PASSWORD` / `masterauth PASSWORD` (the key at `[ks, ke)`), at the
/// start of a line (a `# requirepass foobared` comment is the shipped example, not a setting).
pub(super) fn redis_config(cx: &mut Ctx<'_>, ks: usize, ke: usize) {
    let text = cx.text;
    let mut k = ks;
    while k > 0 && matches!(before(text, k), b' ' | b'\t') {
        k -= 1;
    }
    if !matches!(before(text, k), b'\n' | b'\r' | 0) || at(text, ke) != b' ' {
        return;
    }
    report(cx, run(text, ke, 8, |b| b == b' '));
}

/// Redis's `AUTH [USER] PASSWORD` command (the key `AUTH` at `[ks, ke)`), typed at a
/// `redis-cli` prompt (`127.0.0.1:6379> `, `redis> `) or as a line of its own: the last argument.
pub(super) fn redis_auth(cx: &mut Ctx<'_>, ks: usize, ke: usize) {
    let text = cx.text;
    let prompt = before(text, ks) == b' ' && ks >= 2 && at(text, ks - 2) == b'>';
    if !(prompt || matches!(before(text, ks), b'\n' | b'\r' | 0)) || at(text, ke) != b' ' {
        return;
    }
    let arg = |b: u8| !matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0);
    let line_end = |b: u8| matches!(b, b'\n' | b'\r' | 0);
    let a0 = run(text, ke, 8, |b| b == b' ');
    let a0_end = run(text, a0, MAX_COMMAND, arg);
    let a1 = run(text, a0_end, 8, |b| b == b' ');
    let p = if line_end(at(text, a1)) {
        a0
    } else {
        let a1_end = run(text, a1, MAX_COMMAND, arg);
        if !line_end(at(text, run(text, a1_end, 8, |b| b == b' '))) {
            return;
        }
        a1
    };
    report(cx, p);
}

/// Start of the command holding byte `i`: after the previous `|`, `;`, `&` or line break, if one
/// is at most `max` bytes back (else `None`).
fn command_start(text: &[u8], i: usize, max: usize) -> Option<usize> {
    let mut k = i;
    while k > 0 && !matches!(before(text, k), b'|' | b';' | b'&' | b'\n' | b'\r') {
        if i - k >= max {
            return None;
        }
        k -= 1;
    }
    Some(k)
}

/// How many lines after a `.pgpass` are read as its contents.
const PGPASS_LINES: usize = 16;

/// PostgreSQL's password file (its documentation's "The Password File"): lines
/// `hostname:port:database:username:password`, `*` for any value in the first four, `\:` and
/// `\\` escaping, `#` comments. Read where the text names the file (the anchor `pgp` at `s`,
/// the word `pgpass`): an entry echoed into it on the same line (`echo 'LINE' >> ~/.pgpass`),
/// and the lines after it (`cat ~/.pgpass` output, a heredoc into it) up to the first line that
/// is neither an entry nor a comment. The password is the fifth field.
fn pgpass(cx: &mut Ctx<'_>, s: usize) {
    let text = cx.text;
    if !starts_with_at(text, s, b"pgpass")
        || is_alnum(before(text, s))
        || is_alnum(at(text, s + 6))
        || s < cx.memo.pgpass_to
    {
        return;
    }
    let ls = command_start(text, s, MAX_COMMAND).unwrap_or(s);
    let le = run(text, s, MAX_COMMAND, |b| b != b'\n');
    // `echo 'ENTRY' >> ~/.pgpass`: the echoed literal, redirected to the file.
    if let Some(k) = text
        .get(ls..s)
        .and_then(|w| memchr::memmem::find(w, b"echo "))
    {
        let p = run(text, ls + k + 5, 8, |b| b == b' ');
        if let Some((vs, ve, _)) = read_value(cx, p, Bare::Password)
            && text.get(ve..s).is_some_and(|w| w.contains(&b'>'))
        {
            pgpass_entry(cx, vs, ve);
        }
    }
    // The lines after: the file's contents.
    let mut p = le + 1;
    for _ in 0..PGPASS_LINES {
        let e = run(text, p, MAX_COMMAND, |b| b != b'\n');
        let line = text.get(p..e).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.first() != Some(&b'#') && !pgpass_entry(cx, p, p + line.len()) {
            break;
        }
        p = e + 1;
        if p > text.len() {
            break;
        }
    }
    cx.memo.pgpass_to = p;
}

/// Report the password of the `.pgpass` entry `text[s..e]`, if it is one: five fields split by
/// unescaped `:`, none empty, the port `*` or digits, no whitespace before the password, which is
/// a literal (no `$VAR`, no placeholder, 3 bytes or more).
fn pgpass_entry(cx: &mut Ctx<'_>, s: usize, e: usize) -> bool {
    let text = cx.text;
    let Some(line) = text.get(s..e) else {
        return false;
    };
    let mut cuts = [0usize; 4];
    let mut n = 0;
    let mut i = 0;
    while i < line.len() {
        match line.get(i) {
            Some(b'\\') => i += 1,
            Some(b':') => {
                if n == 4 {
                    return false;
                }
                if let Some(c) = cuts.get_mut(n) {
                    *c = i;
                }
                n += 1;
            }
            Some(b' ' | b'\t') if n < 4 => return false,
            _ => {}
        }
        i += 1;
    }
    let [a, b, c, d] = cuts;
    let field = |x: usize, y: usize| line.get(x..y).unwrap_or_default();
    let port = field(a + 1, b);
    let fields_ok = n == 4
        && a > 0
        && c > b + 1
        && d > c + 1
        && (port == b"*" || (1..=5).contains(&port.len()) && port.iter().all(u8::is_ascii_digit));
    let pw = field(d + 1, line.len());
    if !fields_ok
        || pw.len() < 3
        || pw == b"*"
        || is_reference(pw)
        || line.contains(&b'$')
        || is_placeholder(pw)
    {
        return false;
    }
    cx.push(EntityType::PasswordAssignment, s + d + 1, e, CONF_TOOL);
    true
}

/// Case-insensitive search for an ASCII lower-case `needle`.
fn find_ic(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

#[cfg(test)]
mod tests {
    use super::super::find;

    fn passwords(text: &str) -> Vec<&str> {
        let mut out = Vec::new();
        find(text.as_bytes(), &mut out);
        out.iter()
            .filter(|f| f.entity_type == "password_assignment")
            .filter_map(|f| text.get(f.start..f.end))
            .collect()
    }

    #[test]
    fn the_option_counts_only_in_the_tools_own_command() {
        assert_eq!(
            passwords("zip -r a.zip d | sqlcmd -P Yuk0n2019!"),
            ["Yuk0n2019!"]
        );
        // `-a` belongs to `ls`, not to the redis-cli before the `;`.
        assert!(passwords("redis-cli ping; ls -a Xk9vQ2mLp7").is_empty());
        // A tool name inside another word is no tool.
        assert!(passwords("gzip -P Xk9vQ2mLp7 f").is_empty());
        assert!(passwords("myredis-cli -a Xk9vQ2mLp7").is_empty());
        // A path to the tool is the tool.
        assert_eq!(
            passwords("/usr/bin/redis-cli -a Xk9vQ2mLp7 ping"),
            ["Xk9vQ2mLp7"]
        );
        // Two passwords on one command.
        assert_eq!(
            passwords("ssh-keygen -p -P 0ldPhr4se! -N N3wPhr4se! -f k"),
            ["0ldPhr4se!", "N3wPhr4se!"]
        );
    }

    #[test]
    fn echo_must_be_the_whole_piped_command() {
        assert_eq!(passwords("echo 'Sud0P4ss!' | sudo -S id"), ["Sud0P4ss!"]);
        // Not echo, or echo of more than one literal, or no pipe: nothing.
        assert!(passwords("cat pw.txt | sudo -S id").is_empty());
        assert!(passwords("echo 'Sud0P4ss!' extra | sudo -S id").is_empty());
        assert!(passwords("echo 'Sud0P4ss!' || sudo -S id").is_empty());
        assert!(passwords("echo 'deploy:Ch4ng3M3!' | chpasswd --md5").len() == 1);
        assert!(passwords("echo 'deploy' | chpasswd").is_empty());
    }

    /// Each command is scanned once and every look-back is bounded: 256 KiB of anchors finish
    /// quickly even in a debug build (no timing asserted: a hang fails by timeout).
    #[test]
    fn repeated_tool_names_are_bounded() {
        for frag in [
            "zip ",
            "zip -P ",
            "redis-cli -a x ",
            "| sudo -S ",
            "echo x | sudo -S ",
            "-AsPlainText ",
            "ConvertTo-SecureString -AsPlainText ",
            "htpasswd -b ",
            "echo a:b | chpasswd ",
            "7z a -p",
            "openssl passwd -salt ",
            " --password-stdin",
            "echo x | docker login --password-stdin ",
            "printf '%s' x | sudo -S ",
            "sudo -u a -S ",
            "sudo -S <<< ",
            " -S -S -S <<< x",
            "rar a -px ",
            "identified by x ",
            "isql -P x ",
            "~/.pgpass\n",
            "cat .pgpass\nh:1:d:u:pw1\n",
            "echo 'h:1:d:u:pw1' > .pgpass ",
            "printf 'pw1\\n' | sudo -S ",
        ] {
            let text = frag.repeat(256 * 1024 / frag.len());
            let mut out = Vec::new();
            find(text.as_bytes(), &mut out);
            assert!(out.len() <= text.len());
        }
    }
}
