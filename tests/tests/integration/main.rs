//! The conformance crate's one integration test binary (STYLE.md: faster to build, easier to
//! find), a module per topic.

mod detect_corpus;
mod differential;
mod policy_corpus;
mod transform_corpus;
