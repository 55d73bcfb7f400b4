//! A small RFC 3339 timestamp validator (the `updated_at` field), matching Go's
//! `time.Parse(time.RFC3339, ...)`: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)`.

fn digits(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(n)?)?;
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

fn is_leap(y: u32) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// True if `s` is a valid RFC 3339 date-time (upper-case `T` and `Z`, as Go requires; seconds
/// 00-59; optional fraction of 1-9 digits; offset hours < 24).
pub fn is_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let field = |at, n| digits(b, at, n);
    let lit = |at: usize, c: u8| b.get(at) == Some(&c);
    let (Some(year), Some(month), Some(day)) = (field(0, 4), field(5, 2), field(8, 2)) else {
        return false;
    };
    let (Some(hour), Some(min), Some(sec)) = (field(11, 2), field(14, 2), field(17, 2)) else {
        return false;
    };
    if !(lit(4, b'-') && lit(7, b'-') && lit(10, b'T') && lit(13, b':') && lit(16, b':')) {
        return false;
    }
    if !(1..=12).contains(&month)
        || day < 1
        || day > days_in_month(year, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return false;
    }
    let mut i = 19;
    if lit(i, b'.') {
        let n = b
            .get(i + 1..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if !(1..=9).contains(&n) {
            return false;
        }
        i += 1 + n;
    }
    match b.get(i) {
        Some(b'Z') => i + 1 == b.len(),
        Some(b'+' | b'-') => {
            i + 6 == b.len()
                && lit(i + 3, b':')
                && field(i + 1, 2).is_some_and(|h| h < 24)
                && field(i + 4, 2).is_some_and(|m| m < 60)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_valid;

    #[test]
    fn accepts() {
        for s in [
            "2026-02-24T00:00:00Z",
            "2024-02-29T23:59:59Z",
            "2026-02-24T10:20:30.123456789+05:30",
            "2026-02-24T10:20:30-08:00",
            "0001-01-01T00:00:00Z",
        ] {
            assert!(is_valid(s), "{s}");
        }
    }

    #[test]
    fn rejects() {
        for s in [
            "",
            "2026-02-24",
            "2026-02-24 00:00:00Z",
            "2026-02-24t00:00:00Z",
            "2026-02-24T00:00:00z",
            "2026-02-24T00:00:00",
            "2026-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-04-31T00:00:00Z",
            "2026-02-24T24:00:00Z",
            "2026-02-24T00:60:00Z",
            "2026-02-24T00:00:60Z",
            "2026-02-24T00:00:00.Z",
            "2026-02-24T00:00:00.1234567890Z",
            "2026-02-24T00:00:00+0530",
            "2026-02-24T00:00:00+24:00",
            "2026-02-24T00:00:00Zjunk",
            "2026-02-24T00:00:00+05:30x",
            "2026-02-24T0a:00:00Z",
        ] {
            assert!(!is_valid(s), "{s}");
        }
    }
}
