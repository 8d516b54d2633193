//! Name resolution, types and lints.
