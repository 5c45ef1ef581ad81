//! currency keeps BOSH release repositories current with their upstream dependencies.
//!
//! The life of one bump, end to end:
//! 1. [`concourse`] reads the request (stdin JSON, argv) and [`source`] validates it into typed
//!    configuration;
//! 2. [`workspace`] fetches the base branch (one shallow git fetch, cached across checks) and
//!    [`release`] reads what the release holds: blobs, package specs, go.mod files;
//! 3. [`detect`] decides which dependencies to track when the source names none;
//! 4. [`upstream`] asks GitHub releases, the Go downloads index and the module proxy what exists
//!    (conditional requests through [`http`] and [`cache`]);
//! 5. [`plan`] decides, without I/O, which dependencies are behind and their targets;
//! 6. [`report`] renders plan.json, report.md and the step metadata; [`download`] fetches and
//!    verifies artifacts.
//!
//! Errors ([`error`]) name the key, file, URL or dependency; [`secrets`] keeps credentials out of
//! every line that leaves the process.

pub mod assess;
pub mod blobstore;
pub mod bump;
pub mod cache;
pub mod cli;
pub mod concourse;
pub mod detect;
pub mod download;
pub mod error;
pub mod fleet;
pub mod github;
pub mod gomod;
pub mod http;
pub mod plan;
pub mod progress;
pub mod release;
pub mod report;
pub mod secrets;
pub mod source;
pub mod upstream;
pub mod version;
pub mod workspace;

/// Logs one line to stderr, with secrets redacted. stdout is reserved for the protocol.
#[macro_export]
macro_rules! log {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::secrets::redact(&format!($($arg)*)))
    };
}
