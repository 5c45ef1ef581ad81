//! What a BOSH release holds: `config/blobs.yml`, `config/final.yml` / `private.yml`,
//! `packages/*/spec` and `packages/*/spec.lock`.

pub mod blob_bump;
pub mod blobs;
pub mod config;
pub mod snapshot;
pub mod spec;
