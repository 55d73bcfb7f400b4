//! Receipts: canonical JSON, action/input hashes, findings without raw values, SHA-256 chain.
