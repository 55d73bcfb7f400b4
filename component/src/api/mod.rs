//! The HTTP contract (Go section 2): request/response types, validation and error codes, shared by
//! the native host and the Spin app.
