//! What a BOSH release holds: `config/blobs.yml`, `config/final.yml` / `private.yml`,
//! `packages/*/spec` and `packages/*/spec.lock`, with the [`glob`] matching of a spec's `files`
//! and the [`yaml_v2`] writer that blobs.yml's byte layout needs.

pub mod blob_bump;
pub mod blobs;
pub mod config;
pub mod glob;
pub mod snapshot;
pub mod spec;
pub mod yaml_v2;
