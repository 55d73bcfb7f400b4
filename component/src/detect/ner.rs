//! The heuristic NER of the Go service (person, organization, location), Go section 6.2.

use crate::entity::Finding;

/// Append person / organization / location findings.
pub fn find(text: &[u8], out: &mut Vec<Finding>) {
    let _ = (text, out);
}
