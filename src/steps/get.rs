//! `in` (get): the report of a version — plan.json, report.md, version.json — and, with
//! `params.download`, the target artifacts, checksum-verified.
//!
//! All or nothing: a failure half-way (the second artifact of two) takes back what this run
//! wrote, so the destination never holds a partial result.

use std::path::{Path, PathBuf};

use crate::cache::Cache;
use crate::error::{Error, ErrorKind, Result};
use crate::http::Http;
use crate::report::{self, MetadataField};
use crate::source::{Source, UP_TO_DATE};
use crate::steps::assess::{self, Assessment};
use crate::steps::{InParams, StepOutput, VersionMap, json_bytes, runtime};

pub fn get(source: Source, version: Option<VersionMap>, params: InParams, dest: &Path) -> Result<StepOutput> {
    let requested = version.ok_or_else(|| Error::config("version", "required key is missing"))?;
    let http = Http::new(source.skip_ssl_verification)?;
    let cache = Cache::open();
    let rt = runtime()?;
    let mut a = rt.block_on(assess::remote(source, &cache, &http, assess::Vulns::All))?;
    let up_to_date = requested.contains_key(UP_TO_DATE);
    if up_to_date && requested.len() > 1 {
        return Err(Error::config("version", "\"up-to-date\" cannot be combined with dependency names"));
    }
    if !up_to_date {
        a.plan.pin(&requested)?;
        // What the requested targets fix, not the planned ones.
        if let Some(db) = &a.vulndb {
            crate::plan::vulns::annotate(&mut a.plan, &a.detected.dependencies, db);
        }
    }
    std::fs::create_dir_all(dest).map_err(|e| Error::io(dest, e))?;
    let mut written = Written::new(dest);
    let result = (|| -> Result<()> {
        if params.download && !up_to_date {
            download_all(&rt, &http, &a, &requested, &mut written)?;
        }
        for (file, bytes) in [
            ("plan.json", json_bytes(&report::PlanJson::from(&a.plan))),
            ("report.md", report::markdown(&a.plan).into_bytes()),
            ("version.json", json_bytes(&requested)),
        ] {
            let path = dest.join(file);
            written.will_write(&path);
            std::fs::write(&path, &bytes).map_err(|e| Error::io(&path, e))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        written.take_back();
        return Err(e);
    }
    let metadata = if up_to_date {
        vec![MetadataField { name: "commit".into(), value: a.plan.commit.clone() }]
    } else {
        report::in_metadata(&a.plan, &requested)
    };
    Ok(StepOutput { version: requested, metadata })
}

/// Downloads and verifies the artifacts of every requested blob dependency (every platform's,
/// for golang) into `artifacts/<name>/`.
fn download_all(
    rt: &tokio::runtime::Runtime,
    http: &Http,
    a: &Assessment,
    requested: &VersionMap,
    written: &mut Written,
) -> Result<()> {
    for (name, target) in requested {
        let dep = a.dependency(name).ok_or_else(|| Error::dependency_as(ErrorKind::Config, name, "is not tracked"))?;
        if dep.kind.blobs().is_none() {
            continue;
        }
        let offer = a.offer_for(dep).ok_or_else(|| Error::dependency(name, "no upstream answer"))?;
        let artifacts = rt.block_on(crate::download::resolve(http, &a.source, dep, offer, target))?;
        let dir = written.artifacts.join(name);
        written.will_write(&dir);
        for artifact in &artifacts {
            let got = rt.block_on(crate::download::fetch_verified(http, &a.source, artifact, &dir))?;
            crate::log!(
                "{name}: {} ({} bytes, sha256 {}{})",
                artifact.filename,
                got.size,
                got.sha256,
                if got.verified { ", verified" } else { ", NOT verified: upstream publishes no checksum" }
            );
        }
    }
    Ok(())
}

/// What this run created in the destination, to take back on failure.
struct Written {
    created: Vec<PathBuf>,
    artifacts: PathBuf,
    artifacts_existed: bool,
}

impl Written {
    fn new(dest: &Path) -> Written {
        let artifacts = dest.join("artifacts");
        Written { created: Vec::new(), artifacts_existed: artifacts.exists(), artifacts }
    }

    /// Notes `path` as this run's when it does not exist yet.
    fn will_write(&mut self, path: &Path) {
        if !path.exists() {
            self.created.push(path.to_path_buf());
        }
    }

    fn take_back(&self) {
        for path in self.created.iter().rev() {
            let _ = if path.is_dir() { std::fs::remove_dir_all(path) } else { std::fs::remove_file(path) };
        }
        if !self.artifacts_existed {
            let _ = std::fs::remove_dir(&self.artifacts);
        }
    }
}
