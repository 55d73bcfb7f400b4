//! Reading the receipts chain backwards, newest line first, for the admin console: positioned
//! reads of [`CHUNK`] bytes from the end of each file (the current file, then the rotated
//! segments newest first), so a page costs what it reads, not the file's size. An incomplete last
//! line (one being written) is skipped.

use std::time::{Duration, Instant};

use datafog::api::console::Cursor;

use crate::receipts::SegmentReader;

/// Bytes per backward read.
pub const CHUNK: usize = 64 << 10;

/// Why a backward scan ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Every line was read.
    Start,
    /// The visitor stopped at a line it did not take: the next scan starts with it (this
    /// position is the end of that line).
    Stopped(Cursor),
    /// The time budget ran out; the next scan starts at this position.
    Budget(Cursor),
}

/// Visit the chain's lines newest first from `from` (`None`: the end), calling `visit(line)`
/// until it returns `false` or `budget` has passed. `files` are the chain's files in chain order
/// (`ReceiptStore::chain_files`).
pub fn scan_back(
    files: &[SegmentReader],
    from: Option<Cursor>,
    budget: Duration,
    mut visit: impl FnMut(&str) -> bool,
) -> std::io::Result<End> {
    let started = Instant::now();
    let start = from.unwrap_or(Cursor {
        segment: 0,
        offset: u64::MAX,
    });
    let mut segment = start.segment;
    let mut first = true;
    while let Some(file) = files
        .len()
        .checked_sub(segment + 1)
        .and_then(|i| files.get(i))
    {
        let size = file.size()?;
        let end = if first { start.offset.min(size) } else { size };
        first = false;
        let mut buf: Vec<u8> = Vec::new();
        let mut pos = end;
        // Skip an incomplete last line: the region must end with a newline.
        if end > 0 {
            let mut last = [0u8; 1];
            file.read_at(&mut last, end - 1)?;
            if last[0] != b'\n' {
                loop {
                    let n = (pos as usize).min(CHUNK);
                    if n == 0 {
                        break;
                    }
                    let mut chunk = vec![0u8; n];
                    read_exact_at(file, &mut chunk, pos - n as u64)?;
                    pos -= n as u64;
                    if let Some(k) = chunk.iter().rposition(|&b| b == b'\n') {
                        pos += k as u64 + 1;
                        break;
                    }
                }
            }
        }
        // `buf` holds bytes [pos, lim) and ends with a newline (or is empty).
        loop {
            let body_len = buf.len().saturating_sub(1);
            let k = buf
                .get(..body_len)
                .and_then(|b| b.iter().rposition(|&c| c == b'\n'));
            match k {
                Some(k) => {
                    let line_start = pos + k as u64 + 1;
                    let line_end = pos + buf.len() as u64;
                    let line = buf.get(k + 1..body_len).unwrap_or_default();
                    if !emit(line, &mut visit) {
                        // The line was not taken: the next scan starts with it.
                        return Ok(End::Stopped(Cursor {
                            segment,
                            offset: line_end,
                        }));
                    }
                    buf.truncate(k + 1);
                    if started.elapsed() > budget {
                        return Ok(End::Budget(Cursor {
                            segment,
                            offset: line_start,
                        }));
                    }
                }
                None if pos == 0 => {
                    if !buf.is_empty() {
                        let line = buf.get(..body_len).unwrap_or_default();
                        if !emit(line, &mut visit) {
                            return Ok(End::Stopped(Cursor {
                                segment,
                                offset: buf.len() as u64,
                            }));
                        }
                    }
                    break;
                }
                None => {
                    let n = (pos as usize).min(CHUNK);
                    let mut chunk = vec![0u8; n];
                    read_exact_at(file, &mut chunk, pos - n as u64)?;
                    pos -= n as u64;
                    chunk.extend_from_slice(&buf);
                    buf = chunk;
                }
            }
        }
        segment += 1;
    }
    Ok(End::Start)
}

/// One line to the visitor (blank or non-UTF-8 lines are skipped: `true`).
fn emit(line: &[u8], visit: &mut impl FnMut(&str) -> bool) -> bool {
    match std::str::from_utf8(line) {
        Ok(l) if !l.trim().is_empty() => visit(l),
        _ => true,
    }
}

fn read_exact_at(file: &SegmentReader, buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
    let mut done = 0;
    while done < buf.len() {
        let n = file.read_at(buf.get_mut(done..).unwrap_or_default(), offset)?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        done += n;
        offset += n as u64;
    }
    Ok(())
}

/// Newlines before byte `offset` of `file` (a line's 0-based index in its file).
pub fn lines_before(file: &SegmentReader, offset: u64) -> std::io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    let mut count = 0u64;
    while at < offset {
        let want = usize::try_from(offset - at)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = file.read_at(buf.get_mut(..want).unwrap_or_default(), at)?;
        if n == 0 {
            break;
        }
        count += memchr::memchr_iter(b'\n', buf.get(..n).unwrap_or_default()).count() as u64;
        at += n as u64;
    }
    Ok(count)
}
