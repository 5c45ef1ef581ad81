//! Go modules as files: go.mod read in both the strict and the lax form, and the module proxy's
//! path and version escaping.

pub mod modfile;
