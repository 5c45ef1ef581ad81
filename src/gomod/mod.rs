//! go.mod reading (and, later, the Go-toolchain driven bump).

pub mod modfile;
