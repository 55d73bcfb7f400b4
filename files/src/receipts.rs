//! The receipts file's tail: settle it before appending, under the core's rule
//! (`datafog::receipt::tail`; see the crate docs).
//!
//! [`settle_tail`] is the repair both writers run: the host after its start-up scan has found
//! where the verified receipts end, the shim (through [`chain_head`]) before each offline
//! decision. [`chain_head`] finds the chain head by reading the file backwards from its end, so
//! its cost does not grow with the file.

use std::fs::File;
use std::io::{Error, ErrorKind, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;

use datafog::receipt::GENESIS_HASH;
use datafog::receipt::tail::{hash_of, is_torn};

/// Bytes read from the end of the file at first; the window grows fourfold until the last
/// receipt is in view.
const WINDOW: u64 = 4096;

/// Settle the tail of a receipts file opened for reading and writing (or appending): cut
/// everything past `end` (a torn last line the caller found under the rule; `end` is where it
/// starts), then, if the file does not end with a newline (a whole last receipt whose newline was
/// lost, or a blank partial line), write one. What changed is synced (`fdatasync`). Returns where
/// the next line goes, and leaves the file's cursor there.
pub fn settle_tail(file: &mut File, end: u64) -> std::io::Result<u64> {
    let len = file.metadata()?.len();
    let mut changed = false;
    if len > end {
        file.set_len(end)?;
        changed = true;
    }
    let mut end = end.min(len);
    if end > 0 {
        let mut last = [0u8];
        file.read_exact_at(&mut last, end - 1)?;
        if last != *b"\n" {
            file.seek(SeekFrom::Start(end))?;
            file.write_all(b"\n")?;
            end += 1;
            changed = true;
        }
    }
    if changed {
        file.sync_data()?;
    }
    file.seek(SeekFrom::Start(end))?;
    Ok(end)
}

/// The chain head of a receipts file (the last receipt's `hash`: the next receipt's
/// `prev_hash`; [`GENESIS_HASH`] for a file without receipts), after settling its tail: a torn
/// last line is cut, a whole one without its newline is kept and gets one ([`settle_tail`]). The
/// file must be open for reading and writing (or appending); the caller holds whatever lock keeps
/// other writers out. Reads only the tail of the file and does not verify the chain (`receipts
/// verify` does). `InvalidData` when the last receipt has no string `hash`.
pub fn chain_head(file: &mut File) -> std::io::Result<String> {
    let mut len = file.metadata()?.len();
    let mut window = WINDOW;
    'window: loop {
        let start = len.saturating_sub(window);
        let size =
            usize::try_from(len - start).map_err(|e| Error::new(ErrorKind::OutOfMemory, e))?;
        let mut buf = vec![0u8; size];
        file.read_exact_at(&mut buf, start)?;
        // Walk back over the lines in view, from the last: `stop` ends the current one, and
        // `complete` says whether a newline follows it.
        let mut stop = buf.len();
        let mut complete = false;
        loop {
            let view = buf.get(..stop).unwrap_or_default();
            let from = match view.iter().rposition(|&b| b == b'\n') {
                Some(nl) => nl + 1,
                None if start == 0 => 0,
                // The line may begin before the window: look further back.
                None => {
                    window = window.saturating_mul(4);
                    continue 'window;
                }
            };
            let line = view.get(from..).unwrap_or_default();
            if line.iter().all(u8::is_ascii_whitespace) {
                if from == 0 {
                    // Nothing but blank lines: no receipts yet.
                    settle_tail(file, len)?;
                    return Ok(GENESIS_HASH.to_owned());
                }
                stop = from - 1;
                complete = true;
                continue;
            }
            if !complete && is_torn(line) {
                // A torn last line: cut it and look again at what is left.
                len = settle_tail(file, start + from as u64)?;
                window = WINDOW;
                continue 'window;
            }
            let hash = hash_of(line).ok_or_else(|| {
                Error::new(ErrorKind::InvalidData, "the last receipt has no `hash`")
            })?;
            settle_tail(file, len)?;
            return Ok(hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafog::receipt::verify_chain;
    use std::fs::OpenOptions;
    use std::path::PathBuf;

    fn temp(tag: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("datafog-tail-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d.join("receipts.jsonl")
    }

    /// A line shaped like a receipt (enough for the tail rule: a JSON object with a `hash`).
    fn line(n: usize) -> String {
        format!(
            r#"{{"hash":"h{n}","pad":"{}","prev_hash":"h{}"}}"#,
            "x".repeat(n * 700),
            n.saturating_sub(1)
        )
    }

    fn head_of(path: &PathBuf, contents: &str) -> (std::io::Result<String>, String) {
        std::fs::write(path, contents).unwrap();
        let mut f = OpenOptions::new()
            .read(true)
            .append(true)
            .open(path)
            .unwrap();
        let head = chain_head(&mut f);
        (head, std::fs::read_to_string(path).unwrap())
    }

    #[test]
    fn issue_8_a_whole_last_line_is_kept_and_a_torn_one_cut() {
        let path = temp("rule");
        let (a, b) = (line(1), line(9));
        // Empty, blank: genesis.
        assert_eq!(head_of(&path, "").0.unwrap(), GENESIS_HASH);
        assert_eq!(head_of(&path, "\n \n").0.unwrap(), GENESIS_HASH);
        // Whole lines with their newlines: nothing changes.
        let full = format!("{a}\n{b}\n");
        let (head, after) = head_of(&path, &full);
        assert_eq!((head.unwrap(), after), ("h9".to_owned(), full.clone()));
        // A whole last receipt without its newline (b is longer than the first window): kept,
        // and the newline is added so the next append starts a line of its own.
        let (head, after) = head_of(&path, &format!("{a}\n{b}"));
        assert_eq!((head.unwrap(), after), ("h9".to_owned(), full.clone()));
        // A torn last line: cut, the head is the receipt before it.
        let torn = &b[..b.len() / 2];
        let (head, after) = head_of(&path, &format!("{a}\n{torn}"));
        assert_eq!((head.unwrap(), after), ("h1".to_owned(), format!("{a}\n")));
        // A torn first (only) line: cut to nothing.
        let (head, after) = head_of(&path, &a[..10]);
        assert_eq!(
            (head.unwrap(), after),
            (GENESIS_HASH.to_owned(), String::new())
        );
        // Blank lines after the last receipt are skipped; a blank partial line gets its newline.
        let (head, after) = head_of(&path, &format!("{a}\n\n  "));
        assert_eq!(
            (head.unwrap(), after),
            ("h1".to_owned(), format!("{a}\n\n  \n"))
        );
        // A whole object without `hash` is not cut: an error, and the file is left alone.
        let (head, after) = head_of(&path, &format!("{a}\n{{\"x\":1}}"));
        assert_eq!(head.unwrap_err().kind(), ErrorKind::InvalidData);
        assert_eq!(after, format!("{a}\n{{\"x\":1}}"));
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }

    #[test]
    fn issue_8_a_real_chain_stays_valid_after_settling() {
        use datafog::api::{DecideContext, DecideRequest};
        let starter = concat!(env!("CARGO_MANIFEST_DIR"), "/../config/policy.json");
        let policy = datafog::Policy::from_json(&std::fs::read(starter).unwrap()).unwrap();
        let path = temp("chain");
        let mut text = String::new();
        let mut prev = GENESIS_HASH.to_owned();
        for i in 0..3 {
            let mut req = DecideRequest::default();
            req.action.action_type = "file.read".into();
            req.text = format!("note {i}");
            let ctx = DecideContext {
                receipt_id: format!("{i:032x}"),
                timestamp: "2026-01-01T00:00:00Z".into(),
                prev_hash: prev.clone(),
                key: b"0123456789abcdef",
                input_hash: String::new(),
            };
            let (_, r) = datafog::api::decide(&policy, &req, ctx).unwrap();
            prev = r.hash.clone();
            text.push_str(&r.canonical_json());
            text.push('\n');
        }
        // The newline of the last receipt was lost.
        let (head, after) = head_of(&path, text.trim_end());
        assert_eq!(head.unwrap(), prev);
        assert_eq!(after, text);
        assert_eq!(verify_chain(after.lines()).unwrap().count, 3);
        std::fs::remove_dir_all(path.parent().unwrap()).unwrap();
    }
}

/// The name of rotated segment `n` of the receipts file `path`: `<path>.<n, six digits>`
/// (`datafog_receipts.jsonl.000001`). A writer that rotates (`datafog-api` with
/// `DATAFOG_RECEIPT_ROTATE_MB`) renames the full file to the next segment and starts an empty
/// one; the chain continues across them (the new file's first `prev_hash` is the last segment's
/// last `hash`).
pub fn segment_path(path: &std::path::Path, n: u32) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".{n:06}"));
    std::path::PathBuf::from(name)
}

/// The rotated segments of the receipts file `path`, oldest (lowest number) first: every sibling
/// named `<file name>.<digits>`. A missing directory has none.
pub fn segments(path: &std::path::Path) -> std::io::Result<Vec<(u32, std::path::PathBuf)>> {
    let Some(file_name) = path.file_name().and_then(|n| n.to_str()) else {
        return Ok(Vec::new());
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut out = Vec::new();
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|n| n.strip_prefix(file_name))
            .and_then(|n| n.strip_prefix('.'))
        else {
            continue;
        };
        if !rest.is_empty()
            && rest.bytes().all(|b| b.is_ascii_digit())
            && let Ok(n) = rest.parse::<u32>()
        {
            out.push((n, entry.path()));
        }
    }
    out.sort_unstable_by_key(|(n, _)| *n);
    Ok(out)
}

#[cfg(test)]
mod segment_tests {
    use super::*;

    #[test]
    fn segments_are_the_numbered_siblings_oldest_first() {
        let dir = std::env::temp_dir().join(format!("datafog-segments-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("r.jsonl");
        for name in [
            "r.jsonl",
            "r.jsonl.000010",
            "r.jsonl.000002",
            "r.jsonl.checkpoints",
            "r.jsonl.12x",
            "other.jsonl.000001",
        ] {
            std::fs::write(dir.join(name), b"").unwrap();
        }
        let got: Vec<u32> = segments(&path)
            .unwrap()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        assert_eq!(got, [2, 10]);
        assert_eq!(segment_path(&path, 3), dir.join("r.jsonl.000003"));
        assert!(segments(&dir.join("missing/r.jsonl")).unwrap().is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
