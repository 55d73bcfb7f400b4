//! Byte-class bit masks of a text's aligned 64-byte blocks, computed in one pass per text and
//! shared by the structured-PII family ([`super::pii`]), the address family ([`super::address`])
//! and the decoding pass ([`super::decode`]), which used to classify the same bytes separately. Bit k of a block's mask is byte
//! `64 * block + k`; bytes past the end of the text read as 0, which is in no class.

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
}

/// The masks of every block of `text`, in order (the last block zero-padded).
pub(crate) fn masks(text: &[u8]) -> Vec<Block> {
    let mut out = Vec::with_capacity(text.len().div_ceil(64));
    let mut chunks = text.chunks_exact(64);
    // Bit 0: the byte before the block joins.
    let mut carry = 0u64;
    let mut push = |(mut blk, joins): (Block, u64)| {
        blk.start = blk.digit & !((joins << 1) | carry);
        carry = joins >> 63;
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
        for (d, &b) in buf.iter_mut().zip(rest) {
            *d = b;
        }
        push(classify(&buf));
    }
    out
}

/// One vectorised byte loop for the classes, then a pack each; also the mask of the bytes that
/// join a house number (`address::joins`), from which [`masks`] makes `start`.
#[inline(always)]
fn classify(block: &[u8; 64]) -> (Block, u64) {
    let mut d = [0u8; 64];
    let mut w = [0u8; 64];
    let mut a = [0u8; 64];
    let mut r = [0u8; 64];
    let mut j = [0u8; 64];
    for (((((d, w), a), r), j), &b) in d
        .iter_mut()
        .zip(&mut w)
        .zip(&mut a)
        .zip(&mut r)
        .zip(&mut j)
        .zip(block)
    {
        let digit = b.wrapping_sub(b'0') < 10;
        let alpha = (b | 0x20).wrapping_sub(b'a') < 26;
        let word = digit | alpha | (b == b'_');
        *d = u8::from(digit);
        *w = u8::from(word);
        *a = u8::from(b == b'@');
        // `-` (0x2D) and `/` (0x2F) are the bytes with `b | 2 == b'/'`.
        *r = u8::from((b == b'+') | ((b | 2) == b'/'));
        *j = u8::from(super::address::joins(b));
    }
    let digit = pack64(&d);
    let at = pack_any(&a);
    let word = pack64(&w);
    let blk = Block {
        digit,
        word,
        anchor: digit | at,
        run: word | pack_any(&r),
        start: 0,
    };
    // `start` reads the joining bytes only before a digit: in a block without one, only the last
    // byte's (the carry into the next block) matters.
    let joins = if digit != 0 {
        pack64(&j)
    } else {
        u64::from(j[63]) << 63
    };
    (blk, joins)
}

/// [`pack64`] of a class that many blocks lack (`@`; `+ - /` in about half the bench blocks):
/// zero without packing when no byte is set.
#[inline(always)]
fn pack_any(f: &[u8; 64]) -> u64 {
    if f.iter().fold(0u8, |m, &x| m | x) != 0 {
        pack64(f)
    } else {
        0
    }
}

/// Pack 64 bytes of 0/1 into a bit mask (byte k -> bit k), eight at a time: the multiply by
/// 0x0102040810204080 moves byte j's low bit to bit 56 + j without carries.
#[inline(always)]
pub(crate) fn pack64(f: &[u8; 64]) -> u64 {
    let mut m = 0u64;
    for (j, ch) in f.chunks_exact(8).enumerate() {
        let mut b = [0u8; 8];
        b.copy_from_slice(ch);
        let x = u64::from_le_bytes(b);
        m |= (x.wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * j);
    }
    m
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
}
