//! Structured PII detectors: email, phone, ssn, credit_card, ip_address, ipv6, mac_address, iban,
//! date, date_of_birth, zip_code, address.

use crate::entity::Finding;

/// Append every structured-PII finding in `text` (non-overlapping within one type).
pub fn find(text: &[u8], out: &mut Vec<Finding>) {
    let _ = (text, out);
}
