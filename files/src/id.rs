//! Receipt ids: 32 lowercase hex digits from the OS random source, or an error.

/// 16 random bytes as 32 lowercase hex digits. `Err` when the OS random source fails: there is
/// no fallback id (a receipt id is always 32 hex, as the WIT promises).
pub fn random_hex16() -> Result<String, String> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| format!("generate a receipt id: {e}"))?;
    Ok(hex(&b))
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
    bytes
        .iter()
        .flat_map(|b| [digit(b >> 4), digit(b & 0x0f)])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_8_receipt_ids_are_32_lowercase_hex() {
        let a = random_hex16().unwrap();
        let b = random_hex16().unwrap();
        for id in [&a, &b] {
            assert_eq!(id.len(), 32, "{id}");
            assert!(
                id.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')),
                "{id}"
            );
        }
        assert_ne!(a, b);
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
    }
}
