//! go.mod reading, the Go-toolchain driven bump, and package spec sync for vendored packages.

pub mod modfile;
pub mod spec_sync;
pub mod toolchain;
