//! What a BOSH release holds: `config/blobs.yml`, `config/final.yml` / `private.yml`,
//! `packages/*/spec` and `packages/*/spec.lock`, the `.final_builds` index of vendored packages
//! and the final releases of a source release, with the [`glob`] matching of a spec's `files`
//! and the [`yaml_v2`] writer that blobs.yml's and the index's byte layout need.

pub mod blob_bump;
pub mod blobs;
pub mod config;
pub mod final_builds;
pub mod final_release;
pub mod glob;
pub mod rename;
pub mod snapshot;
pub mod spec;
pub mod vendor;
pub mod yaml_v2;
