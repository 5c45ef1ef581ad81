//! The edit `bosh vendor-package` makes to a release (contract §8 step 3a;
//! `shared/reference/vendor-package.md` §1.3–1.5), pure: which packages a vendoring brings
//! ([`closure`]), whether one is already in this release's final index ([`in_index`]), and the
//! files it writes ([`apply`]): the index entries, each `packages/<name>/` emptied to a fresh
//! `spec.lock`, and on a line change the old name renamed and `packages/<old>/` removed.

use std::collections::{BTreeMap, BTreeSet};

use crate::error::{Error, ErrorKind, Result};
use crate::release::final_builds::FinalIndex;
use crate::release::final_release::{ManifestPackage, ReleaseManifest};
use crate::release::rename::rename_package;
use crate::release::snapshot::{MAX_FILE, RepoFiles};
use crate::release::spec::{SpecLock, package_name_problem};

/// One package as vendored into this release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendoredPackage {
    /// Its name here: `<prefix>-<source name>`, or the source name without a prefix.
    pub name: String,
    pub fingerprint: String,
    /// The source index's digest string, copied unchanged (`sha256:<hex>`, or bare sha1 hex).
    pub sha1: String,
    /// Its dependencies' names here (prefixed like it).
    pub dependencies: Vec<String>,
    /// The object id it was uploaded as; `None` when this release's index already lists the
    /// fingerprint (nothing uploaded, the index left as it is).
    pub blobstore_id: Option<String>,
}

/// One vendoring: the packages (a package and its dependencies), and the line changes it makes
/// (old name → new name, e.g. `golang-1.23-linux` → `golang-1.24-linux`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Vendoring {
    pub packages: Vec<VendoredPackage>,
    pub renames: Vec<(String, String)>,
}

/// What a vendoring writes: path → new contents (only files whose bytes change), and the paths
/// removed (in byte order; never one that is also written).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VendorEdit {
    pub files: BTreeMap<String, Vec<u8>>,
    pub removed: Vec<String>,
}

/// The packages `bosh vendor-package <package> [--prefix P]` vendors from `manifest`: `package`
/// and, recursively, its dependencies, each once (a cycle ends where it closes), with its name in
/// this release (`<prefix>-<name>`; an empty prefix is none, as bosh-cli takes it). The order is
/// depth first: `package`, then each dependency in the manifest's order. A `package` the manifest
/// lacks is an error naming it and the release ([`ErrorKind::NotFound`]); so is a dependency it
/// lacks ([`ErrorKind::Invalid`]: the manifest contradicts itself).
pub fn closure<'m>(
    manifest: &'m ReleaseManifest,
    package: &str,
    prefix: Option<&str>,
) -> Result<Vec<(&'m ManifestPackage, String)>> {
    let release = format!("final release {} {}", manifest.name, manifest.version);
    let root = manifest.package(package).ok_or_else(|| Error::dependency(package, format!("is not in {release}")))?;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(pkg) = stack.pop() {
        if !seen.insert(pkg.name.as_str()) {
            continue;
        }
        let name = local_name(prefix, &pkg.name);
        check_name(&name)?;
        for dep in pkg.dependencies.iter().rev() {
            let found = manifest.package(dep).ok_or_else(|| {
                let message = format!("is not in {release}, though its package {} depends on it", pkg.name);
                Error::dependency_as(ErrorKind::Invalid, dep, message)
            })?;
            stack.push(found);
        }
        out.push((pkg, name));
    }
    Ok(out)
}

/// A source package's name in this release: `<prefix>-<name>`, or `name` without a prefix (or
/// with an empty one). Dependencies' names in a `spec.lock` are made the same way.
pub fn local_name(prefix: Option<&str>, name: &str) -> String {
    match prefix.filter(|p| !p.is_empty()) {
        Some(prefix) => format!("{prefix}-{name}"),
        None => name.to_string(),
    }
}

/// Whether `.final_builds/packages/<name>/index.yml` in `files` already lists `fingerprint` (a
/// missing index lists nothing).
pub fn in_index(files: &dyn RepoFiles, name: &str, fingerprint: &str) -> Result<bool> {
    Ok(read_index(files, name)?.is_some_and(|index| index.find(fingerprint).is_some()))
}

/// The files `vendoring` writes over `files`, byte for byte as bosh-cli writes them: the renames
/// first (each over the last one's result), then each uploaded package's index entry, then
/// `packages/<old>/` of each rename and `packages/<name>/` of each package emptied, and each
/// package's fresh `spec.lock`. A file whose bytes stay the same is left out. A malformed index
/// or `spec.lock` of a vendored package, a name that cannot name a package, or an index that
/// disagrees with `blobstore_id` (lists a fingerprint said to be uploaded, or lacks one said to be
/// there) is an error, and nothing is edited.
pub fn apply(files: &dyn RepoFiles, vendoring: &Vendoring) -> Result<VendorEdit> {
    check_vendoring(vendoring)?;
    let mut tree = Overlay { base: files, paths: files.paths()?, changed: BTreeMap::new(), removed: BTreeSet::new() };
    for (old, new) in &vendoring.renames {
        let renamed = rename_package(&tree, old, new)?;
        tree.changed.extend(renamed);
    }
    for pkg in &vendoring.packages {
        if let Some((path, text)) = index_with(files, pkg)? {
            tree.write(path, text.into_bytes());
        }
    }
    for (old, _) in &vendoring.renames {
        tree.remove_dir(old);
    }
    for pkg in &vendoring.packages {
        let path = format!("packages/{}/spec.lock", pkg.name);
        if let Some(text) = read_yaml(files, &path)? {
            SpecLock::parse(&text).map_err(|e| e.in_file(&path))?;
        }
        tree.remove_dir(&pkg.name);
        let lock = SpecLock {
            name: pkg.name.clone(),
            fingerprint: pkg.fingerprint.clone(),
            dependencies: pkg.dependencies.clone(),
        };
        tree.write(path, lock.to_bosh_yaml().into_bytes());
    }
    tree.into_edit()
}

/// The index of `pkg` with its build added, when it was uploaded: `(path, text)`. An upload the
/// index already lists, or a package neither uploaded nor listed, is an error: either would
/// leave a `spec.lock` and the index disagreeing.
fn index_with(files: &dyn RepoFiles, pkg: &VendoredPackage) -> Result<Option<(String, String)>> {
    let path = index_path(&pkg.name);
    let index = read_index(files, &pkg.name)?;
    let listed = index.as_ref().is_some_and(|index| index.find(&pkg.fingerprint).is_some());
    let fp = &pkg.fingerprint;
    match (&pkg.blobstore_id, listed) {
        (None, true) => Ok(None),
        (None, false) => {
            Err(Error::Parse { file: path, message: format!("does not list {fp}, and nothing was uploaded for it") })
        }
        (Some(id), true) => {
            Err(Error::Parse { file: path, message: format!("already lists {fp}; the upload {id} would be a second") })
        }
        (Some(id), false) => {
            let mut index = index.unwrap_or_default();
            index.add(fp, id, &pkg.sha1).map_err(|message| Error::Parse { file: path.clone(), message })?;
            Ok(Some((path, index.to_bosh_yaml())))
        }
    }
}

fn index_path(name: &str) -> String {
    format!(".final_builds/packages/{name}/index.yml")
}

/// The final index of package `name`; `None` when there is none.
fn read_index(files: &dyn RepoFiles, name: &str) -> Result<Option<FinalIndex>> {
    check_name(name)?;
    let path = index_path(name);
    let Some(text) = read_yaml(files, &path)? else { return Ok(None) };
    FinalIndex::parse(&text).map(Some).map_err(|e| e.in_file(&path))
}

/// A YAML file's text; `None` when there is no such file. Too large, not UTF-8 or nested too
/// deep is an error naming it.
fn read_yaml(files: &dyn RepoFiles, path: &str) -> Result<Option<String>> {
    let Some(bytes) = files.read(path)? else { return Ok(None) };
    let bad = |message: &str| Error::Parse { file: path.into(), message: message.into() };
    if bytes.len() > MAX_FILE {
        return Err(bad("is larger than 8 MiB; refusing to parse it"));
    }
    let text = String::from_utf8(bytes).map_err(|_| bad("is not UTF-8 text"))?;
    crate::yaml::check_yaml_nesting(&text).map_err(|e| e.in_file(path))?;
    Ok(Some(text))
}

fn check_name(name: &str) -> Result<()> {
    match package_name_problem(name) {
        Some(why) => {
            Err(Error::dependency_as(ErrorKind::Invalid, name, format!("is not a BOSH package name: it {why}")))
        }
        None => Ok(()),
    }
}

/// Every name a package directory or an index path is made of, every fingerprint a single word,
/// no package twice, no rename onto itself.
fn check_vendoring(vendoring: &Vendoring) -> Result<()> {
    let mut names = BTreeSet::new();
    for pkg in &vendoring.packages {
        check_name(&pkg.name)?;
        pkg.dependencies.iter().try_for_each(|d| check_name(d))?;
        let invalid = |message: String| Error::dependency_as(ErrorKind::Invalid, &pkg.name, message);
        if pkg.fingerprint.is_empty() || pkg.fingerprint.contains(char::is_whitespace) {
            return Err(invalid(format!("fingerprint {:?} is not a single word", pkg.fingerprint)));
        }
        if !names.insert(pkg.name.as_str()) {
            return Err(invalid("is vendored twice in one vendoring".into()));
        }
    }
    for (old, new) in &vendoring.renames {
        check_name(old)?;
        check_name(new)?;
        if old == new {
            return Err(Error::dependency_as(ErrorKind::Invalid, old, "is renamed to itself"));
        }
    }
    Ok(())
}

/// `files` with the edit so far over them, so each rename reads the one before it.
struct Overlay<'a> {
    base: &'a dyn RepoFiles,
    paths: Vec<String>,
    changed: BTreeMap<String, Vec<u8>>,
    removed: BTreeSet<String>,
}

impl Overlay<'_> {
    fn write(&mut self, path: String, bytes: Vec<u8>) {
        self.removed.remove(&path);
        self.changed.insert(path, bytes);
    }

    /// Every file under `packages/<name>/` gone, as bosh-cli's `RemoveAll` leaves it.
    fn remove_dir(&mut self, name: &str) {
        let dir = format!("packages/{name}/");
        self.changed.retain(|path, _| !path.starts_with(&dir));
        self.removed.extend(self.paths.iter().filter(|p| p.starts_with(&dir)).cloned());
    }

    /// The edit against `base`: files whose bytes differ from its, and its files removed.
    fn into_edit(self) -> Result<VendorEdit> {
        let mut files = BTreeMap::new();
        for (path, bytes) in self.changed {
            if self.base.read(&path)?.as_ref() != Some(&bytes) {
                files.insert(path, bytes);
            }
        }
        Ok(VendorEdit { files, removed: self.removed.into_iter().collect() })
    }
}

impl RepoFiles for Overlay<'_> {
    fn paths(&self) -> Result<Vec<String>> {
        Ok(self.paths.iter().filter(|p| !self.removed.contains(*p)).cloned().collect())
    }

    fn read(&self, path: &str) -> Result<Option<Vec<u8>>> {
        if self.removed.contains(path) {
            return Ok(None);
        }
        match self.changed.get(path) {
            Some(bytes) => Ok(Some(bytes.clone())),
            None => self.base.read(path),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::release::snapshot::MemFiles;

    const FP_OLD: &str = "f0dcf6dc53e540274e1c50d596a512fecaa47999a3ff03b09956da289c47bc33";
    const FP_NEW: &str = "99299850cca90b3e10b6d66b81064326f91711783758370fbb21e64a686d4d43";
    const SHA_OLD: &str = "sha256:25533742962dd3cef1647fb2f0e176ce37aee611427d309d3acefef1661702ba";
    const SHA_NEW: &str = "sha256:05af9312cac7aaa6e37140bb337aeab64f863f30bed6ec4312ae5a47df4bc3eb";
    const ID_OLD: &str = "5c70ecf4-4267-467e-4004-0e66112fa210";
    const ID_NEW: &str = "38d0868d-79b3-4e06-54fd-04c562de0309";

    fn manifest(packages: &[(&str, &[&str])]) -> ReleaseManifest {
        ReleaseManifest {
            name: "golang".into(),
            version: "0.210.0".into(),
            commit_hash: Some("a501ec8".into()),
            packages: packages
                .iter()
                .enumerate()
                .map(|(i, (name, deps))| ManifestPackage {
                    name: name.to_string(),
                    fingerprint: format!("{i:064x}"),
                    sha1: format!("sha256:{i:064x}"),
                    dependencies: deps.iter().map(|d| d.to_string()).collect(),
                })
                .collect(),
        }
    }

    fn names(closure: &[(&ManifestPackage, String)]) -> Vec<String> {
        closure.iter().map(|(_, name)| name.clone()).collect()
    }

    #[test]
    fn the_closure_is_the_package_and_its_dependencies_recursively_each_once() {
        let m = manifest(&[("a", &["b", "c"]), ("b", &["c", "d"]), ("c", &[]), ("d", &[]), ("e", &[])]);
        let c = closure(&m, "a", None).unwrap();
        assert_eq!(names(&c), ["a", "b", "c", "d"]);
        assert_eq!(c[3].0.fingerprint, format!("{:064x}", 3));
        assert_eq!(names(&closure(&m, "c", None).unwrap()), ["c"]);
    }

    #[test]
    fn a_dependency_cycle_ends_where_it_closes() {
        let m = manifest(&[("a", &["b"]), ("b", &["c"]), ("c", &["a", "b"])]);
        assert_eq!(names(&closure(&m, "b", None).unwrap()), ["b", "c", "a"]);
        let selfish = manifest(&[("a", &["a"])]);
        assert_eq!(names(&closure(&selfish, "a", None).unwrap()), ["a"]);
    }

    #[test]
    fn a_prefix_names_the_package_and_its_dependencies_and_an_empty_one_is_none() {
        let m = manifest(&[("golang-1.23-linux", &[]), ("healthchecker", &["golang-1.23-linux"])]);
        let c = closure(&m, "healthchecker", Some("routing")).unwrap();
        assert_eq!(names(&c), ["routing-healthchecker", "routing-golang-1.23-linux"]);
        assert_eq!(c[1].0.name, "golang-1.23-linux");
        assert_eq!(names(&closure(&m, "healthchecker", Some("")).unwrap()), ["healthchecker", "golang-1.23-linux"]);
        assert_eq!(local_name(Some("routing"), "golang-1.23-linux"), "routing-golang-1.23-linux");
        assert_eq!(local_name(None, "golang-1.23-linux"), "golang-1.23-linux");
    }

    #[test]
    fn a_package_the_release_lacks_is_an_error_naming_it_and_the_release() {
        let m = manifest(&[("golang-1.23-linux", &[]), ("healthchecker", &["golang-1.22-linux"])]);
        let e = closure(&m, "golang-1.27-linux", None).unwrap_err();
        assert_eq!(e.to_string(), "dependency golang-1.27-linux: is not in final release golang 0.210.0");
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let e = closure(&m, "healthchecker", None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "dependency golang-1.22-linux: is not in final release golang 0.210.0, though its package \
             healthchecker depends on it"
        );
        assert_eq!(e.kind(), ErrorKind::Invalid);
        let bad = manifest(&[("../up", &[])]);
        assert!(closure(&bad, "../up", None).unwrap_err().to_string().contains("is not a BOSH package name"));
        let m = manifest(&[("golang-1.23-linux", &[])]);
        assert!(closure(&m, "golang-1.23-linux", Some("my prefix")).is_err());
    }

    fn index_of(entries: &[(&str, &str, &str)]) -> String {
        let mut index = FinalIndex::default();
        for (fp, id, sha) in entries {
            index.add(fp, id, sha).unwrap();
        }
        index.to_bosh_yaml()
    }

    const INDEX: &str = ".final_builds/packages/golang-1.23-linux/index.yml";
    const LOCK: &str = "packages/golang-1.23-linux/spec.lock";

    fn lock(name: &str, fp: &str) -> String {
        format!("name: {name}\nfingerprint: {fp}\n")
    }

    #[test]
    fn the_index_tells_whether_a_fingerprint_is_there() {
        let old_index = index_of(&[(FP_OLD, ID_OLD, SHA_OLD)]);
        let files = MemFiles::of(&[(INDEX, &old_index)]);
        assert!(in_index(&files, "golang-1.23-linux", FP_OLD).unwrap());
        assert!(!in_index(&files, "golang-1.23-linux", FP_NEW).unwrap());
        assert!(!in_index(&files, "golang-1.24-linux", FP_OLD).unwrap(), "no index lists nothing");
        let broken = MemFiles::of(&[(INDEX, "builds: [\n")]);
        let e = in_index(&broken, "golang-1.23-linux", FP_OLD).unwrap_err();
        assert!(matches!(&e, Error::Parse { file, .. } if file == INDEX), "{e}");
        assert!(in_index(&files, "../golang-1.23-linux", FP_OLD).is_err());
    }

    fn package(name: &str, fp: &str, sha1: &str, id: Option<&str>) -> VendoredPackage {
        VendoredPackage {
            name: name.into(),
            fingerprint: fp.into(),
            sha1: sha1.into(),
            dependencies: vec![],
            blobstore_id: id.map(String::from),
        }
    }

    fn text(edit: &VendorEdit, path: &str) -> String {
        String::from_utf8(edit.files[path].clone()).unwrap()
    }

    #[test]
    fn an_uploaded_build_is_added_to_the_index_and_the_spec_lock_moves_to_it() {
        let old_index = index_of(&[(FP_OLD, ID_OLD, SHA_OLD)]);
        let old_lock = lock("golang-1.23-linux", FP_OLD);
        let spec = "name: nats-server\ndependencies:\n  - golang-1.23-linux\n";
        let files = MemFiles::of(&[(INDEX, &old_index), (LOCK, &old_lock), ("packages/nats-server/spec", spec)]);
        let v =
            Vendoring { packages: vec![package("golang-1.23-linux", FP_NEW, SHA_NEW, Some(ID_NEW))], renames: vec![] };
        let edit = apply(&files, &v).unwrap();
        assert_eq!(edit.files.keys().collect::<Vec<_>>(), [INDEX, LOCK]);
        assert!(edit.removed.is_empty(), "{:?}", edit.removed);
        let new_entry =
            format!("  {FP_NEW}:\n    version: {FP_NEW}\n    blobstore_id: {ID_NEW}\n    sha1: {SHA_NEW}\n");
        assert_eq!(text(&edit, INDEX), old_index.replacen("builds:\n", &format!("builds:\n{new_entry}"), 1));
        assert_eq!(text(&edit, LOCK), lock("golang-1.23-linux", FP_NEW));
    }

    #[test]
    fn a_build_already_indexed_leaves_the_index_and_an_identical_spec_lock_as_they_are() {
        let ruby_index = format!(
            "---\nbuilds:\n  {FP_NEW}:\n    version: {FP_NEW}\n    sha1: {SHA_NEW}\n    blobstore_id: {ID_OLD}\nformat-version: '2'\n"
        );
        let old_lock = lock("golang-1.23-linux", FP_OLD);
        let files = MemFiles::of(&[(INDEX, &ruby_index), (LOCK, &old_lock)]);
        let v = Vendoring { packages: vec![package("golang-1.23-linux", FP_NEW, SHA_NEW, None)], renames: vec![] };
        let edit = apply(&files, &v).unwrap();
        assert_eq!(edit.files.keys().collect::<Vec<_>>(), [LOCK], "the Ruby-era index is not rewritten");
        let current_lock = lock("golang-1.23-linux", FP_NEW);
        let current = MemFiles::of(&[(INDEX, &ruby_index), (LOCK, &current_lock)]);
        assert_eq!(apply(&current, &v).unwrap(), VendorEdit::default());
    }

    #[test]
    fn an_index_that_disagrees_with_the_upload_is_an_error_naming_it() {
        let old_index = index_of(&[(FP_OLD, ID_OLD, SHA_OLD)]);
        let files = MemFiles::of(&[(INDEX, &old_index)]);
        let not_uploaded =
            Vendoring { packages: vec![package("golang-1.23-linux", FP_NEW, SHA_NEW, None)], renames: vec![] };
        let e = apply(&files, &not_uploaded).unwrap_err().to_string();
        assert_eq!(e, format!("{INDEX}: does not list {FP_NEW}, and nothing was uploaded for it"));
        let twice =
            Vendoring { packages: vec![package("golang-1.23-linux", FP_OLD, SHA_OLD, Some(ID_NEW))], renames: vec![] };
        assert!(
            apply(&files, &twice).unwrap_err().to_string().starts_with(&format!("{INDEX}: already lists {FP_OLD}"))
        );
        let no_index = MemFiles::of(&[]);
        assert!(apply(&no_index, &not_uploaded).unwrap_err().to_string().contains("does not list"));
        let bad_digest =
            Vendoring { packages: vec![package("golang-1.23-linux", FP_NEW, "a b", Some(ID_NEW))], renames: vec![] };
        assert!(apply(&files, &bad_digest).unwrap_err().to_string().contains("sha1 \"a b\" is not a single word"));
    }

    #[test]
    fn a_line_change_renames_references_empties_both_directories_and_keeps_the_old_index() {
        let old_index = ".final_builds/packages/golang-1.22-linux/index.yml";
        let old_text = index_of(&[(FP_OLD, ID_OLD, SHA_OLD)]);
        let old_lock = lock("golang-1.22-linux", FP_OLD);
        let files = MemFiles::of(&[
            (old_index, &old_text),
            ("packages/golang-1.22-linux/spec.lock", &old_lock),
            ("packages/golang-1.22-linux/spec", "name: golang-1.22-linux\n"),
            ("packages/golang-1.23-linux/packaging", "tar xzf go.tgz\n"),
            ("packages/nats-server/spec", "name: nats-server\ndependencies:\n  - golang-1.22-linux\n"),
            ("jobs/golang-1.22-linux/spec", "name: golang-1.22-linux\npackages:\n- golang-1.22-linux\n"),
        ]);
        let v = Vendoring {
            packages: vec![package("golang-1.23-linux", FP_NEW, SHA_NEW, Some(ID_NEW))],
            renames: vec![("golang-1.22-linux".into(), "golang-1.23-linux".into())],
        };
        let edit = apply(&files, &v).unwrap();
        assert_eq!(
            edit.files.keys().collect::<Vec<_>>(),
            [INDEX, "jobs/golang-1.22-linux/spec", LOCK, "packages/nats-server/spec"]
        );
        assert_eq!(
            edit.removed,
            [
                "packages/golang-1.22-linux/spec",
                "packages/golang-1.22-linux/spec.lock",
                "packages/golang-1.23-linux/packaging"
            ]
        );
        assert_eq!(text(&edit, INDEX), index_of(&[(FP_NEW, ID_NEW, SHA_NEW)]));
        assert_eq!(
            text(&edit, "packages/nats-server/spec"),
            "name: nats-server\ndependencies:\n  - golang-1.23-linux\n"
        );
        assert_eq!(
            text(&edit, "jobs/golang-1.22-linux/spec"),
            "name: golang-1.22-linux\npackages:\n- golang-1.23-linux\n"
        );
    }

    #[test]
    fn two_renames_in_one_file_both_land() {
        let spec = "packages:\n- golang-1.22-linux\n- golang-1.22-windows\n";
        let files = MemFiles::of(&[
            (".final_builds/packages/golang-1.23-linux/index.yml", &index_of(&[(FP_NEW, ID_OLD, SHA_NEW)])),
            (".final_builds/packages/golang-1.23-windows/index.yml", &index_of(&[(FP_OLD, ID_OLD, SHA_OLD)])),
            ("jobs/healthcheck/spec", spec),
        ]);
        let v = Vendoring {
            packages: vec![
                package("golang-1.23-linux", FP_NEW, SHA_NEW, None),
                package("golang-1.23-windows", FP_OLD, SHA_OLD, None),
            ],
            renames: vec![
                ("golang-1.22-linux".into(), "golang-1.23-linux".into()),
                ("golang-1.22-windows".into(), "golang-1.23-windows".into()),
            ],
        };
        let edit = apply(&files, &v).unwrap();
        assert_eq!(text(&edit, "jobs/healthcheck/spec"), "packages:\n- golang-1.23-linux\n- golang-1.23-windows\n");
        assert_eq!(edit.files.len(), 3, "the spec and two new spec.locks: {:?}", edit.files.keys());
    }

    #[test]
    fn a_prefixed_package_locks_its_prefixed_dependencies() {
        let dep_index = ".final_builds/packages/routing-golang-1.23-linux/index.yml";
        let files = MemFiles::of(&[(dep_index, &index_of(&[(FP_NEW, ID_OLD, SHA_NEW)]))]);
        let mut checker = package("routing-healthchecker", FP_OLD, SHA_OLD, Some(ID_NEW));
        checker.dependencies = vec!["routing-golang-1.23-linux".into()];
        let v = Vendoring {
            packages: vec![checker, package("routing-golang-1.23-linux", FP_NEW, SHA_NEW, None)],
            renames: vec![],
        };
        let edit = apply(&files, &v).unwrap();
        assert_eq!(
            text(&edit, "packages/routing-healthchecker/spec.lock"),
            format!("name: routing-healthchecker\nfingerprint: {FP_OLD}\ndependencies:\n- routing-golang-1.23-linux\n")
        );
        assert_eq!(
            text(&edit, ".final_builds/packages/routing-healthchecker/index.yml"),
            index_of(&[(FP_OLD, ID_NEW, SHA_OLD)])
        );
        assert!(!edit.files.contains_key(dep_index));
    }

    #[test]
    fn malformed_files_and_bad_names_are_errors_naming_them() {
        let v =
            Vendoring { packages: vec![package("golang-1.23-linux", FP_NEW, SHA_NEW, Some(ID_NEW))], renames: vec![] };
        let e = apply(&MemFiles::of(&[(LOCK, "name: [golang\n")]), &v).unwrap_err();
        assert!(matches!(&e, Error::Parse { file, .. } if file.starts_with(LOCK)), "{e}");
        let e = apply(&MemFiles::of(&[(LOCK, "name: golang-1.23-linux\n")]), &v).unwrap_err();
        assert_eq!(e.to_string(), format!("{LOCK}: missing fingerprint"));
        let e = apply(&MemFiles::of(&[(INDEX, "builds:\n  x: 3\n")]), &v).unwrap_err();
        assert!(e.to_string().starts_with(&format!("{INDEX}: builds.x")), "{e}");

        let files = MemFiles::of(&[]);
        let bad = |v: Vendoring| apply(&files, &v).unwrap_err().to_string();
        let evil = Vendoring { packages: vec![package("../evil", FP_NEW, SHA_NEW, Some(ID_NEW))], renames: vec![] };
        assert!(bad(evil).starts_with("dependency ../evil: is not a BOSH package name"));
        let mut dep = package("golang-1.23-linux", FP_NEW, SHA_NEW, Some(ID_NEW));
        dep.dependencies = vec!["a/b".into()];
        assert!(bad(Vendoring { packages: vec![dep], renames: vec![] }).starts_with("dependency a/b:"));
        let rename = vec![("golang-1.22-linux".to_string(), "".to_string())];
        assert!(bad(Vendoring { packages: vec![], renames: rename }).contains("is empty"));
        let same = vec![("golang-1.22-linux".to_string(), "golang-1.22-linux".to_string())];
        assert!(bad(Vendoring { packages: vec![], renames: same }).contains("is renamed to itself"));
        let twice = vec![package("g", FP_NEW, SHA_NEW, Some(ID_NEW)), package("g", FP_OLD, SHA_OLD, Some(ID_OLD))];
        assert!(bad(Vendoring { packages: twice, renames: vec![] }).contains("vendored twice"));
        let blank = vec![package("g", "", SHA_NEW, Some(ID_NEW))];
        assert!(bad(Vendoring { packages: blank, renames: vec![] }).contains("fingerprint \"\""));
    }
}
