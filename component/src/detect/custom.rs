//! Policy-defined detectors and allow-lists.

use crate::entity::Finding;

/// A detector defined in a policy (`custom_detectors`): a size-limited pattern, optional context
/// keywords, optional validator.
#[derive(Clone, Debug)]
pub struct CustomDetector {
    pub name: String,
}

impl CustomDetector {
    pub fn find(&self, text: &[u8], out: &mut Vec<Finding>) {
        let _ = (text, out);
    }
}

/// Values or patterns never reported (`allow_list` in a policy).
#[derive(Clone, Debug, Default)]
pub struct AllowList {}

impl AllowList {
    /// True if the matched bytes `value` are allow-listed.
    pub fn allows(&self, value: &[u8]) -> bool {
        let _ = value;
        false
    }
}
