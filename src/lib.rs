//! currency keeps BOSH release repositories current with their upstream dependencies.
//!
//! The life of one bump, end to end:
//! 1. [`concourse`] reads the request (stdin JSON, argv) and [`source`] validates it into typed
//!    configuration;
//! 2. [`steps`] runs the step: [`workspace`] fetches the base branch (one shallow git fetch,
//!    cached across checks) and [`release`] reads what the release holds: blobs, package specs,
//!    go.mod files;
//! 3. [`detect`] decides which dependencies to track when the source names none;
//! 4. [`upstream`] asks GitHub releases, the Go downloads index and the module proxy what exists
//!    (conditional requests through [`http`] and [`cache`]);
//! 5. [`plan`] decides, without I/O, which dependencies are behind and their targets;
//! 6. [`report`] renders plan.json, report.md, the step metadata and pull-request bodies;
//!    [`download`] fetches and verifies artifacts; `out` uploads them to the [`blobstore`], edits
//!    the release (the Go toolchain for modules, [`go_toolchain`]), pushes and opens the pull
//!    request through [`github`].
//!
//! Errors ([`error`]) name the key, file, URL or dependency; [`secrets`] keeps credentials out of
//! every line that leaves the process.
//!
//! # Layers
//!
//! Each module uses only modules of its own layer or of lower ones, and no two modules use each
//! other (`tests/architecture.rs` checks both from this list):
//!
//! - layer 1, basics: `error`, `secrets`, `progress`, `version`, `cache`, `yaml`, `files`
//! - layer 2, file formats (pure parse and write): `release`, `gomod`
//! - layer 3, configuration: `source`
//! - layer 4, the outside world: `http`, `upstream`, `workspace`, `blobstore`, `github`, `download`, `go_toolchain`
//! - layer 5, deciding (pure): `detect`, `plan`, `report`
//! - layer 6, the steps and the fleet: `steps`, `fleet`
//! - layer 7, edges: `concourse`, `cli`

pub mod blobstore;
pub(crate) mod cache;
pub mod cli;
pub mod concourse;
pub(crate) mod detect;
pub(crate) mod download;
pub mod error;
pub(crate) mod files;
pub(crate) mod fleet;
pub(crate) mod github;
pub mod go_toolchain;
pub mod gomod;
pub(crate) mod http;
pub(crate) mod plan;
pub(crate) mod progress;
pub mod release;
pub(crate) mod report;
pub mod secrets;
pub mod source;
pub mod steps;
pub(crate) mod upstream;
pub mod version;
pub(crate) mod workspace;
pub(crate) mod yaml;

/// Reading a source release of vendored packages as `check` does (one git connection, the
/// answer cached per commit): public for the tests and benches that exercise it directly.
pub use cache::Cache;
/// The HTTP client and reading the Go vulnerability database as plans do (one conditional index
/// request, reports cached by their `modified` time): public for the tests and benches that
/// exercise it directly.
pub use http::Http;
pub use upstream::release::{SourceRelease, lookup as lookup_source_release};
pub use upstream::vulndb::{Affected, Event, Report, VulnDb, lookup as lookup_vulndb};

/// Logs one line to stderr, with secrets redacted. stdout is reserved for the protocol.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::secrets::redact(&format!($($arg)*)))
    };
}
