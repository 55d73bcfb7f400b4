//! Memos that keep per-anchor validation linear in the input size.
//!
//! Anchors can sit inside the value of an earlier anchor (`api_key=api_key=...`,
//! `xapp-1-xapp-1-...`): each anchor then re-reads and re-checks a window of up to the maximal
//! token length that mostly overlaps the previous anchor's window. Windows move left to right
//! (both ends non-decreasing), so each check here remembers what it already scanned and only
//! looks at the new bytes. Every answer is exactly the answer of the plain function on the same
//! window (`run`, `weak_body`, `wordy`, `any`); a query that does not fit the memo (a window
//! further left) falls back to a fresh scan bounded by the window, never worse than the plain
//! function.

use super::{at, run, segment_wordy};

/// `run(text, from, max, pred)` for one predicate, remembering the run already scanned.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct RunMemo {
    set: bool,
    from: usize,
    /// Every byte in `[from, end)` satisfies the predicate.
    end: usize,
    /// The scan stopped at its cap, not at a non-member or the end of the text.
    open: bool,
}

impl RunMemo {
    pub(super) fn run(
        &mut self,
        text: &[u8],
        from: usize,
        max: usize,
        pred: impl Fn(u8) -> bool,
    ) -> usize {
        let limit = from.saturating_add(max);
        if !(self.set && self.from <= from && from <= self.end) {
            let end = run(text, from, max, &pred);
            *self = RunMemo {
                set: true,
                from,
                end,
                open: end == limit,
            };
            return end;
        }
        if !self.open || limit <= self.end {
            return self.end.min(limit);
        }
        let end = run(text, self.end, limit - self.end, &pred);
        self.end = end;
        self.open = end == limit;
        end
    }
}

/// The first position `i` in a window `[x, b)` where `hit(text, i)` holds.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct NextHit {
    set: bool,
    from: usize,
    /// Scanned `[from, to)`: `found` is the first hit there (or none).
    to: usize,
    found: Option<usize>,
}

impl NextHit {
    pub(super) fn find(
        &mut self,
        text: &[u8],
        x: usize,
        b: usize,
        hit: impl Fn(&[u8], usize) -> bool,
    ) -> Option<usize> {
        if self.set && self.from <= x {
            match self.found {
                Some(f) if f >= x => return (f < b).then_some(f),
                None if x <= self.to => {
                    if b <= self.to {
                        return None;
                    }
                    let found = (self.to..b).find(|&i| hit(text, i));
                    self.to = b;
                    self.found = found;
                    return found;
                }
                _ => {}
            }
        }
        let found = (x..b).find(|&i| hit(text, i));
        *self = NextHit {
            set: true,
            from: x,
            to: b,
            found,
        };
        found
    }
}

/// Byte class for `distinct_bytes`: ASCII bytes exactly, all non-ASCII bytes as one.
fn class(b: u8) -> usize {
    usize::from(b.min(128))
}

/// Whether a window has at least six distinct byte classes, with a sliding window of counts.
#[derive(Debug, Clone)]
struct Distinct6 {
    set: bool,
    lo: usize,
    hi: usize,
    counts: [u32; 129],
    n: usize,
}

impl Default for Distinct6 {
    fn default() -> Distinct6 {
        Distinct6 {
            set: false,
            lo: 0,
            hi: 0,
            counts: [0; 129],
            n: 0,
        }
    }
}

impl Distinct6 {
    fn add(&mut self, b: u8) {
        if let Some(c) = self.counts.get_mut(class(b)) {
            if *c == 0 {
                self.n += 1;
            }
            *c += 1;
        }
    }

    fn remove(&mut self, b: u8) {
        if let Some(c) = self.counts.get_mut(class(b)) {
            *c = c.saturating_sub(1);
            if *c == 0 {
                self.n = self.n.saturating_sub(1);
            }
        }
    }

    /// `distinct_bytes(text[a..b]) >= 6`.
    fn at_least_6(&mut self, text: &[u8], a: usize, b: usize) -> bool {
        if !self.set || a < self.lo || self.hi > b || a > self.hi {
            self.set = true;
            self.lo = a;
            self.hi = a;
            self.counts = [0; 129];
            self.n = 0;
        }
        while self.lo < a {
            self.remove(at(text, self.lo));
            self.lo += 1;
        }
        while self.n < 6 && self.hi < b {
            self.add(at(text, self.hi));
            self.hi += 1;
        }
        self.n >= 6
    }
}

/// `weak_body(text[a..b])` for windows moving left to right.
#[derive(Debug, Clone, Default)]
pub(super) struct WeakMemo {
    same: NextHit,
    xs: NextHit,
    dots: NextHit,
    distinct: Distinct6,
    /// Furthest end of a window queried so far (see `weak`).
    seen_end: usize,
}

/// The `k` bytes ending at `i` all satisfy `pred`.
fn ends_run(text: &[u8], i: usize, k: usize, pred: impl Fn(u8) -> bool) -> bool {
    i + 1 >= k
        && text
            .get(i + 1 - k..=i)
            .is_some_and(|w| w.iter().all(|&b| pred(b)))
}

impl WeakMemo {
    pub(super) fn weak(&mut self, text: &[u8], a: usize, b: usize) -> bool {
        let len = b.saturating_sub(a);
        if len == 0 {
            return true;
        }
        if len < 12 {
            // Short bodies: the plain function (the distinct-byte bar is below six).
            return super::weak_body(text.get(a..b).unwrap_or_default());
        }
        // A window that overlaps no earlier one (the common case: separate values) gains nothing
        // from the memos, and the plain single pass is several times cheaper than filling them.
        // Only a window overlapping the previous one (an anchor inside an earlier value) uses
        // the memos, so a chain of overlapping windows still costs one plain pass plus one
        // linear memo pass.
        if a >= self.seen_end {
            self.seen_end = b;
            return super::weak_body(text.get(a..b).unwrap_or_default());
        }
        self.seen_end = self.seen_end.max(b);
        let same6 = |t: &[u8], i: usize| {
            let c = at(t, i);
            ends_run(t, i, 6, |x| x == c)
        };
        if self.same.find(text, a + 5, b, same6).is_some()
            || self
                .xs
                .find(text, a + 3, b, |t, i| {
                    ends_run(t, i, 4, |x| x == b'x' || x == b'X')
                })
                .is_some()
            || self
                .dots
                .find(text, a + 2, b, |t, i| ends_run(t, i, 3, |x| x == b'.'))
                .is_some()
        {
            return true;
        }
        !self.distinct.at_least_6(text, a, b)
    }
}

/// `wordy`'s segment separators.
pub(super) fn is_word_sep(b: u8) -> bool {
    matches!(b, b'_' | b'-' | b'.' | b'/' | b'+' | b'=' | b':')
}

/// `wordy(text[a..b])` for windows moving left to right: whole segments strictly inside the
/// window are text segments, remembered; the first and last segment are checked directly.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct WordyMemo {
    bad: NextHit,
}

/// `i` starts a segment (of the whole text) that is not wordy.
fn bad_segment_start(text: &[u8], i: usize) -> bool {
    if is_word_sep(at(text, i)) || i >= text.len() || (i > 0 && !is_word_sep(at(text, i - 1))) {
        return false;
    }
    let end = run(text, i, usize::MAX, |b| !is_word_sep(b));
    !segment_wordy(text.get(i..end).unwrap_or_default())
}

impl WordyMemo {
    pub(super) fn wordy(&mut self, text: &[u8], a: usize, b: usize) -> bool {
        let Some(v) = text.get(a..b) else {
            return super::wordy(text.get(a.min(text.len())..).unwrap_or_default());
        };
        // First separator in the window, and last.
        let Some(first) = v.iter().position(|&c| is_word_sep(c)) else {
            return v.is_empty() || segment_wordy(v);
        };
        let last = v.iter().rposition(|&c| is_word_sep(c)).unwrap_or(first);
        let head = v.get(..first).unwrap_or_default();
        let tail = v.get(last + 1..).unwrap_or_default();
        if (!head.is_empty() && !segment_wordy(head)) || (!tail.is_empty() && !segment_wordy(tail))
        {
            return false;
        }
        // Segments starting in (a + first, a + last) end at or before the separator at `a + last`.
        let (lo, hi) = (a + first + 1, a + last);
        lo >= hi || self.bad.find(text, lo, hi, bad_segment_start).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{is_alnum, weak_body, wordy};
    use super::*;

    /// Deterministic text over a small alphabet with many separators, runs and repeats.
    fn text(seed: u64, len: usize) -> Vec<u8> {
        const ALPHA: &[u8] = b"aAbB01xX.._-=:/+ glpatKEY\xc3\xa9";
        let mut s = seed | 1;
        (0..len)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                ALPHA[(s as usize) % ALPHA.len()]
            })
            .collect()
    }

    /// Windows moving left to right (the common case) and jumping back (the fallback).
    fn windows(seed: u64, len: usize) -> Vec<(usize, usize)> {
        let mut s = seed | 1;
        let mut next = move |n: usize| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s as usize) % n.max(1)
        };
        let mut a = 0usize;
        let mut out = Vec::new();
        while a < len {
            let b = (a + next(300)).min(len);
            out.push((a, b));
            a = if next(10) == 0 {
                next(len)
            } else {
                a + next(12)
            };
        }
        out
    }

    /// Every memoized check equals the plain function on the same window.
    #[test]
    fn memos_match_plain_functions() {
        for seed in 1..40u64 {
            let t = text(seed, 3000);
            let (mut rm, mut nh, mut wk, mut wd) = (
                RunMemo::default(),
                NextHit::default(),
                WeakMemo::default(),
                WordyMemo::default(),
            );
            for (a, b) in windows(seed * 7919, t.len()) {
                let pred = |c: u8| is_alnum(c) || c == b'.';
                let max = b - a;
                assert_eq!(rm.run(&t, a, max, pred), run(&t, a, max, pred), "run {a}");
                let hit = |t: &[u8], i: usize| at(t, i) == b'x' && at(t, i + 1) == b'.';
                assert_eq!(
                    nh.find(&t, a, b, hit),
                    (a..b).find(|&i| hit(&t, i)),
                    "next hit {a}..{b}"
                );
                let v = &t[a..b];
                assert_eq!(wk.weak(&t, a, b), weak_body(v), "weak {a}..{b} {v:?}");
                assert_eq!(wd.wordy(&t, a, b), wordy(v), "wordy {a}..{b} {v:?}");
            }
        }
    }

    /// Pathological repeats of every anchor kind scan to the end in one pass (a quadratic
    /// detector would not finish this test in reasonable time even in a debug build; timing is
    /// measured by `examples/quad.rs`, not asserted here).
    #[test]
    fn pathological_repeats_complete() {
        let frags = [
            "api_key=",
            "Api_key=1",
            "password=",
            "secret=",
            "token: ",
            "Bearer ",
            "glpat-",
            "glpat-a.",
            "xoxb-",
            "xapp-1-",
            "github_pat_",
            "eyJ",
            "-----BEGIN PRIVATE KEY-----\n",
            "://u:",
            "a://",
            "https://x/?sv=1&sig=",
            "https://x/?X-Amz-Credential=1&X-Amz-Signature=",
            "glcbt-",
            "credential=",
        ];
        for f in frags {
            let t = f.repeat((256 << 10) / f.len());
            let mut out = Vec::new();
            super::super::find(t.as_bytes(), &mut out);
            assert!(out.iter().all(|x| x.end <= t.len()));
        }
    }
}
