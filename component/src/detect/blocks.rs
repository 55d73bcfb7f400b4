//! Byte-class bit masks of a text's aligned 64-byte blocks, computed in one pass per text and
//! shared by the structured-PII family ([`super::pii`]), the address family ([`super::address`]),
//! the NER family ([`super::ner`]) and the decoding pass ([`super::decode`]), which used to
//! classify the same bytes separately. Bit k of a block's mask is byte
//! `64 * block + k`; bytes past the end of the text read as 0, which is in no class. The NER
//! family reads its token candidates from [`Block::title`] and, in the blocks that have any,
//! [`open_mask`].

use wide::i8x16;

/// The classes of one block.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Block {
    /// ASCII digits.
    pub digit: u64,
    /// Word bytes: ASCII letters, digits and `_`.
    pub word: u64,
    /// Digits and `@` (where the PII family looks).
    pub anchor: u64,
    /// Base64 run bytes: word bytes and `+ - /` (the decoding pass's runs).
    pub run: u64,
    /// House-number starts: a digit whose previous byte does not join it to a longer number or
    /// identifier (`address::joins`; the byte before the text is read as 0, which does not).
    pub start: u64,
    /// Digits right after a `=` (`x=2`, `address=4 Privet Drive`), which `start` leaves out: the
    /// address family reads the key before them (`address::find_in`).
    pub glued: u64,
    /// Bytes that may open a title-case token for the NER family: an upper-case ASCII letter or
    /// a lead byte >= 0xC2 (`ner::cand`; a block without any needs no [`open_mask`]).
    pub title: u64,
}

/// The masks of every block of `text`, in order (the last block zero-padded).
pub(crate) fn masks(text: &[u8]) -> Vec<Block> {
    let mut out = Vec::new();
    masks_into(text, &mut out);
    out
}

/// [`masks`] into `out` (cleared first), so a caller can reuse its buffer.
pub(crate) fn masks_into(text: &[u8], out: &mut Vec<Block>) {
    out.clear();
    out.reserve(text.len().div_ceil(64));
    let mut chunks = text.chunks_exact(64);
    // Bit 0: the byte before the block joins, is a `=`.
    let mut carry = 0u64;
    let mut eq_carry = 0u64;
    let mut push = |(mut blk, joins, eq): (Block, u64, u64)| {
        blk.start = blk.digit & !((joins << 1) | carry);
        blk.glued = blk.digit & ((eq << 1) | eq_carry);
        carry = joins >> 63;
        eq_carry = eq >> 63;
        out.push(blk);
    };
    for c in &mut chunks {
        if let Ok(b) = <&[u8; 64]>::try_from(c) {
            push(classify(b));
        }
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 64];
        push(classify(padded(rest, &mut buf)));
    }
}

/// `block` as 64 bytes: itself when it has 64, else copied into `buf` (zeroed) and padded with 0.
fn padded<'a>(block: &'a [u8], buf: &'a mut [u8; 64]) -> &'a [u8; 64] {
    match <&[u8; 64]>::try_from(block) {
        Ok(b) => b,
        Err(_) => {
            for (d, &b) in buf.iter_mut().zip(block) {
                *d = b;
            }
            buf
        }
    }
}

/// Byte `b` in every lane.
#[inline(always)]
fn splat(b: u8) -> i8x16 {
    i8x16::splat(i8::from_ne_bytes([b]))
}

/// A 16-byte chunk of a block as a vector.
#[inline(always)]
fn load16(chunk: &[u8]) -> i8x16 {
    let mut a = [0u8; 16];
    a.copy_from_slice(chunk);
    wide::bytemuck::cast(a)
}

/// The classes of one block and the mask of the bytes that join a house number
/// (`address::joins`), from which [`masks`] makes `start`: four 16-byte vectors, a few compares
/// each and one `movemask` (SSE2; `i8x16.bitmask` in the wasm32 guest with simd128) per class.
#[inline(always)]
fn classify(block: &[u8; 64]) -> (Block, u64, u64) {
    let mut blk = Block::default();
    let mut joins = 0u64;
    let mut eqs = 0u64;
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        let (c, j, e) = classify16(load16(chunk));
        let shift = 16 * k;
        blk.digit |= c.digit << shift;
        blk.word |= c.word << shift;
        blk.anchor |= c.anchor << shift;
        blk.run |= c.run << shift;
        blk.title |= c.title << shift;
        joins |= j << shift;
        eqs |= e << shift;
    }
    (blk, joins, eqs)
}

/// All ones where the byte lies in `lo..lo + n` (`1 <= n <= 128`): adding `0x80 - lo` moves that
/// range to the bottom of the signed bytes, where one signed compare finds it.
#[inline(always)]
fn in_range(v: i8x16, lo: u8, n: u8) -> i8x16 {
    let shift = i8::from_ne_bytes([0x80u8.wrapping_sub(lo)]);
    let top = i8::from_ne_bytes([n ^ 0x80]); // -128 + n
    (v + i8x16::splat(shift)).simd_lt(i8x16::splat(top))
}

/// [`classify`] of 16 bytes (bits 0..16; `start` left 0), and the bytes that join a house number.
#[inline(always)]
fn classify16(v: i8x16) -> (Block, u64, u64) {
    let eq = |b: u8| v.simd_eq(splat(b));
    let digit = in_range(v, b'0', 10);
    let word = digit | in_range(v | splat(0x20), b'a', 26) | eq(b'_');
    let at = eq(b'@');
    let plus = eq(b'+');
    // `-` (0x2D) and `/` (0x2F) are the bytes with `b | 2 == b'/'`.
    let dash_slash = (v | splat(2)).simd_eq(splat(b'/'));
    // `address::joins`: word bytes, `@ + = \`, `-./0123456789:` (one range) and `#$%` (another);
    // also every byte >= 0x80, which is the sign bit the bitmask reads from `v` itself.
    let equals = eq(b'=');
    let joins =
        word | at | plus | in_range(v, b'-', 14) | in_range(v, b'#', 3) | equals | eq(b'\\');
    let bits = |m: i8x16| u64::from(m.to_bitmask());
    let digit = bits(digit);
    let blk = Block {
        digit,
        word: bits(word),
        anchor: digit | bits(at),
        run: bits(word | plus | dash_slash),
        start: 0,
        glued: 0,
        title: bits(in_range(v, b'A', 26) | in_range(v, 0xC2, 62)),
    };
    (blk, bits(joins | v), bits(equals))
}

/// The bytes of a 64-byte block that a title-case token may follow (`ner::cand`): whitespace,
/// `" ' ( [ {` or a byte >= 0x80. Bytes past a short `block` read as 0, which is none of them.
/// With [`Block::title`], the NER family's token candidates.
pub(crate) fn open_mask(block: &[u8]) -> u64 {
    let mut buf = [0u8; 64];
    let mut open = 0u64;
    for (k, chunk) in padded(block, &mut buf).chunks_exact(16).enumerate() {
        let v = load16(chunk);
        // ` ` and `"` are the bytes with `b | 2 == b'"'`, `[` and `{` those with
        // `b | 0x20 == b'{'`; `\t`..`\r` and `' (` are ranges; a byte >= 0x80 is its sign bit.
        let op = (v | splat(2)).simd_eq(splat(b'"'))
            | in_range(v, b'\t', 5)
            | in_range(v, b'\'', 2)
            | (v | splat(0x20)).simd_eq(splat(b'{'))
            | v;
        open |= u64::from(op.to_bitmask()) << (16 * k);
    }
    open
}

/// Every (previous, current) byte pair once, then `last`: 131,073 bytes, so the pairs fall at
/// every offset of a 64-byte block and across block boundaries, and the last block is partial.
/// For the tests of masks that read the byte before.
#[cfg(test)]
pub(crate) fn every_byte_pair(last: u8) -> Vec<u8> {
    let mut text = Vec::with_capacity(2 * 65_536 + 1);
    for prev in 0..=255u8 {
        for cur in 0..=255u8 {
            text.extend_from_slice(&[prev, cur]);
        }
    }
    text.push(last);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_the_byte_classes() {
        let text: Vec<u8> = (0..=255u8).chain(b"ab_9@+-/,.".iter().copied()).collect();
        let m = masks(&text);
        assert_eq!(m.len(), text.len().div_ceil(64));
        for (i, &b) in text.iter().enumerate() {
            let blk = m.get(i / 64).copied().unwrap_or_default();
            let bit = |x: u64| x >> (i % 64) & 1 == 1;
            let word = b.is_ascii_alphanumeric() || b == b'_';
            assert_eq!(bit(blk.digit), b.is_ascii_digit(), "digit {b}");
            assert_eq!(bit(blk.word), word, "word {b}");
            assert_eq!(
                bit(blk.anchor),
                b.is_ascii_digit() || b == b'@',
                "anchor {b}"
            );
            assert_eq!(bit(blk.run), word || b"+-/".contains(&b), "run {b}");
            assert_eq!(
                bit(blk.title),
                b.is_ascii_uppercase() || b >= 0xC2,
                "title {b}"
            );
            let prev = i
                .checked_sub(1)
                .and_then(|p| text.get(p))
                .copied()
                .unwrap_or(0);
            let start = b.is_ascii_digit() && !crate::detect::address::joins(prev);
            assert_eq!(bit(blk.start), start, "start {b} after {prev}");
        }
        // Padding past the end is in no class.
        let last = m.last().copied().unwrap_or_default();
        assert_eq!(last.word >> (text.len() % 64), 0);
        assert_eq!(last.run >> (text.len() % 64), 0);
        assert!(masks(b"").is_empty());
    }

    /// The masks that read the byte before (`start`, `glued`): every (previous, current) byte
    /// pair, at every offset in a block and across block boundaries.
    #[test]
    fn start_reads_every_byte_pair() {
        let text = every_byte_pair(b'7');
        let m = masks(&text);
        for (i, &b) in text.iter().enumerate() {
            let blk = m.get(i / 64).copied().unwrap_or_default();
            let bit = |x: u64| x >> (i % 64) & 1 == 1;
            let prev = i.checked_sub(1).and_then(|p| text.get(p)).copied();
            let start = b.is_ascii_digit() && !crate::detect::address::joins(prev.unwrap_or(0));
            assert_eq!(bit(blk.start), start, "start {b} after {prev:?}");
            let glued = b.is_ascii_digit() && prev == Some(b'=');
            assert_eq!(bit(blk.glued), glued, "glued {b} after {prev:?}");
        }
    }
}
