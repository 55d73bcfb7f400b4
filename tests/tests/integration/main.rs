//! The conformance crate's one integration test binary (STYLE.md: faster to build, easier to
//! find), a module per topic: the golden corpus through the native core (`detect_corpus`,
//! `policy_corpus`, `transform_corpus`), the core vs the component in wasmtime (`differential`),
//! the HTTP contract served by the core, the component and the real HTTP host (`firewalls`), and
//! the edge app's imports against its runtimes (`edge_imports`).

mod detect_corpus;
mod differential;
mod edge_imports;
mod firewalls;
mod policy_corpus;
mod transform_corpus;
